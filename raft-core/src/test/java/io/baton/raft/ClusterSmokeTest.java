package io.baton.raft;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

@Timeout(value = 60, unit = TimeUnit.SECONDS)
class ClusterSmokeTest {
  @Test
  void putGetOnThreeNodes() throws Exception {
    try (TestCluster c = new TestCluster(3).start()) {
      final RaftNode leader = c.leader();
      final long rev = leader.metadata().put("a", "1").get(5, TimeUnit.SECONDS);
      assertThat(rev).isEqualTo(1);
      final RaftNode follower = c.other(leader);
      assertThat(follower.metadata().get("a").get(5, TimeUnit.SECONDS).first().orElseThrow().valueAsString())
          .isEqualTo("1");
      c.crash(leader.nodeId());
      final RaftNode next = c.leader();
      assertThat(next.metadata().put("b", "2").get(5, TimeUnit.SECONDS)).isEqualTo(2);
      assertThat(next.metadata().range("").get(5, TimeUnit.SECONDS).kvs()).hasSize(2);
    }
  }
}
