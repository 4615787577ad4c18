package io.baton.raft;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.Test;

class RaftNodeOptionsTest {
  private static final List<Peer> PEERS = Peer.parseList("n1=127.0.0.1:9101,n2=127.0.0.1:9102,n3=[::1]:9103");

  private static RaftNodeOptions.Builder valid() {
    return RaftNodeOptions.builder().nodeId("n1").peers(PEERS).storageDir(Path.of("/tmp/x"));
  }

  @Test
  void defaultsAreSane() {
    final RaftNodeOptions o = valid().build();
    assertThat(o.self()).isEqualTo(PEERS.get(0));
    assertThat(o.electionTimeoutMin()).isEqualTo(Duration.ofMillis(1000));
    assertThat(o.maxValueBytes()).isEqualTo(1024 * 1024);
    assertThat(o.leaderLease()).isLessThan(o.electionTimeoutMin()).isEqualTo(Duration.ofMillis(900));
    assertThat(o.pauseTolerance()).as("the documented pause bound").isEqualTo(Duration.ofMillis(300));
    assertThat(PEERS.get(2).host()).isEqualTo("::1");
    assertThat(PEERS.get(2).address()).isEqualTo("[::1]:9103");
  }

  @Test
  void aLeaseRatioThatLeavesNoRoomForAPauseIsRefused() {
    assertThatThrownBy(() -> valid().leaderLeaseRatio(0.6).build())
        .isInstanceOfSatisfying(RaftNodeOptions.InvalidOptionException.class,
            e -> assertThat(e.option()).isEqualTo("leaderLeaseRatio"))
        .hasMessageContaining("strictly between 0.6");
  }

  @Test
  void badOptionsNameTheOptionAndTheProblem() {
    assertThatThrownBy(() -> valid().peers(Peer.parseList("n1=127.0.0.1:1,n1=127.0.0.1:2")).build())
        .hasMessageContaining("'peers'").hasMessageContaining("'n1' appears more than once");
    assertThatThrownBy(() -> valid().peers(Peer.parseList("n1=127.0.0.1:1,n2=127.0.0.1:1")).build())
        .hasMessageContaining("address 127.0.0.1:1 is used by more than one peer");
    assertThatThrownBy(() -> valid().nodeId("n9").build())
        .hasMessageContaining("'nodeId'").hasMessageContaining("'n9' is not among the peers");
    assertThatThrownBy(() -> valid().storageDir(null).build()).hasMessageContaining("'storageDir': is required");
    assertThatThrownBy(() -> valid().electionTimeout(Duration.ofMillis(300), Duration.ofMillis(200)).build())
        .hasMessageContaining("'electionTimeoutMax'");
    assertThatThrownBy(() -> valid().requestTimeout(Duration.ofMillis(100)).build())
        .hasMessageContaining("'requestTimeout'");
    assertThatThrownBy(() -> valid().maxRequestBytes(1000).build()).hasMessageContaining("'maxRequestBytes'");
    assertThatThrownBy(() -> valid().leaderLeaseRatio(1.0).build()).hasMessageContaining("'leaderLeaseRatio'");
    assertThatThrownBy(() -> valid().join(true).build()).hasMessageContaining("'join'");
    assertThatThrownBy(() -> valid().logSegmentBytes(1024).build()).hasMessageContaining("'logSegmentBytes'");
  }

  @Test
  void peerSpecsAreParsedStrictly() {
    assertThatThrownBy(() -> Peer.parse("n1:9000")).hasMessageContaining("not of the form id=host:port");
    assertThatThrownBy(() -> Peer.parse("n1=host:abc")).hasMessageContaining("not a number: abc");
    assertThatThrownBy(() -> Peer.parse("n1=host:70000")).hasMessageContaining("outside 1..65535");
    assertThatThrownBy(() -> Peer.parse("bad id=host:1")).hasMessageContaining("peer id 'bad id' is invalid");
  }
}
