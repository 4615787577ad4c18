package io.baton.raft;

import static io.baton.testkit.Timing.await;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.baton.store.NoQuorumException;
import io.baton.store.Op;
import io.baton.store.ReadConsistency;
import io.baton.store.ReadResult;
import io.baton.store.Txn;
import io.baton.testkit.TestCluster;
import io.baton.testkit.Timing;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/** Leader crashes and lost majorities, on 3- and 5-node clusters. */
@Timeout(value = 120, unit = TimeUnit.SECONDS)
class FailoverTest {

  @ParameterizedTest(name = "{0} nodes")
  @ValueSource(ints = {3, 5})
  void acknowledgedWritesSurviveLeaderCrashesUpToTheTolerance(int size) throws Exception {
    final int tolerated = (size - 1) / 2;
    try (TestCluster c = new TestCluster(size).start()) {
      final Map<String, String> acked = new ConcurrentHashMap<>();
      final List<String> crashed = new ArrayList<>();
      for (int round = 0; round < tolerated; round++) {
        final RaftNode leader = c.leader();
        final RaftNode via = c.other(leader);
        final AtomicBoolean stop = new AtomicBoolean();
        final Thread writer = new Thread(() -> {
          for (int i = 0; !stop.get() && i < 100_000; i++) {
            final String key = "k/" + crashed.size() + "/" + i;
            try {
              via.metadata().put(key, "v" + i).get(10, TimeUnit.SECONDS);
              acked.put(key, "v" + i);
            } catch (Exception e) {
              // unacknowledged: may or may not be applied; only acknowledged writes are checked
            }
          }
        });
        writer.start();
        Timing.waitUntil("some writes acknowledged", Duration.ofSeconds(10), () -> acked.size() > 20 * (crashed.size() + 1));
        c.crash(leader.nodeId());
        crashed.add(leader.nodeId());
        final int before = acked.size();
        Timing.waitUntil("writes resumed after the crash of " + leader.nodeId(), Duration.ofSeconds(15),
            () -> acked.size() > before + 20);
        stop.set(true);
        writer.join();
        final RaftNode newLeader = c.leader();
        assertThat(crashed).doesNotContain(newLeader.nodeId());
        assertThat(newLeader.leadership().epoch()).isGreaterThan(0);
      }
      // every acknowledged write is on the survivors, read linearizably through each of them
      for (RaftNode n : c.running()) {
        final Map<String, String> seen = new ConcurrentHashMap<>();
        await(n.metadata().range("k/")).kvs().forEach(kv -> seen.put(kv.key(), kv.valueAsString()));
        assertThat(seen).containsAllEntriesOf(acked);
      }
      // one crash more than tolerated loses the majority
      final RaftNode leader = c.leader();
      c.crash(leader.nodeId());
      final RaftNode survivor = c.running().get(0);
      assertThatThrownBy(() -> await(survivor.metadata().put("after", "majority lost")))
          .isInstanceOf(NoQuorumException.class);
    }
  }

  @ParameterizedTest(name = "{0} nodes")
  @ValueSource(ints = {3, 5})
  void withoutMajorityWritesFailWithinTheTimeoutAndNothingHalfAppliedAppearsLater(int size) {
    final Duration requestTimeout = Duration.ofSeconds(3);
    try (TestCluster c = new TestCluster(size, b -> b.requestTimeout(requestTimeout)).start()) {
      final RaftNode leader = c.leader();
      await(leader.metadata().put("before", "x"));
      final List<String> down = new ArrayList<>();
      for (RaftNode n : c.running()) {
        if (n != leader && down.size() < (size + 1) / 2) {
          down.add(n.nodeId());
        }
      }
      down.forEach(c::crash);
      Timing.waitUntil("the isolated leader gives up its lease", Duration.ofSeconds(5),
          () -> !leader.leadership().leader());

      final List<Op> batch = new ArrayList<>();
      for (int i = 0; i < 10; i++) {
        batch.add(Op.put("batch/" + i, "v"));
      }
      final long start = System.nanoTime();
      assertThatThrownBy(() -> await(leader.metadata().txn(Txn.of(List.of(), batch))))
          .isInstanceOf(NoQuorumException.class)
          .hasMessageContaining("may still commit");
      final Duration took = Duration.ofNanos(System.nanoTime() - start);
      assertThat(took).as("fails within the request timeout plus slack").isLessThan(requestTimeout.plusSeconds(3));
      assertThatThrownBy(() -> await(leader.metadata().get("before"))).isInstanceOf(NoQuorumException.class);

      // the local replica still answers a stale read, saying what it reflects
      final ReadResult stale = await(leader.metadata().get("before", ReadConsistency.STALE));
      assertThat(stale.first()).isPresent();
      assertThat(stale.revision()).isEqualTo(1);

      down.forEach(c::start);
      final RaftNode back = c.awaitStable();
      await(back.metadata().put("after", "y"));
      final int present = await(back.metadata().range("batch/")).kvs().size();
      assertThat(present).as("the batch is applied whole or not at all").isIn(0, batch.size());
      for (RaftNode n : c.running()) {
        assertThat(await(n.metadata().range("batch/")).kvs()).hasSize(present);
      }
    }
  }
}
