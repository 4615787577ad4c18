package io.baton.raft;

import static io.baton.testkit.Timing.await;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.baton.store.ReadConsistency;
import io.baton.testkit.TestCluster;
import io.baton.testkit.Timing;
import java.time.Duration;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/** Adding and removing voting members at run time. */
@Timeout(value = 90, unit = TimeUnit.SECONDS)
class MembershipTest {

  @Test
  void addANodeThenRemoveAnOriginalAndKeepAMajority() {
    try (TestCluster c = new TestCluster(3, b -> b.snapshotThreshold(50)).start()) {
      final RaftNode leader = c.leader();
      for (int i = 0; i < 120; i++) {
        await(leader.metadata().put("k" + i, "v" + i));
      }
      final RaftNode joiner = c.startJoining("n4");
      await(leader.addPeer(joiner.options().self()));
      Timing.waitUntil("n4 in the configuration", Duration.ofSeconds(10), () -> leader.members().size() == 4);
      Timing.waitUntil("n4 has the data", Duration.ofSeconds(15),
          () -> await(joiner.metadata().range("k", ReadConsistency.STALE)).kvs().size() == 120);

      final RaftNode removed = c.other(leader);
      await(leader.removePeer(removed.nodeId()));
      Timing.waitUntil("three members", Duration.ofSeconds(10), () -> c.leader().members().size() == 3);
      assertThat(c.leader().members()).extracting(Peer::id).doesNotContain(removed.nodeId()).contains("n4");
      c.crash(removed.nodeId());
      // the remaining three (two originals and n4) still tolerate one failure
      final RaftNode now = c.leader();
      c.crash(c.running().stream().filter(n -> n != now && !n.nodeId().equals("n4")).findFirst().orElseThrow().nodeId());
      assertThat(await(c.leader().metadata().put("after", "membership"))).isPositive();
      assertThat(await(joiner.metadata().get("k7")).first().orElseThrow().valueAsString()).isEqualTo("v7");
    }
  }

  @Test
  void removingAnUnknownPeerIsAClearError() {
    try (TestCluster c = new TestCluster(3).start()) {
      assertThatThrownBy(() -> await(c.leader().removePeer("n9"))).hasMessageContaining("n9 is not a member");
    }
  }
}
