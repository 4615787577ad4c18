package io.baton.store;

/** The node, store, client or watch was closed. */
public final class ClosedException extends BatonException {
  public ClosedException(String message) {
    super(message);
  }

  @Override
  public boolean isRetryable() {
    return false;
  }
}
