package io.baton.raft;

import static io.baton.testkit.Timing.await;
import static org.assertj.core.api.Assertions.assertThat;

import io.baton.store.KeyValue;
import io.baton.store.ReadConsistency;
import io.baton.testkit.TestCluster;
import io.baton.testkit.Timing;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * The leader's disk fills up (each node's storage is a small tmpfs of its own): its Raft log fails
 * with "No space left on device", it says so and stops leading, the two others elect and keep
 * accepting writes, nothing acknowledged is lost; once space is back, a restart of the node
 * recovers it from its storage and it catches up. Needs root (mount); skipped with the reason
 * otherwise.
 */
@Timeout(value = 120, unit = TimeUnit.SECONDS)
class DiskFullTest {
  private static final List<String> IDS = List.of("n1", "n2", "n3");

  private static int run(String... cmd) throws IOException, InterruptedException {
    final Process p = new ProcessBuilder(cmd).redirectErrorStream(true).start();
    p.getInputStream().readAllBytes();
    return p.waitFor();
  }

  /** One put; recorded when acknowledged. A put that fails has an unknown outcome: it may or may not be there. */
  private static void put(MetadataClient client, String key, byte[] value, Map<String, Long> acknowledged) {
    try {
      acknowledged.put(key, await(client.put(key, value)));
    } catch (RuntimeException | AssertionError e) {
      // cut off by the leader change: not acknowledged
    }
  }

  @Test
  void aFullDiskFailsTheLeadersLogTheOthersServeAndARestartRecoversIt() throws Exception {
    try (TestCluster c = new TestCluster(3, b -> b.maxValueBytes(64 * 1024).maxRequestBytes(128 * 1024)
        .logSegmentBytes(256 * 1024).snapshotThreshold(1_000_000))) {
      final List<Path> mounted = new ArrayList<>();
      try {
        for (String id : IDS) {
          Files.createDirectories(c.dir(id));
          final int code = run("mount", "-t", "tmpfs", "-o", "size=8m", "tmpfs", c.dir(id).toString());
          Assumptions.assumeTrue(code == 0, "cannot mount a tmpfs (needs root): exit " + code);
          mounted.add(c.dir(id));
        }
        c.start();
        final RaftNode full = c.awaitStable();
        final Path filler = c.dir(full.nodeId()).resolve("filler");
        final long free = Files.getFileStore(c.dir(full.nodeId())).getUsableSpace();
        assertThat(run("fallocate", "-l", String.valueOf(free - 600 * 1024), filler.toString())).isZero();

        final Map<String, Long> acknowledged = new LinkedHashMap<>();
        final byte[] value = new byte[32 * 1024];
        try (MetadataClient client = new MetadataClient(c.clusterName(), c.peers(), Duration.ofSeconds(5))) {
          // write until the full node's log fails (600 KiB of room: a few segments), at most 200 values
          for (int i = 0; i < 200 && full.logFailure().isEmpty(); i++) {
            put(client, "big/" + i, value, acknowledged);
          }
          // the full node said why, and stays up; another node leads
          assertThat(full.logFailure()).hasValueSatisfying(f -> assertThat(f).contains("No space left on device"));
          assertThat(full.state()).isEqualTo(RaftNode.State.STARTED);
          Timing.waitFor("a leader other than " + full.nodeId(), Duration.ofSeconds(15),
              () -> c.running().stream().filter(n -> n != full && n.leadership().leader()).findFirst().orElse(null));
          // and the cluster accepts writes again
          for (int i = 0; i < 10; i++) {
            final long revision = await(client.put("after-failure/" + i, value));
            acknowledged.put("after-failure/" + i, revision);
          }
        }
        final RaftNode leader = Timing.waitFor("the leader", Duration.ofSeconds(15),
            () -> c.running().stream().filter(n -> n != full && n.leadership().leader()).findFirst().orElse(null));
        final Map<String, Long> stored = new LinkedHashMap<>();
        for (KeyValue kv : await(leader.metadata().range("")).kvs()) {
          stored.put(kv.key(), kv.modRevision());
        }
        assertThat(stored).containsAllEntriesOf(acknowledged);

        // space returns; the node is restarted (what its failed liveness asks for) and catches up
        Files.delete(filler);
        final long last = await(leader.metadata().put("after", "space returned"));
        final RaftNode restarted = c.restart(full.nodeId());
        assertThat(Files.size(c.dir(full.nodeId()).resolve(StorageReserve.FILE_NAME))).isEqualTo(StorageReserve.BYTES);
        Timing.waitUntil(full.nodeId() + " caught up", Duration.ofSeconds(20),
            () -> restarted.status().appliedIndex() >= leader.status().appliedIndex()
                && await(restarted.metadata().range("", ReadConsistency.STALE)).revision() >= last);
        assertThat(await(restarted.metadata().range("", ReadConsistency.STALE)).kvs())
            .isEqualTo(await(leader.metadata().range("", ReadConsistency.STALE)).kvs());
      } finally {
        c.close();
        for (Path dir : mounted) {
          run("umount", "-l", dir.toString());
        }
      }
    }
  }
}
