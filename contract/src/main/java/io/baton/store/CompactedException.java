package io.baton.store;

/** A watch asked for a revision older than the history this node keeps. Re-read, then watch again. */
public final class CompactedException extends BatonException {
  private final long requestedRevision;
  private final long compactedRevision;

  public CompactedException(long requestedRevision, long compactedRevision) {
    super("revision " + requestedRevision + " is compacted: events up to revision "
        + compactedRevision + " are no longer kept; read the current state and watch from its revision + 1");
    this.requestedRevision = requestedRevision;
    this.compactedRevision = compactedRevision;
  }

  public long requestedRevision() {
    return requestedRevision;
  }

  /** The highest revision whose events are gone. */
  public long compactedRevision() {
    return compactedRevision;
  }

  @Override
  public boolean isRetryable() {
    return false;
  }
}
