package io.baton.store;

import java.util.Optional;

/** This node is not the leader (or lost leadership); retry on {@link #knownLeader()} when present. */
public final class NotLeaderException extends BatonException {
  private final String knownLeader;

  public NotLeaderException(String message, String knownLeader) {
    super(message);
    this.knownLeader = knownLeader;
  }

  /** The node id of the leader this node knows of, if any. */
  public Optional<String> knownLeader() {
    return Optional.ofNullable(knownLeader);
  }

  @Override
  public boolean isRetryable() {
    return true;
  }
}
