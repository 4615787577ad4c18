package io.baton.raft;

import static io.baton.testkit.Timing.await;
import static org.assertj.core.api.Assertions.assertThat;

import io.baton.store.ClosedException;
import io.baton.store.CompactedException;
import io.baton.store.Watch;
import io.baton.testkit.RecordingWatchListener;
import io.baton.testkit.TestCluster;
import io.baton.testkit.Timing;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.stream.LongStream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/** Watches keep their order across leader changes and resume on another node without gap or duplicate. */
@Timeout(value = 90, unit = TimeUnit.SECONDS)
class WatchTest {

  private static List<Long> oneTo(long n) {
    return LongStream.rangeClosed(1, n).boxed().toList();
  }

  @Test
  void watchOnASurvivorSpansALeaderCrashWithoutGapOrDuplicate() {
    try (TestCluster c = new TestCluster(3).start()) {
      final RaftNode leader = c.leader();
      final RaftNode watcherNode = c.other(leader);
      final RecordingWatchListener seen = new RecordingWatchListener();
      watcherNode.metadata().watch("w/", 1, seen);
      for (int i = 0; i < 30; i++) {
        await(watcherNode.metadata().put("w/" + i, "v" + i));
      }
      c.crash(leader.nodeId());
      c.leader();
      for (int i = 30; i < 60; i++) {
        await(watcherNode.metadata().put("w/" + i, "v" + i));
      }
      Timing.waitUntil("60 events", Duration.ofSeconds(10), () -> seen.events.size() >= 60);
      assertThat(seen.revisions()).isEqualTo(oneTo(60));
      assertThat(seen.events.get(59).kv().valueAsString()).isEqualTo("v59");
      assertThat(seen.errors).isEmpty();
    }
  }

  @Test
  void watchResumesOnAnotherNodeAfterItsNodeCrashes() {
    try (TestCluster c = new TestCluster(3).start()) {
      final RaftNode leader = c.leader();
      final RecordingWatchListener first = new RecordingWatchListener();
      final Watch onLeader = leader.metadata().watch("", 0, first);
      final RaftNode writer = c.other(leader);
      for (int i = 0; i < 25; i++) {
        await(writer.metadata().put("k" + i, "v"));
      }
      Timing.waitUntil("25 events on the leader", Duration.ofSeconds(10), () -> first.events.size() >= 25);
      c.crash(leader.nodeId());
      assertThat(first.errors).singleElement().isInstanceOf(ClosedException.class);
      c.leader();
      for (int i = 25; i < 50; i++) {
        await(writer.metadata().put("k" + i, "v"));
      }
      final RecordingWatchListener resumed = new RecordingWatchListener();
      final RaftNode elsewhere = c.running().get(c.running().size() - 1);
      elsewhere.metadata().watch("", onLeader.nextRevision(), resumed);
      Timing.waitUntil("the rest on another node", Duration.ofSeconds(10),
          () -> first.events.size() + resumed.events.size() >= 50);
      final List<Long> all = new ArrayList<>(first.revisions());
      all.addAll(resumed.revisions());
      assertThat(all).isEqualTo(oneTo(50));
    }
  }

  @Test
  void watchFromACompactedRevisionFailsClearly() {
    try (TestCluster c = new TestCluster(3, b -> b.watchHistory(5)).start()) {
      final RaftNode leader = c.leader();
      for (int i = 0; i < 20; i++) {
        await(leader.metadata().put("k" + i, "v"));
      }
      final RecordingWatchListener seen = new RecordingWatchListener();
      leader.metadata().watch("", 2, seen);
      Timing.waitUntil("the error", Duration.ofSeconds(5), () -> !seen.errors.isEmpty());
      assertThat(seen.errors.get(0)).isInstanceOf(CompactedException.class)
          .hasMessageContaining("revision 2 is compacted");
      assertThat(seen.events).isEmpty();
    }
  }
}
