package io.baton.raft;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.baton.store.Op;
import io.baton.store.StorageException;
import io.baton.store.Txn;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The backup file: what it records, and every way a damaged or misplaced one is refused. */
class BackupFileTest {
  @TempDir
  Path dir;

  /** A backup of a state with three keys at revision 3, log index 12, as a node would write it. */
  private Path writeBackup(String name) throws IOException {
    final KvState state = new KvState(100);
    long index = 9;
    for (String key : List.of("a", "b", "c")) {
      state.apply(new Command.TxnCommand(Txn.of(List.of(), List.of(Op.put(key, "v-" + key)))), ++index, 1);
    }
    final ByteArrayOutputStream snapshot = new ByteArrayOutputStream();
    state.writeSnapshot(snapshot);
    final Path file = dir.resolve(name);
    try (var out = Files.newOutputStream(file)) {
      Backup.write(out, "old", "n2", Instant.ofEpochMilli(1_700_000_000_000L), state.revision(), state.appliedIndex(),
          state.size(), snapshot.toByteArray());
    }
    return file;
  }

  @Test
  void recordsWhereItComesFromAndWhatItHolds() throws IOException {
    final Backup.Info info = Backup.read(writeBackup("b")).info();
    assertThat(info.clusterName()).isEqualTo("old");
    assertThat(info.clusterId()).isEqualTo(RaftNode.groupIdOf("old").getUuid().toString());
    assertThat(info.node()).isEqualTo("n2");
    assertThat(info.created()).isEqualTo(Instant.ofEpochMilli(1_700_000_000_000L));
    assertThat(info.revision()).isEqualTo(3);
    assertThat(info.logIndex()).isEqualTo(12);
    assertThat(info.keys()).isEqualTo(3);
    assertThat(info.bytes()).isEqualTo(Files.size(dir.resolve("b")));
    assertThat(info.sha256()).hasSize(64);
  }

  @Test
  void aFlippedByteIsRefusedAsCorrupt() throws IOException {
    final Path file = writeBackup("b");
    final byte[] bytes = Files.readAllBytes(file);
    bytes[bytes.length / 2] ^= 0x40;
    Files.write(file, bytes);
    assertThatThrownBy(() -> Backup.read(file)).isInstanceOf(StorageException.class)
        .hasMessageContaining("corrupt").hasMessageContaining("SHA-256").hasMessageContaining(file.toString());
  }

  @Test
  void aTruncatedBackupIsRefusedWithItsLength() throws IOException {
    final Path file = writeBackup("b");
    final byte[] bytes = Files.readAllBytes(file);
    for (int length : new int[] {bytes.length - 1, bytes.length / 2, 20, 9}) {
      Files.write(file, java.util.Arrays.copyOf(bytes, length));
      assertThatThrownBy(() -> Backup.read(file)).as("cut to %d bytes", length).isInstanceOf(StorageException.class)
          .hasMessageContaining("truncated").hasMessageContaining(length + " bytes");
    }
  }

  @Test
  void otherFilesAreNotBackups() throws IOException {
    final Path file = dir.resolve("notes.txt");
    Files.writeString(file, "hello, this is not a backup at all");
    assertThatThrownBy(() -> Backup.read(file)).isInstanceOf(StorageException.class)
        .hasMessageContaining("not a Baton backup");
    assertThatThrownBy(() -> Backup.read(dir.resolve("missing"))).isInstanceOf(StorageException.class)
        .hasMessageContaining("not found");
  }

  @Test
  void restoresOnlyIntoANewClusterAndAnEmptyDirectory() throws IOException {
    final Backup backup = Backup.read(writeBackup("b"));
    assertThatThrownBy(() -> backup.restoreInto(dir.resolve("n1"), "old"))
        .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("another name");

    final Path placed = backup.restoreInto(dir.resolve("n1"), "new");
    assertThat(placed.getFileName().toString())
        .isEqualTo(Backup.restoreFileName(RaftNode.groupIdOf("new").getUuid().toString()));
    assertThat(Files.readAllBytes(placed)).isEqualTo(Files.readAllBytes(dir.resolve("b")));
    assertThatThrownBy(() -> backup.restoreInto(dir.resolve("n1"), "new")).isInstanceOf(StorageException.class)
        .hasMessageContaining("already holds a backup");

    final Path used = dir.resolve("n2");
    Files.createDirectories(used.resolve(RaftNode.groupIdOf("other").getUuid().toString()));
    assertThatThrownBy(() -> backup.restoreInto(used, "new")).isInstanceOf(StorageException.class)
        .hasMessageContaining("already holds a cluster's data");
  }

  private static int freePort() throws IOException {
    try (var socket = new java.net.ServerSocket(0)) {
      return socket.getLocalPort();
    }
  }

  @Test
  void aNodeRefusesABackupPlacedForAnotherCluster() throws IOException {
    final Path storage = dir.resolve("n1");
    Backup.read(writeBackup("b")).restoreInto(storage, "new");
    final RaftNodeOptions options = RaftNodeOptions.builder().clusterName("third").nodeId("n1")
        .peers(Peer.parseList("n1=127.0.0.1:" + freePort())).storageDir(storage).build();
    try (RaftNode node = new RaftNode(options)) {
      assertThatThrownBy(node::start).isInstanceOf(StorageException.class)
          .hasMessageContaining("backup placed for another cluster");
    }
  }
}
