package io.baton.raft;

import static io.baton.testkit.Timing.await;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.baton.store.ReadConsistency;
import io.baton.store.StorageException;
import io.baton.testkit.Dirs;
import io.baton.testkit.TestCluster;
import io.baton.testkit.Timing;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * The documented recovery of a node whose storage is damaged: it refuses to start naming the
 * file; the cluster removes it, its directory is wiped, it starts again as a joining node and is
 * added back; it then has every key the others have, and the cluster tolerates a failure again.
 */
@Timeout(value = 120, unit = TimeUnit.SECONDS)
class WipeAndRejoinTest {

  @Test
  void aNodeWithACorruptLogIsWipedRemovedAndAddedBackAndCatchesUp() throws IOException {
    try (TestCluster c = new TestCluster(3, b -> b.snapshotThreshold(1_000_000)).start()) {
      final RaftNode leader = c.awaitStable();
      for (int i = 0; i < 60; i++) {
        await(leader.metadata().put("k" + i, "v" + i));
      }
      final RaftNode damaged = c.other(leader);
      final String id = damaged.nodeId();
      c.awaitApplied(leader.status().appliedIndex());
      c.crash(id);

      // the damage is found at start and named; the node does not serve
      final Path segment = StartupTest.files(c.dir(id), StartupTest.LOG_SEGMENT).get(0);
      StartupTest.flipByte(segment, Files.size(segment) / 2);
      final RaftNode refused = new RaftNode(c.optionsFor(id).build());
      assertThatThrownBy(refused::start).isInstanceOf(StorageException.class)
          .satisfies(e -> assertThat(((StorageException) e).file().getFileName()).isEqualTo(segment.getFileName()));

      // the two others keep serving meanwhile
      for (int i = 60; i < 80; i++) {
        await(leader.metadata().put("k" + i, "v" + i));
      }

      // the recovery: remove it, wipe its directory, start it joining, add it back
      await(leader.removePeer(id));
      Timing.waitUntil("two members", Duration.ofSeconds(10), () -> leader.members().size() == 2);
      Dirs.deleteRecursively(c.dir(id));
      // at its old address, as a joining node (what baton.raft.join=true does): the others as its peers
      final Peer self = c.peers().stream().filter(p -> p.id().equals(id)).findFirst().orElseThrow();
      final List<Peer> others = c.peers().stream().filter(p -> !p.id().equals(id)).toList();
      try (RaftNode rejoined = new RaftNode(c.optionsFor(id).peers(others).self(self).join(true).build())) {
        rejoined.start();
        await(leader.addPeer(self));
        Timing.waitUntil("three members", Duration.ofSeconds(10), () -> leader.members().size() == 3);
        final long last = await(leader.metadata().put("after", "rejoin"));
        Timing.waitUntil(id + " has every key", Duration.ofSeconds(20),
            () -> await(rejoined.metadata().range("", ReadConsistency.STALE)).revision() >= last);
        assertThat(await(rejoined.metadata().range("", ReadConsistency.STALE)).kvs())
            .isEqualTo(await(leader.metadata().range("", ReadConsistency.STALE)).kvs());

        // a majority again without the old leader: the rejoined node counts
        c.crash(leader.nodeId());
        final RaftNode next = Timing.waitFor("a leader among the others", Duration.ofSeconds(15),
            () -> rejoined.leadership().leader() ? rejoined
                : c.running().stream().filter(n -> n.leadership().leader()).findFirst().orElse(null));
        assertThat(await(next.metadata().put("after-leader-loss", "x"))).isGreaterThan(last);
      }
    }
  }
}
