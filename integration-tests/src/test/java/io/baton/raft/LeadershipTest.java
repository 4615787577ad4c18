package io.baton.raft;

import static io.baton.testkit.Timing.await;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.baton.store.MetadataStore;
import io.baton.store.Op;
import io.baton.store.StaleEpochException;
import io.baton.store.Txn;
import io.baton.testkit.TestCluster;
import io.baton.testkit.Timing;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/** Leadership events, the lease-backed leadership check, epochs and fencing. */
@Timeout(value = 90, unit = TimeUnit.SECONDS)
class LeadershipTest {

  static final class Recorder implements LeadershipListener {
    final List<String> calls = new CopyOnWriteArrayList<>();

    @Override
    public void isLeader(long epoch) {
      calls.add("leader:" + epoch + ":" + Thread.currentThread().getName());
    }

    @Override
    public void notLeader() {
      calls.add("not-leader");
    }
  }

  @Test
  void listenersHearOfLeadershipWithItsEpochOffRaftThreads() {
    try (TestCluster c = new TestCluster(3).start()) {
      final var executor = Executors.newSingleThreadExecutor(r -> new Thread(r, "app-callbacks"));
      try {
        final RaftNode leader = c.leader();
        final Recorder recorder = new Recorder();
        leader.addLeadershipListener(recorder, executor);
        final long epoch = leader.leadership().epoch();
        assertThat(epoch).isEqualTo(leader.status().term());
        Timing.waitUntil("isLeader", Duration.ofSeconds(5), () -> !recorder.calls.isEmpty());
        assertThat(recorder.calls.get(0)).isEqualTo("leader:" + epoch + ":app-callbacks");
        for (RaftNode n : c.running()) {
          if (n != leader) {
            assertThat(n.leadership()).isEqualTo(Leadership.NONE);
          }
        }
        c.crash(leader.nodeId());
        Timing.waitUntil("notLeader", Duration.ofSeconds(5), () -> recorder.calls.contains("not-leader"));
        final RaftNode next = c.leader();
        assertThat(next.leadership().epoch()).isGreaterThan(epoch);
      } finally {
        executor.shutdownNow();
      }
    }
  }

  @Test
  void aFencedWriteOfADeposedEpochIsRejectedAcrossALeaderChangeAndNothingIsApplied() {
    try (TestCluster c = new TestCluster(3).start()) {
      final RaftNode leader = c.leader();
      final long epoch = await(leader.metadata().put("holder", "first"));
      final MetadataStore fenced = leader.metadata().fencedBy("holder", epoch);
      assertThat(await(fenced.put("owner", "first")) ).isPositive();
      final RaftNode survivor = c.other(leader);
      c.crash(leader.nodeId());
      final RaftNode next = c.leader();
      final long newEpoch = await(next.metadata().put("holder", "second"));
      // the deposed epoch's view, through any node: rejected, nothing written
      final MetadataStore stale = survivor.metadata().fencedBy("holder", epoch);
      assertThatThrownBy(() -> await(stale.txn(Txn.of(List.of(), List.of(Op.put("owner", "stale"), Op.put("x", "y"))))))
          .isInstanceOfSatisfying(StaleEpochException.class, e -> {
            assertThat(e.epoch()).isEqualTo(epoch);
            assertThat(e.currentEpoch()).isGreaterThanOrEqualTo(newEpoch);
          });
      assertThat(await(next.metadata().get("owner")).first().orElseThrow().valueAsString()).isEqualTo("first");
      assertThat(await(next.metadata().get("x")).kvs()).isEmpty();
      assertThat(await(next.metadata().fencedBy("holder", newEpoch).put("owner", "second"))).isPositive();
    }
  }

  @Test
  void transferLeadershipHandsOverToTheNamedNode() {
    try (TestCluster c = new TestCluster(3).start()) {
      final RaftNode leader = c.leader();
      final RaftNode target = c.other(leader);
      await(leader.transferLeadership(target.nodeId()));
      Timing.waitUntil(target.nodeId() + " leads", Duration.ofSeconds(10), () -> target.leadership().leader());
      assertThat(leader.leadership().leader()).isFalse();
    }
  }
}
