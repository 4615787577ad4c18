package io.baton.milvus;

import java.util.List;

/**
 * A call through {@link ResilientMilvusClient} failed for good. Says what was tried and whether
 * the request may have been applied anyway ({@link #outcomeUnknown()}: a non-idempotent call such
 * as an insert that reached an endpoint which then failed or timed out; check before re-sending
 * it, or use an upsert, which a retry cannot duplicate).
 */
public final class MilvusCallException extends RuntimeException {
  private final String operation;
  private final MilvusErrors.Kind kind;
  private final int attempts;
  private final List<String> endpointsTried;
  private final boolean outcomeUnknown;

  MilvusCallException(String operation, String why, MilvusErrors.Kind kind, int attempts, List<String> endpointsTried,
      boolean outcomeUnknown, Throwable cause) {
    super("milvus " + operation + " failed after " + attempts + " attempt(s) on " + endpointsTried + ": " + why
        + (outcomeUnknown ? " (outcome unknown: it may have been applied)" : "")
        + (cause == null ? "" : ": " + cause.getMessage()), cause);
    this.operation = operation;
    this.kind = kind;
    this.attempts = attempts;
    this.endpointsTried = List.copyOf(endpointsTried);
    this.outcomeUnknown = outcomeUnknown;
  }

  public String operation() {
    return operation;
  }

  /** What the last attempt's failure meant (null when no endpoint could be tried). */
  public MilvusErrors.Kind kind() {
    return kind;
  }

  public int attempts() {
    return attempts;
  }

  /** The endpoints called, in order (one per attempt). */
  public List<String> endpointsTried() {
    return endpointsTried;
  }

  /** Whether the request may have been applied although the call failed. */
  public boolean outcomeUnknown() {
    return outcomeUnknown;
  }
}
