package io.baton.store;

/** A write fenced with an epoch was rejected because a newer epoch exists. Stop acting. */
public final class StaleEpochException extends BatonException {
  private final long epoch;
  private final long currentEpoch;

  public StaleEpochException(long epoch, long currentEpoch) {
    super("stale epoch " + epoch + ": the current epoch is " + currentEpoch
        + "; the write was rejected and nothing was applied");
    this.epoch = epoch;
    this.currentEpoch = currentEpoch;
  }

  /** The epoch the rejected write carried. */
  public long epoch() {
    return epoch;
  }

  /** The epoch in force when the write was rejected. */
  public long currentEpoch() {
    return currentEpoch;
  }

  @Override
  public boolean isRetryable() {
    return false;
  }
}
