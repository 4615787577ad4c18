package io.baton.store;

/**
 * No majority of the cluster answered within the request timeout. For a write the outcome is
 * unknown: it may still commit later, atomically, if a majority returns.
 */
public final class NoQuorumException extends BatonException {
  public NoQuorumException(String message, Throwable cause) {
    super(message, cause);
  }

  @Override
  public boolean isRetryable() {
    return true;
  }
}
