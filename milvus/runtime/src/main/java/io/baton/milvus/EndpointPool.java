package io.baton.milvus;

import io.baton.store.MonotonicClock;
import io.github.resilience4j.circuitbreaker.CircuitBreaker;
import io.github.resilience4j.circuitbreaker.CircuitBreakerConfig;
import io.github.resilience4j.core.IntervalFunction;
import java.time.Clock;
import java.time.Instant;
import java.time.ZoneId;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.jboss.logging.Logger;

/**
 * The endpoints of a {@link ResilientMilvusClient}, each behind a resilience4j circuit breaker that
 * implements {@link OutlierEjection}: a count-based window of {@code consecutiveErrors} calls that
 * opens at a 100% failure rate (so: that many endpoint errors in a row), an open time that grows
 * exponentially from the base ejection time, one trial call when it is over. The cap on ejected
 * endpoints is this class's: a breaker that opens beyond it is closed again at once.
 * [Thread-safe]
 */
final class EndpointPool {
  private static final Logger LOG = Logger.getLogger(EndpointPool.class);

  /** One endpoint and its breaker. */
  record Endpoint(String uri, CircuitBreaker breaker) {
    boolean ejected() {
      final CircuitBreaker.State s = breaker.getState();
      return s == CircuitBreaker.State.OPEN || s == CircuitBreaker.State.FORCED_OPEN;
    }
  }

  private final List<Endpoint> endpoints;
  private final OutlierEjection ejection;
  private final AtomicInteger next = new AtomicInteger();

  EndpointPool(List<String> uris, OutlierEjection ejection, MonotonicClock clock) {
    if (uris.isEmpty()) {
      throw new IllegalArgumentException("a Milvus client needs at least one endpoint");
    }
    this.ejection = ejection;
    final CircuitBreakerConfig config = CircuitBreakerConfig.custom()
        .slidingWindow(ejection.consecutiveErrors(), ejection.consecutiveErrors(),
            CircuitBreakerConfig.SlidingWindowType.COUNT_BASED)
        .failureRateThreshold(100)
        .waitIntervalFunctionInOpenState(IntervalFunction.ofExponentialBackoff(ejection.baseEjection(), 2.0,
            ejection.maxEjection()))
        .permittedNumberOfCallsInHalfOpenState(1)
        .automaticTransitionFromOpenToHalfOpenEnabled(false)
        .clock(new MonotonicWallClock(clock))
        .build();
    final List<Endpoint> list = new ArrayList<>();
    for (String uri : uris) {
      final CircuitBreaker breaker = CircuitBreaker.of(uri, config);
      breaker.getEventPublisher().onStateTransition(e -> LOG.infof("milvus endpoint %s: %s", uri,
          switch (e.getStateTransition().getToState()) {
            case OPEN -> "ejected after " + ejection.consecutiveErrors() + " endpoint errors in a row";
            case HALF_OPEN -> "ejection over, one trial call";
            case CLOSED -> "back in rotation";
            default -> e.getStateTransition().toString();
          }));
      list.add(new Endpoint(uri, breaker));
    }
    this.endpoints = List.copyOf(list);
  }

  List<Endpoint> endpoints() {
    return endpoints;
  }

  /**
   * The endpoint for the next attempt of a call: the first, in round-robin order from a rotating
   * start, that the call has not tried yet and whose breaker lets a call through (acquiring that
   * permission: the caller must report the outcome). Empty when every untried endpoint is ejected.
   */
  Optional<Endpoint> acquire(Set<String> tried) {
    final int start = Math.floorMod(next.getAndIncrement(), endpoints.size());
    for (int i = 0; i < endpoints.size(); i++) {
      final Endpoint e = endpoints.get((start + i) % endpoints.size());
      if (!tried.contains(e.uri()) && e.breaker().tryAcquirePermission()) {
        return Optional.of(e);
      }
    }
    return Optional.empty();
  }

  /** The endpoint answered (successfully, or by rejecting the request). */
  void answered(Endpoint e, long nanos) {
    e.breaker().onSuccess(nanos, TimeUnit.NANOSECONDS);
  }

  /** An endpoint error (see {@link MilvusErrors}): counts towards ejection, capped by the ejection limit. */
  synchronized void failed(Endpoint e, long nanos, Throwable error) {
    e.breaker().onError(nanos, TimeUnit.NANOSECONDS, error);
    if (e.ejected()) {
      final long ejected = endpoints.stream().filter(Endpoint::ejected).count();
      final int limit = ejection.maxEjected(endpoints.size());
      if (ejected > limit) {
        LOG.infof("milvus endpoint %s: not ejected, %d of %d endpoints already are (limit %d%%)", e.uri(),
            ejected - 1, endpoints.size(), ejection.maxEjectionPercent());
        e.breaker().transitionToClosedState();
      }
    }
  }

  /** The attempt was abandoned before the endpoint was called. */
  void released(Endpoint e) {
    e.breaker().releasePermission();
  }

  /** resilience4j dates breaker states with a {@link Clock}; this one reads the injected monotonic clock. */
  private static final class MonotonicWallClock extends Clock {
    private final MonotonicClock clock;

    MonotonicWallClock(MonotonicClock clock) {
      this.clock = clock;
    }

    @Override
    public ZoneId getZone() {
      return ZoneOffset.UTC;
    }

    @Override
    public Clock withZone(ZoneId zone) {
      throw new UnsupportedOperationException("a monotonic clock has no zone");
    }

    @Override
    public Instant instant() {
      return Instant.ofEpochSecond(0, clock.nanoTime());
    }
  }
}
