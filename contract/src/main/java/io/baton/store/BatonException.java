package io.baton.store;

/**
 * The few errors a caller of Baton can act on. Each subclass says whether to retry elsewhere,
 * retry later, or give up:
 *
 * <ul>
 *   <li>{@link NotLeaderException}: this node cannot do it; retry on the known leader.</li>
 *   <li>{@link NoQuorumException}: no majority answered in time; retry later. The outcome of a
 *       write that failed this way is unknown: it may still commit (as with etcd's deadline errors).</li>
 *   <li>{@link StaleEpochException}: a newer epoch exists; the caller was deposed and must stop acting.</li>
 *   <li>{@link CompactedException}: the requested watch revision is no longer kept; re-read and watch again.</li>
 *   <li>{@link ClosedException}: the node or client was closed; give up.</li>
 *   <li>{@link StorageException}: the storage directory is unusable or corrupt; give up, the operator must act.</li>
 * </ul>
 */
public abstract sealed class BatonException extends RuntimeException
    permits NotLeaderException, NoQuorumException, StaleEpochException, CompactedException,
        ClosedException, StorageException {

  protected BatonException(String message) {
    super(message);
  }

  protected BatonException(String message, Throwable cause) {
    super(message, cause);
  }

  /** Whether the same call may succeed if retried (elsewhere or later). */
  public abstract boolean isRetryable();
}
