package io.baton.raft;

import io.baton.store.StorageException;
import java.io.ByteArrayOutputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.BufferUnderflowException;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.time.Instant;
import java.util.Arrays;
import java.util.HexFormat;

/**
 * A backup of a Baton store: a consistent point-in-time copy of one replica's whole state (keys
 * with their revisions, leases, watch history) taken by {@link RaftNode#backup(OutputStream)}, with
 * the cluster it came from and a SHA-256 over the file.
 *
 * <p>A backup is restored into a <em>new</em> cluster (another cluster name, so another cluster
 * id): {@link #restoreInto(Path, String)} verifies it and places it in each new node's empty
 * storage directory; on its first start the node begins from it, with the same revisions, and its
 * Raft log continues after the backup's log index. Every revision written afterwards, and so every
 * fencing epoch, is higher than any in the backup.
 *
 * <p>File layout (big-endian): {@code BATONBAK}, format (int), cluster name, cluster id, node
 * (modified UTF-8 each), creation time (epoch millis), revision, log index (longs), key count,
 * state length (ints), the state (the node's snapshot format, with its own CRC32C), then the
 * SHA-256 of everything before it.
 */
public final class Backup {
  static final byte[] MAGIC = "BATONBAK".getBytes(StandardCharsets.US_ASCII);
  static final int FORMAT = 1;
  private static final int DIGEST_BYTES = 32;
  private static final String RESTORE_PREFIX = "restore-";
  private static final String RESTORE_SUFFIX = ".backup";

  /**
   * What a backup holds.
   *
   * @param clusterName  the cluster it was taken from
   * @param clusterId    that cluster's id (its Raft group)
   * @param node         the node that wrote it
   * @param created      when
   * @param revision     the store revision it reflects
   * @param logIndex     the Raft log index it reflects (a restored cluster's log continues after it)
   * @param keys         how many keys it holds
   * @param bytes        the file's size
   * @param sha256       the SHA-256 over the file's content (hex), stored in its last 32 bytes
   */
  public record Info(String clusterName, String clusterId, String node, Instant created, long revision,
      long logIndex, int keys, long bytes, String sha256) {}

  private final Path file;
  private final Info info;
  private final byte[] state;
  private final byte[] content;

  private Backup(Path file, Info info, byte[] state, byte[] content) {
    this.file = file;
    this.info = info;
    this.state = state;
    this.content = content;
  }

  public Info info() {
    return info;
  }

  /** The file it was read from. */
  public Path file() {
    return file;
  }

  /** The state in the node's snapshot format. */
  byte[] state() {
    return state;
  }

  /** Writes a backup of {@code state} (the node's snapshot format) and says what it holds. */
  static Info write(OutputStream out, String clusterName, String node, Instant created, long revision,
      long logIndex, int keys, byte[] state) throws IOException {
    final ByteArrayOutputStream bytes = new ByteArrayOutputStream(state.length + 256);
    final DataOutputStream d = new DataOutputStream(bytes);
    final String clusterId = RaftNode.groupIdOf(clusterName).getUuid().toString();
    d.write(MAGIC);
    d.writeInt(FORMAT);
    d.writeUTF(clusterName);
    d.writeUTF(clusterId);
    d.writeUTF(node);
    d.writeLong(created.toEpochMilli());
    d.writeLong(revision);
    d.writeLong(logIndex);
    d.writeInt(keys);
    d.writeInt(state.length);
    d.write(state);
    d.flush();
    final byte[] digest = sha256().digest(bytes.toByteArray());
    d.write(digest);
    d.flush();
    bytes.writeTo(out);
    return new Info(clusterName, clusterId, node, Instant.ofEpochMilli(created.toEpochMilli()), revision, logIndex,
        keys, bytes.size(), HexFormat.of().formatHex(digest));
  }

  /**
   * Reads and verifies a backup: its magic bytes, format, length, SHA-256 and the state inside.
   *
   * @throws StorageException naming the file when it is missing, truncated, corrupt or not a backup
   */
  public static Backup read(Path file) {
    final byte[] bytes;
    try {
      bytes = Files.readAllBytes(file);
    } catch (NoSuchFileException e) {
      throw new StorageException(file, "backup file not found", e);
    } catch (IOException e) {
      throw new StorageException(file, "cannot read the backup: " + e, e);
    }
    try {
      return parse(file, bytes);
    } catch (BufferUnderflowException e) {
      throw new StorageException(file, "backup is truncated: " + bytes.length + " bytes end inside its header", e);
    }
  }

  private static Backup parse(Path file, byte[] bytes) {
    if (bytes.length < MAGIC.length || !Arrays.equals(bytes, 0, MAGIC.length, MAGIC, 0, MAGIC.length)) {
      throw new StorageException(file, "not a Baton backup (it does not start with " + new String(MAGIC,
          StandardCharsets.US_ASCII) + ")", null);
    }
    final ByteBuffer buf = ByteBuffer.wrap(bytes);
    buf.position(MAGIC.length);
    final int format = buf.getInt();
    if (format != FORMAT) {
      throw new StorageException(file, "backup format " + format + " is not supported (this version reads format "
          + FORMAT + ")", null);
    }
    final String clusterName = utf(buf);
    final String clusterId = utf(buf);
    final String node = utf(buf);
    final long created = buf.getLong();
    final long revision = buf.getLong();
    final long logIndex = buf.getLong();
    final int keys = buf.getInt();
    final int stateLength = buf.getInt();
    final long expected = (long) buf.position() + stateLength + DIGEST_BYTES;
    if (stateLength < 0 || bytes.length < expected) {
      throw new StorageException(file, "backup is truncated: " + bytes.length + " bytes, its header promises "
          + expected, null);
    }
    if (bytes.length > expected) {
      throw new StorageException(file, "backup has " + (bytes.length - expected) + " bytes after its end", null);
    }
    final int content = bytes.length - DIGEST_BYTES;
    final MessageDigest sha = sha256();
    sha.update(bytes, 0, content);
    final byte[] digest = sha.digest();
    if (!Arrays.equals(digest, 0, DIGEST_BYTES, bytes, content, bytes.length)) {
      throw new StorageException(file, "backup is corrupt: its SHA-256 does not match its content (stored "
          + HexFormat.of().formatHex(bytes, content, bytes.length) + ", computed " + HexFormat.of().formatHex(digest)
          + ")", null);
    }
    final byte[] state = Arrays.copyOfRange(bytes, buf.position(), buf.position() + stateLength);
    final KvState check = new KvState(1);
    try {
      check.readSnapshot(state);
    } catch (IllegalArgumentException e) {
      throw new StorageException(file, "backup holds an unreadable state: " + e.getMessage(), e);
    }
    if (check.revision() != revision || check.appliedIndex() != logIndex || check.size() != keys) {
      throw new StorageException(file, "backup header (revision " + revision + ", log index " + logIndex + ", "
          + keys + " keys) does not match its state (revision " + check.revision() + ", log index "
          + check.appliedIndex() + ", " + check.size() + " keys)", null);
    }
    return new Backup(file, new Info(clusterName, clusterId, node, Instant.ofEpochMilli(created), revision, logIndex,
        keys, bytes.length, HexFormat.of().formatHex(digest)), state, bytes);
  }

  private static String utf(ByteBuffer buf) {
    final int length = Short.toUnsignedInt(buf.getShort());
    final byte[] b = new byte[length];
    buf.get(b);
    return new String(b, StandardCharsets.UTF_8);
  }

  private static MessageDigest sha256() {
    try {
      return MessageDigest.getInstance("SHA-256");
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException("this JDK has no SHA-256", e);
    }
  }

  /**
   * Places this backup in a new node's storage directory, so that the node starts from it. Run it
   * for every node of the new cluster, with the same backup and cluster name, before their first
   * start; a node of that cluster started without it still gets the state (by snapshot from the
   * leader) as long as a majority was restored.
   *
   * @param storageDir  the node's storage directory ({@code RaftNodeOptions.storageDir}); must not
   *                    hold a cluster's data yet
   * @param clusterName the new cluster's name; must differ from the backup's, so that the restored
   *                    cluster has a new cluster id and cannot be mistaken for the old one
   * @return the file placed there
   * @throws IllegalArgumentException when the cluster name is the backup's
   * @throws StorageException when the directory already holds a cluster or cannot be written
   */
  public Path restoreInto(Path storageDir, String clusterName) {
    if (clusterName.equals(info.clusterName())) {
      throw new IllegalArgumentException("the backup is of cluster '" + clusterName + "'; restore it into a new"
          + " cluster with another name (a new cluster id, so that the two cannot be confused)");
    }
    try {
      Files.createDirectories(storageDir);
      try (DirectoryStream<Path> entries = Files.newDirectoryStream(storageDir)) {
        for (Path p : entries) {
          final String name = p.getFileName().toString();
          if (RaftNode.isGroupDirectoryName(name)) {
            throw new StorageException(p, "the storage directory already holds a cluster's data (Raft group "
                + name + "); restore into an empty directory", null);
          }
          if (isRestoreFileName(name)) {
            throw new StorageException(p, "the storage directory already holds a backup to restore", null);
          }
        }
      }
      final Path target = storageDir.resolve(restoreFileName(RaftNode.groupIdOf(clusterName).getUuid().toString()));
      MetadataStateMachine.writeDurably(target, content);
      return target;
    } catch (IOException e) {
      throw new StorageException(storageDir, "cannot place the backup in the storage directory: " + e, e);
    }
  }

  /** The name of the file {@link #restoreInto} places for the Raft group {@code groupUuid}. */
  static String restoreFileName(String groupUuid) {
    return RESTORE_PREFIX + groupUuid + RESTORE_SUFFIX;
  }

  /** Whether {@code name} is a backup placed to be restored (for any cluster). */
  static boolean isRestoreFileName(String name) {
    return name.startsWith(RESTORE_PREFIX) && name.endsWith(RESTORE_SUFFIX);
  }
}
