package io.baton.raft;

import static io.baton.testkit.Timing.await;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.baton.store.KeyValue;
import io.baton.store.MetadataStore;
import io.baton.store.ReadConsistency;
import io.baton.store.WatchEvent;
import io.baton.testkit.RecordingWatchListener;
import io.baton.testkit.TestCluster;
import io.baton.testkit.Timing;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/** TTL leases expire through the log: keys go once, on every replica, even across a leader change. */
@Timeout(value = 90, unit = TimeUnit.SECONDS)
class LeaseTest {
  private static final Duration TTL = Duration.ofSeconds(2); // the minimum: the maximum election timeout

  private static long deletes(RecordingWatchListener l) {
    return l.events.stream().filter(e -> e.type() == WatchEvent.Type.DELETE).count();
  }

  @Test
  void expiryDeletesTheLeasesKeysOnceOnEveryReplica() throws Exception {
    try (TestCluster c = new TestCluster(3).start()) {
      final RaftNode leader = c.leader();
      final MetadataStore store = leader.metadata();
      final long lease = await(store.grantLease(TTL));
      final RecordingWatchListener onFollower = new RecordingWatchListener();
      c.other(leader).metadata().watch("l/", 0, onFollower);
      for (int i = 0; i < 3; i++) {
        await(store.put("l/" + i, "v".getBytes(), lease));
      }
      await(store.put("l/unleased", "stays"));
      Timing.waitUntil("the leased keys expire", Duration.ofSeconds(10),
          () -> await(store.range("l/")).kvs().size() == 1);
      Thread.sleep(TTL.toMillis()); // give a duplicate expiry (proposed every 50 ms) every chance to show up
      assertThat(deletes(onFollower)).isEqualTo(3);
      final long deleteRevisions = onFollower.events.stream().filter(e -> e.type() == WatchEvent.Type.DELETE)
          .map(WatchEvent::revision).distinct().count();
      assertThat(deleteRevisions).as("one revision for the whole expiry").isEqualTo(1);
      for (RaftNode n : c.running()) {
        assertThat(await(n.metadata().range("l/", ReadConsistency.STALE)).kvs())
            .extracting(KeyValue::key).containsExactly("l/unleased");
      }
      assertThatThrownBy(() -> await(store.keepAlive(lease))).isInstanceOf(IllegalStateException.class)
          .hasMessageContaining("not found");
      assertThatThrownBy(() -> await(store.put("l/late", "x".getBytes(), lease)))
          .hasMessageContaining("lease " + lease + " not found");
    }
  }

  @Test
  void keepAliveHoldsALeaseAndRevokeEndsItAtOnce() throws Exception {
    try (TestCluster c = new TestCluster(3).start()) {
      final MetadataStore store = c.leader().metadata();
      final long lease = await(store.grantLease(TTL));
      await(store.put("held", "v".getBytes(), lease));
      for (int i = 0; i < 8; i++) {
        Thread.sleep(TTL.toMillis() / 3);
        await(store.keepAlive(lease));
      }
      assertThat(await(store.get("held")).kvs()).as("alive after 2.7 TTLs of keep-alives").hasSize(1);
      await(store.revokeLease(lease));
      assertThat(await(store.get("held")).kvs()).isEmpty();
    }
  }

  @Test
  void aNewLeaderExpiresLeasesOfTheOldOneOnce() throws Exception {
    try (TestCluster c = new TestCluster(3).start()) {
      final RaftNode leader = c.leader();
      final long lease = await(leader.metadata().grantLease(Duration.ofSeconds(2)));
      await(leader.metadata().put("x/1", "v".getBytes(), lease));
      final RaftNode survivor = c.other(leader);
      final RecordingWatchListener seen = new RecordingWatchListener();
      survivor.metadata().watch("x/", 0, seen);
      c.crash(leader.nodeId());
      final RaftNode next = c.leader();
      Timing.waitUntil("the new leader expires the lease", Duration.ofSeconds(10),
          () -> await(next.metadata().get("x/1")).kvs().isEmpty());
      Thread.sleep(1000);
      assertThat(deletes(seen)).isEqualTo(1);
    }
  }

  @Test
  void tooShortATtlIsRefused() {
    try (TestCluster c = new TestCluster(3).start()) {
      assertThatThrownBy(() -> await(c.leader().metadata().grantLease(Duration.ofMillis(50))))
          .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("below the minimum");
    }
  }
}
