package io.baton.store;

/**
 * The only way time enters Baton's timing logic (lease expiry, leader lease checks), so that tests
 * can script it. Values are nanoseconds from an arbitrary origin and never go backwards.
 */
@FunctionalInterface
public interface MonotonicClock {
  /** The system's monotonic clock ({@link System#nanoTime()}). */
  MonotonicClock SYSTEM = System::nanoTime;

  long nanoTime();
}
