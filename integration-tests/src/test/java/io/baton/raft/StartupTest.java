package io.baton.raft;

import static io.baton.testkit.Timing.await;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.baton.store.ClosedException;
import io.baton.store.StorageException;
import io.baton.testkit.Dirs;
import io.baton.testkit.Ports;
import io.baton.testkit.TestCluster;
import io.baton.testkit.Timing;
import java.io.IOException;
import java.io.RandomAccessFile;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/** Bad storage, busy ports and corrupt files stop a node at start with an error that names them. */
@Timeout(value = 90, unit = TimeUnit.SECONDS)
class StartupTest {
  /** The names of Ratis' log segment files. */
  static final String LOG_SEGMENT = "log_(inprogress_)?\\d+(-\\d+)?";
  private final Path root;

  StartupTest() throws IOException {
    root = Files.createTempDirectory("baton-startup-");
  }

  @AfterEach
  void cleanUp() {
    Dirs.deleteRecursively(root);
  }

  private RaftNodeOptions.Builder single(String cluster, Path dir) {
    return RaftNodeOptions.builder().clusterName(cluster).nodeId("n1")
        .peers(List.of(new Peer("n1", "127.0.0.1", Ports.free()))).storageDir(dir);
  }

  @Test
  void storageDirThatIsAFileIsRefused() throws IOException {
    final Path file = Files.writeString(root.resolve("not-a-dir"), "x");
    final RaftNode node = new RaftNode(single("c", file).build());
    assertThatThrownBy(node::start).isInstanceOf(StorageException.class)
        .hasMessageContaining("not-a-dir")
        .satisfies(e -> assertThat(((StorageException) e).file()).isEqualTo(file));
    assertThat(node.state()).isEqualTo(RaftNode.State.CLOSED);
  }

  @Test
  void busyRaftPortIsNamed() throws IOException {
    try (ServerSocket busy = new ServerSocket()) {
      busy.bind(new InetSocketAddress("127.0.0.1", 0));
      final RaftNode node = new RaftNode(single("c", root.resolve("n1"))
          .peers(List.of(new Peer("n1", "127.0.0.1", busy.getLocalPort()))).build());
      assertThatThrownBy(node::start).isInstanceOf(IllegalArgumentException.class)
          .hasMessageContaining("127.0.0.1:" + busy.getLocalPort());
    }
  }

  @Test
  void aCloseDuringTheStartStopsTheServerTheStartCreated() throws Exception {
    for (int round = 0; round < 5; round++) {
      final int port = Ports.free();
      final RaftNode node = new RaftNode(single("c", root.resolve("race-" + round))
          .peers(List.of(new Peer("n1", "127.0.0.1", port))).build());
      final java.util.concurrent.CompletableFuture<Void> starting = java.util.concurrent.CompletableFuture.runAsync(() -> {
        try {
          node.start();
        } catch (IllegalStateException closedFirst) { // the close came first: start() refuses a closed node
          assertThat(closedFirst).hasMessageContaining("CLOSED");
        }
      });
      Thread.sleep(round * 40L); // before, during and after the server's start
      node.close();
      starting.get(30, TimeUnit.SECONDS);
      assertThat(node.state()).isEqualTo(RaftNode.State.CLOSED);
      assertThat(node.serverAlive()).isFalse();
      try (ServerSocket free = new ServerSocket()) { // nothing left listening on the Raft port
        free.setReuseAddress(true);
        free.bind(new InetSocketAddress("127.0.0.1", port));
      }
    }
  }

  @Test
  void startingTwiceOrAfterCloseIsAnError() {
    final RaftNode node = new RaftNode(single("c", root.resolve("n1")).build());
    node.start();
    try {
      assertThatThrownBy(node::start).isInstanceOf(IllegalStateException.class).hasMessageContaining("once");
    } finally {
      node.close();
    }
    assertThatThrownBy(node::metadata).isInstanceOf(ClosedException.class);
  }

  @Test
  void anotherClustersDataIsNotReused() {
    final Path dir = root.resolve("n1");
    final RaftNode first = new RaftNode(single("alpha", dir).build());
    first.start();
    first.close();
    final RaftNode other = new RaftNode(single("beta", dir).build());
    assertThatThrownBy(other::start).isInstanceOf(StorageException.class)
        .hasMessageContaining("another cluster's data").hasMessageContaining("'beta'");
  }

  /** A single-node cluster with some data, stopped; returns its options for restarting. */
  private RaftNodeOptions writeAndStop(long snapshotThreshold, int keys) {
    final RaftNodeOptions options = single("c", root.resolve("n1")).snapshotThreshold(snapshotThreshold).build();
    final RaftNode node = new RaftNode(options);
    node.start();
    try {
      Timing.waitUntil("leader", java.time.Duration.ofSeconds(10), () -> node.leadership().leader());
      for (int i = 0; i < keys; i++) {
        await(node.metadata().put("k" + i, "value-" + i));
      }
    } finally {
      node.close();
    }
    return options;
  }

  /** The files under {@code dir} whose names match {@code regex}, sorted. */
  static List<Path> files(Path dir, String regex) throws IOException {
    try (Stream<Path> walk = Files.walk(dir)) {
      return walk.filter(p -> p.getFileName().toString().matches(regex)).sorted().toList();
    }
  }

  /** Flips the bits of one byte of {@code file}: damage a checksum must catch. */
  static void flipByte(Path file, long offset) throws IOException {
    try (RandomAccessFile f = new RandomAccessFile(file.toFile(), "rw")) {
      f.seek(offset);
      final int b = f.read();
      f.seek(offset);
      f.write(b ^ 0x5a);
    }
  }

  @Test
  void restartRecoversTheData() {
    final RaftNodeOptions options = writeAndStop(20, 50);
    final RaftNode again = new RaftNode(options);
    again.start();
    try {
      Timing.waitUntil("leader", java.time.Duration.ofSeconds(10), () -> again.leadership().leader());
      assertThat(await(again.metadata().range("k")).kvs()).hasSize(50);
    } finally {
      again.close();
    }
  }

  @Test
  void corruptSnapshotRefusesToStartAndNamesTheFile() throws IOException {
    final RaftNodeOptions options = writeAndStop(20, 50);
    final List<Path> snapshots = files(root, "snapshot\\.\\d+_\\d+");
    assertThat(snapshots).isNotEmpty();
    final Path latest = snapshots.get(snapshots.size() - 1);
    flipByte(latest, Files.size(latest) / 2);
    final RaftNode node = new RaftNode(options);
    assertThatThrownBy(node::start).isInstanceOf(StorageException.class)
        .hasMessageContaining("corrupt snapshot")
        .hasMessageContaining(latest.getFileName().toString());
  }

  @Test
  void corruptLogRefusesToStartAndNamesTheFile() throws IOException {
    final RaftNodeOptions options = writeAndStop(100_000, 30);
    final List<Path> segments = files(root, LOG_SEGMENT);
    assertThat(segments).isNotEmpty();
    final Path segment = segments.get(0);
    flipByte(segment, Files.size(segment) / 2);
    final RaftNode node = new RaftNode(options);
    assertThatThrownBy(node::start).isInstanceOf(StorageException.class)
        .hasMessageContaining("log is corrupt")
        .satisfies(e -> assertThat(((StorageException) e).file().getFileName()).isEqualTo(segment.getFileName()));
  }

  @Test
  void anEmptyVoteRecordRefusesToStartAndNamesTheFile() throws IOException {
    final RaftNodeOptions options = writeAndStop(100_000, 5);
    final List<Path> metas = files(root, "raft-meta");
    assertThat(metas).hasSize(1);
    Files.write(metas.get(0), new byte[0]); // what Ratis leaves when it wrote the record on a full disk
    final RaftNode node = new RaftNode(options);
    assertThatThrownBy(node::start).isInstanceOf(StorageException.class)
        .hasMessageContaining("term and vote record is unreadable")
        .hasMessageContaining("wipe its storage directory")
        .satisfies(e -> assertThat(((StorageException) e).file()).isEqualTo(metas.get(0)));
  }
}
