package io.baton.milvus;

import java.time.Duration;

/**
 * How the resilient client takes a failing endpoint out of rotation, as a service mesh's outlier
 * detection does (Envoy's {@code consecutive_5xx}, {@code base_ejection_time},
 * {@code max_ejection_percent}): after {@code consecutiveErrors} endpoint errors in a row the
 * endpoint is ejected for {@code baseEjection}; each further ejection without a success between
 * doubles that time, up to {@code maxEjection}. After its time one trial call is let through: a
 * success returns the endpoint to rotation, a failure ejects it again for longer. At most
 * {@code maxEjectionPercent} of the endpoints are ejected at once (rounded down; so a single
 * endpoint is never ejected), whatever their errors.
 *
 * <p>Only errors that say something about the endpoint count (unreachable, timed out, overloaded,
 * internal error); a request Milvus rejected (bad argument, collection not found) does not.
 */
public record OutlierEjection(int consecutiveErrors, Duration baseEjection, Duration maxEjection,
    int maxEjectionPercent) {

  /** 5 errors in a row, 10 s growing to 5 min, at most half the endpoints. */
  public static final OutlierEjection DEFAULTS = new OutlierEjection(5, Duration.ofSeconds(10), Duration.ofMinutes(5), 50);

  public OutlierEjection {
    if (consecutiveErrors < 1) {
      throw new IllegalArgumentException("consecutiveErrors must be at least 1, got " + consecutiveErrors);
    }
    if (baseEjection.isNegative() || baseEjection.isZero()) {
      throw new IllegalArgumentException("baseEjection must be positive, got " + baseEjection);
    }
    if (maxEjection.compareTo(baseEjection) < 0) {
      throw new IllegalArgumentException("maxEjection (" + maxEjection + ") must be at least baseEjection (" + baseEjection + ")");
    }
    if (maxEjectionPercent < 0 || maxEjectionPercent > 100) {
      throw new IllegalArgumentException("maxEjectionPercent must be in 0..100, got " + maxEjectionPercent);
    }
  }

  /** How many of {@code endpoints} may be ejected at once. */
  public int maxEjected(int endpoints) {
    return endpoints * maxEjectionPercent / 100;
  }
}
