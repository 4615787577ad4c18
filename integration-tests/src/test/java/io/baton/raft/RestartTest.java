package io.baton.raft;

import static io.baton.testkit.Timing.await;
import static org.assertj.core.api.Assertions.assertThat;

import io.baton.store.MetadataStore;
import io.baton.store.Op;
import io.baton.store.ReadConsistency;
import io.baton.store.ReadResult;
import io.baton.store.Txn;
import io.baton.testkit.TestCluster;
import io.baton.testkit.Timing;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/** Restarting from disk, with and without snapshots, and catching up by snapshot install. */
@Timeout(value = 120, unit = TimeUnit.SECONDS)
class RestartTest {

  /** Writes keys {@code key/00000} to {@code key/<keys-1>}, {@code perTxn} per transaction. */
  static void fill(MetadataStore store, int keys, int perTxn) {
    for (int i = 0; i < keys; i += perTxn) {
      final List<Op> ops = new ArrayList<>();
      for (int j = i; j < Math.min(keys, i + perTxn); j++) {
        ops.add(Op.put(String.format("key/%05d", j), "value-" + j + "-" + "x".repeat(100)));
      }
      await(store.txn(Txn.of(List.of(), ops)));
    }
  }

  /** Snapshot files under a node's directory (Ratis may delete old ones while we look). */
  static List<Path> snapshotFiles(Path nodeDir) throws IOException {
    for (int attempt = 0; ; attempt++) {
      try (Stream<Path> walk = Files.walk(nodeDir)) {
        return walk.filter(p -> p.getFileName().toString().matches("snapshot\\.\\d+_\\d+")).toList();
      } catch (java.io.UncheckedIOException e) {
        if (attempt == 5) {
          throw e.getCause();
        }
      }
    }
  }

  /** Restarts every node; the state after (with {@code keys} filled, one deleted) must equal the state before. */
  private void restartAllAndCompare(TestCluster c, int keys) {
    final RaftNode leader = c.leader();
    await(leader.metadata().delete("key/00003"));
    final ReadResult before = await(leader.metadata().range(""));
    assertThat(before.kvs()).as("every key filled, one deleted").hasSize(keys - 1);
    c.awaitApplied(leader.status().commitIndex());
    final List<String> ids = c.running().stream().map(RaftNode::nodeId).toList();
    ids.forEach(c::crash);
    ids.forEach(c::start);
    final RaftNode again = c.leader();
    final ReadResult after = await(again.metadata().range(""));
    assertThat(after.kvs()).isEqualTo(before.kvs());
    assertThat(after.revision()).isEqualTo(before.revision());
    for (RaftNode n : c.running()) {
      Timing.waitUntil(n.nodeId() + " replays to revision " + before.revision(), Duration.ofSeconds(10),
          () -> await(n.metadata().range("", ReadConsistency.STALE)).revision() >= before.revision());
      assertThat(await(n.metadata().range("", ReadConsistency.STALE)).kvs()).isEqualTo(before.kvs());
    }
  }

  @Test
  void restartFromTheLogAloneReturnsIdenticalState() throws Exception {
    try (TestCluster c = new TestCluster(3).start()) {
      fill(c.leader().metadata(), 200, 10);
      restartAllAndCompare(c, 200);
      assertThat(snapshotFiles(c.dir("n1"))).as("no snapshot was needed").isEmpty();
    }
  }

  @Test
  void restartFromSnapshotsAndLogReturnsIdenticalState() throws Exception {
    try (TestCluster c = new TestCluster(3, b -> b.snapshotThreshold(25)).start()) {
      fill(c.leader().metadata(), 500, 5);
      Timing.waitUntil("every node took a snapshot", Duration.ofSeconds(10), () -> {
        try {
          return !snapshotFiles(c.dir("n1")).isEmpty() && !snapshotFiles(c.dir("n2")).isEmpty()
              && !snapshotFiles(c.dir("n3")).isEmpty();
        } catch (IOException e) {
          return false;
        }
      });
      restartAllAndCompare(c, 500);
    }
  }

  @Test
  void followerDownForManySnapshotsCatchesUpBySnapshotInstall() throws Exception {
    try (TestCluster c = new TestCluster(3, b -> b.snapshotThreshold(20).maxValueBytes(1024)
        .maxRequestBytes(8 * 1024).logSegmentBytes(80 * 1024)).start()) {
      final RaftNode leader = c.leader();
      final RaftNode lagging = c.other(leader);
      fill(leader.metadata(), 20, 10);
      c.crash(lagging.nodeId());
      fill(leader.metadata(), 2000, 5);
      final RaftNode back = c.start(lagging.nodeId());
      final ReadResult expected = await(c.leader().metadata().range(""));
      Timing.waitUntil(back.nodeId() + " catches up", Duration.ofSeconds(30),
          () -> await(back.metadata().range("", ReadConsistency.STALE)).revision() >= expected.revision());
      assertThat(await(back.metadata().range("", ReadConsistency.STALE)).kvs()).isEqualTo(expected.kvs());
      assertThat(back.installedSnapshots()).as("caught up through a snapshot, the log being purged").isPositive();
    }
  }
}
