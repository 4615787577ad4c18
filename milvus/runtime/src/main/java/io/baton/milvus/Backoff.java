package io.baton.milvus;

import java.time.Duration;
import java.util.Objects;
import java.util.function.DoubleSupplier;

/**
 * Exponential backoff with full jitter: before retry {@code n} (1 for the first retry) wait a
 * uniformly random time in {@code [0, min(max, base × 2^(n-1))]}. Full jitter spreads clients that
 * failed together over the whole window, so they do not retry in step (AWS Architecture Blog,
 * "Exponential Backoff And Jitter"). The random source is injected, so tests can pin it.
 * [Thread-safe when the random source is]
 */
public final class Backoff {
  private final long baseNanos;
  private final long maxNanos;
  private final DoubleSupplier random;

  /**
   * @param base   the ceiling of the first retry's wait
   * @param max    the ceiling no wait exceeds
   * @param random uniform values in [0, 1)
   */
  public Backoff(Duration base, Duration max, DoubleSupplier random) {
    if (base.isNegative() || base.isZero()) {
      throw new IllegalArgumentException("backoff base must be positive, got " + base);
    }
    if (max.compareTo(base) < 0) {
      throw new IllegalArgumentException("backoff max (" + max + ") must be at least its base (" + base + ")");
    }
    this.baseNanos = base.toNanos();
    this.maxNanos = max.toNanos();
    this.random = Objects.requireNonNull(random, "random");
  }

  /** The ceiling of retry {@code retry}'s wait (1-based): {@code min(max, base × 2^(retry-1))}. */
  public Duration ceiling(int retry) {
    if (retry < 1) {
      throw new IllegalArgumentException("retry numbers start at 1, got " + retry);
    }
    final int shift = Math.min(retry - 1, 62);
    final long ceiling = baseNanos > (maxNanos >> shift) ? maxNanos : Math.min(maxNanos, baseNanos << shift);
    return Duration.ofNanos(ceiling);
  }

  /** The wait before retry {@code retry} (1-based): uniform in {@code [0, ceiling(retry)]}. */
  public Duration delay(int retry) {
    final double r = random.getAsDouble();
    if (r < 0 || r >= 1) {
      throw new IllegalStateException("the random source must give values in [0, 1), gave " + r);
    }
    return Duration.ofNanos((long) (ceiling(retry).toNanos() * r));
  }
}
