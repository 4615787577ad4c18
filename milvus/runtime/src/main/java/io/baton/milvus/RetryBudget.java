package io.baton.milvus;

/**
 * A client-wide retry budget, gRPC's retry throttling (gRFC A6): a bucket of {@code maxTokens}
 * tokens, full at the start; every attempt that failed in a retryable way takes one token (a
 * request Milvus rejected as such takes none), every successful call puts
 * {@code tokenRatio} back (never above the maximum); retries are allowed only while more than half
 * the tokens remain. When an outage makes most calls fail, retries stop after about
 * {@code maxTokens / 2} failures instead of multiplying the load on a struggling cluster, and they
 * resume as calls succeed again. [Thread-safe]
 */
public final class RetryBudget {
  private final double maxTokens;
  private final double tokenRatio;
  private double tokens;

  public RetryBudget(int maxTokens, double tokenRatio) {
    if (maxTokens < 2) {
      throw new IllegalArgumentException("a retry budget needs at least 2 tokens, got " + maxTokens);
    }
    if (!(tokenRatio > 0 && tokenRatio <= 1)) {
      throw new IllegalArgumentException("the token ratio must be in (0, 1], got " + tokenRatio);
    }
    this.maxTokens = maxTokens;
    this.tokenRatio = tokenRatio;
    this.tokens = maxTokens;
  }

  /** A failed attempt: takes one token. */
  public synchronized void onFailure() {
    tokens = Math.max(0, tokens - 1);
  }

  /** A successful call: puts back {@code tokenRatio} of a token. */
  public synchronized void onSuccess() {
    tokens = Math.min(maxTokens, tokens + tokenRatio);
  }

  /** Whether a retry may be made now: more than half the tokens remain. */
  public synchronized boolean allowsRetry() {
    return tokens > maxTokens / 2;
  }

  public synchronized double tokens() {
    return tokens;
  }
}
