package io.baton.raft;

import static io.baton.testkit.Timing.await;
import static org.assertj.core.api.Assertions.assertThat;

import io.baton.store.ReadConsistency;
import io.baton.store.ReadResult;
import io.baton.testkit.TestCluster;
import io.baton.testkit.Timing;
import java.io.OutputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * A backup taken from a running cluster, restored into a new one: identical keys and revisions,
 * the log and the revisions continue above the backup, and a member that was not restored gets the
 * state from the leader.
 */
@Timeout(value = 120, unit = TimeUnit.SECONDS)
class BackupRestoreTest {
  @TempDir
  Path dir;

  @Test
  void aRestoredClusterHasTheBackupsStateAndContinuesAboveIt() throws Exception {
    final Path file = dir.resolve("cluster.backup");
    final ReadResult before;
    final Backup.Info info;
    final String oldCluster;
    try (TestCluster old = new TestCluster(3).start()) {
      oldCluster = old.clusterName();
      final RaftNode leader = old.awaitStable();
      RestartTest.fill(leader.metadata(), 120, 10);
      final long lease = await(leader.metadata().grantLease(Duration.ofMinutes(5)));
      await(leader.metadata().put("leased/owner", "n1".getBytes(), lease));
      await(leader.metadata().delete("key/00007"));
      // the write just acknowledged is in a backup taken at once on a follower (its barrier)
      final long last = await(leader.metadata().put("last", "written just before the backup"));
      try (OutputStream out = Files.newOutputStream(file)) {
        info = await(old.other(leader).backup(out));
      }
      before = await(leader.metadata().range(""));
      assertThat(info.revision()).isEqualTo(last).isEqualTo(before.revision());
    }
    assertThat(info.keys()).isEqualTo(before.kvs().size());
    assertThat(info.clusterName()).isEqualTo(oldCluster);

    try (TestCluster restored = new TestCluster(3)) {
      final Backup backup = Backup.read(file);
      assertThat(backup.info()).isEqualTo(info);
      // n3 is not restored: it gets the state from the leader (its log starts after the backup)
      final Path placed = backup.restoreInto(restored.dir("n1"), restored.clusterName());
      backup.restoreInto(restored.dir("n2"), restored.clusterName());
      restored.start();
      assertThat(placed).doesNotExist();
      assertThat(placed.resolveSibling(placed.getFileName() + ".restored")).exists();

      final RaftNode leader = restored.awaitStable();
      final ReadResult after = await(leader.metadata().range(""));
      assertThat(after.kvs()).isEqualTo(before.kvs());
      assertThat(after.revision()).isEqualTo(before.revision());
      assertThat(leader.status().commitIndex()).as("the log continues after the backup's index")
          .isGreaterThan(info.logIndex());

      final long next = await(leader.metadata().put("after/restore", "x"));
      assertThat(next).as("a revision (so an epoch) above every one in the backup").isEqualTo(info.revision() + 1);
      final long lease = await(leader.metadata().grantLease(Duration.ofMinutes(5)));
      assertThat(lease).as("a new lease id cannot collide with a restored one").isGreaterThan(info.logIndex());

      final RaftNode notRestored = restored.node("n3");
      Timing.waitUntil("n3 catches up from the leader", Duration.ofSeconds(20),
          () -> await(notRestored.metadata().range("", ReadConsistency.STALE)).revision() >= next);
      final ReadResult n3 = await(notRestored.metadata().range("", ReadConsistency.STALE));
      assertThat(n3.kvs()).hasSize(before.kvs().size() + 1).containsAll(before.kvs());

      // a restored node restarts from its own disk, not from the placed file
      final RaftNode n1 = restored.restart("n1");
      Timing.waitUntil("n1 replays to " + next, Duration.ofSeconds(20),
          () -> await(n1.metadata().range("", ReadConsistency.STALE)).revision() >= next);
      assertThat(await(n1.metadata().range("", ReadConsistency.STALE)).kvs()).containsAll(before.kvs());
    }
  }
}
