package io.baton.testkit;

import io.baton.store.MonotonicClock;
import java.time.Duration;
import java.util.concurrent.atomic.AtomicLong;

/** A {@link MonotonicClock} that moves only when a test advances it. [Thread-safe] */
public final class ScriptedClock implements MonotonicClock {
  private final AtomicLong nanos = new AtomicLong(1_000_000_000L);

  @Override
  public long nanoTime() {
    return nanos.get();
  }

  /** Moves time forward by {@code d}. */
  public void advance(Duration d) {
    if (d.isNegative()) {
      throw new IllegalArgumentException("a monotonic clock does not go back: " + d);
    }
    nanos.addAndGet(d.toNanos());
  }
}
