package io.baton.raft;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import io.baton.store.StorageException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Space set aside in a node's storage directory for the writes a node must still make once its
 * disk is full. When Ratis' log fails for want of space the node steps down and then votes, and
 * Ratis writes its term and vote to {@code raft-meta} through a temporary file that it renames into
 * place even when writing it failed: on a full disk the vote record becomes an empty file and the
 * node can no longer start. The reserve (a file of {@link #BYTES} written at start) is deleted when
 * the log fails, so that the vote record can still be written; the next start sets it aside again,
 * and refuses to start when it cannot. It does not help against another process that takes the
 * freed space first.
 */
final class StorageReserve {
  static final String FILE_NAME = "baton-reserve";
  static final int BYTES = 1 << 20;
  private static final Logger LOG = LoggerFactory.getLogger(StorageReserve.class);

  private final String node;
  private final Path file;

  StorageReserve(String node, Path storageDir) {
    this.node = node;
    this.file = storageDir.resolve(FILE_NAME);
  }

  /**
   * Writes the reserve unless it is there already: random bytes (zeros would take no space on a
   * compressing file system), forced to disk.
   *
   * @throws StorageException naming the file when the disk has no room for it: a node that starts
   *     on a full disk would soon lose its vote record, so it asks for space first
   */
  void ensure() {
    try {
      if (Files.exists(file) && Files.size(file) == BYTES) {
        return;
      }
      try (FileChannel ch = FileChannel.open(file, StandardOpenOption.CREATE, StandardOpenOption.WRITE,
          StandardOpenOption.TRUNCATE_EXISTING)) {
        final byte[] chunk = new byte[64 * 1024];
        final java.util.Random random = new java.util.Random();
        for (int written = 0; written < BYTES; written += chunk.length) {
          random.nextBytes(chunk);
          final ByteBuffer buffer = ByteBuffer.wrap(chunk);
          while (buffer.hasRemaining()) {
            ch.write(buffer);
          }
        }
        ch.force(true);
      }
    } catch (IOException e) {
      release();
      throw new StorageException(file, "node " + node + " refuses to start: it cannot set aside " + BYTES / 1024
          + " KiB in its storage directory (" + e + "); free space first (a node on a full disk would lose its"
          + " term and vote record)", e);
    }
  }

  /** Deletes the reserve, freeing its space; true when there was one. */
  boolean release() {
    try {
      return Files.deleteIfExists(file);
    } catch (IOException e) {
      LOG.warn("node {}: cannot delete the storage reserve {}: {}", node, file, e.toString());
      return false;
    }
  }
}
