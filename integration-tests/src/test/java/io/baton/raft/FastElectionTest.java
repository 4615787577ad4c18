package io.baton.raft;

import static io.baton.testkit.Timing.await;
import static org.assertj.core.api.Assertions.assertThat;

import io.baton.testkit.TestCluster;
import io.baton.testkit.Timing;
import java.time.Duration;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * The fast path for a dead leader. The election timeout here is 4-5 s, so only the fast path can
 * elect a new leader within the 3 s wait below; and it must never depose a leader the others still hear.
 */
@Timeout(value = 120, unit = TimeUnit.SECONDS)
class FastElectionTest {
  private static TestCluster slowTimeouts() {
    return new TestCluster(3, b -> b.electionTimeout(Duration.ofSeconds(4), Duration.ofSeconds(5))
        .requestTimeout(Duration.ofSeconds(10)));
  }

  @Test
  void aCrashedLeaderIsReplacedLongBeforeAnyElectionTimeout() throws InterruptedException {
    try (TestCluster c = slowTimeouts().start()) {
      final RaftNode leader = Timing.waitFor("a first leader", Duration.ofSeconds(30), () -> c.running().stream()
          .filter(n -> n.leadership().leader()).findFirst().orElse(null));
      final long term = leader.leadership().epoch();
      await(leader.metadata().put("k", "before"));
      c.crash(leader.nodeId()); // closes its Raft port: peers see the connection closed and refused
      // not scaled by Timing: the point is to beat the 4 s election timeout
      final long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(3);
      RaftNode next = null;
      while (next == null && System.nanoTime() < deadline) {
        next = c.running().stream().filter(n -> n.leadership().leader()).findFirst().orElse(null);
        Thread.sleep(10);
      }
      assertThat(next).as("a new leader within 3 s, before any election timeout (4 s)").isNotNull();
      assertThat(next.leadership().epoch()).isGreaterThan(term);
      assertThat(await(next.metadata().get("k")).first().orElseThrow().valueAsString()).isEqualTo("before");
    }
  }

  @Test
  void oneFollowerThatTakesTheLeaderForDeadDeposesNobody() throws Exception {
    try (TestCluster c = new TestCluster(3).start()) {
      final RaftNode leader = c.awaitStable();
      final long term = leader.leadership().epoch();
      final RaftNode follower = c.other(leader);
      follower.peerGone(leader.nodeId()); // as if only its own connection to the leader were refused
      // it forgets the leader and tries pre-votes, which the other follower and the leader refuse,
      // for two maximum election timeouts; then it has given up
      final long until = System.nanoTime() + TimeUnit.SECONDS.toNanos(5);
      while (System.nanoTime() < until) {
        assertThat(leader.status().isLeader()).as("the live leader stays leader").isTrue();
        assertThat(leader.status().term()).as("in its term").isEqualTo(term);
        Thread.sleep(20);
      }
      for (RaftNode n : c.running()) {
        assertThat(n.status().term()).as("no new term on " + n.nodeId()).isEqualTo(term);
      }
      assertThat(await(follower.metadata().put("k", "v"))).isPositive();
    }
  }
}
