package io.baton.testkit;

import java.time.Duration;
import java.util.function.BooleanSupplier;
import java.util.function.Supplier;

/**
 * Test timeouts, all scaled by one factor ({@code -Dbaton.test.timing=2} on a slow machine), as
 * Curator's Timing does. Waiting polls a condition; it never asserts on elapsed time.
 */
public final class Timing {
  public static final double FACTOR = Double.parseDouble(System.getProperty("baton.test.timing", "1"));

  private Timing() {
  }

  public static Duration scaled(Duration d) {
    return Duration.ofMillis((long) (d.toMillis() * FACTOR));
  }

  public static Duration seconds(long s) {
    return scaled(Duration.ofSeconds(s));
  }

  /** Polls {@code condition} until it holds or {@code timeout} passes; fails with {@code what}. */
  public static void waitUntil(String what, Duration timeout, BooleanSupplier condition) {
    final long deadline = System.nanoTime() + scaled(timeout).toNanos();
    while (!condition.getAsBoolean()) {
      if (System.nanoTime() - deadline > 0) {
        throw new AssertionError("timed out after " + scaled(timeout).toMillis() + " ms waiting for " + what);
      }
      pause();
    }
  }

  /** Polls {@code supplier} until it returns non-null. */
  public static <T> T waitFor(String what, Duration timeout, Supplier<T> supplier) {
    final Object[] holder = new Object[1];
    waitUntil(what, timeout, () -> (holder[0] = supplier.get()) != null);
    @SuppressWarnings("unchecked")
    final T t = (T) holder[0];
    return t;
  }

  /** Waits for a future (at most 20 s, scaled), unwrapping its failure. */
  public static <T> T await(java.util.concurrent.CompletableFuture<T> future) {
    try {
      return future.get(scaled(Duration.ofSeconds(20)).toMillis(), java.util.concurrent.TimeUnit.MILLISECONDS);
    } catch (java.util.concurrent.ExecutionException e) {
      if (e.getCause() instanceof RuntimeException re) {
        re.addSuppressed(new Throwable("awaited here"));
        throw re;
      }
      throw new AssertionError(e.getCause());
    } catch (java.util.concurrent.TimeoutException | InterruptedException e) {
      throw new AssertionError("future did not complete", e);
    }
  }

  private static void pause() {
    try {
      Thread.sleep(10);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new AssertionError("interrupted", e);
    }
  }
}
