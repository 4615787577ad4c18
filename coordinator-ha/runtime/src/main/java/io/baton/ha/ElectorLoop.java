package io.baton.ha;

import io.baton.store.ClosedException;
import io.baton.store.Futures;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Executor;
import java.util.concurrent.RejectedExecutionException;
import java.util.function.Supplier;

/**
 * The single thread an elector's state lives on (the role manager's watchdog): completions of the
 * elector's asynchronous requests are handed back here. Once the loop is shut down, tasks are
 * dropped and {@link #call} fails with {@link ClosedException}.
 */
final class ElectorLoop {
  private final String node;
  private volatile Executor executor;

  ElectorLoop(String node) {
    this.node = node;
  }

  void start(Executor loop) {
    this.executor = loop;
  }

  /** Runs {@code task} on the loop; dropped when the loop is gone (the elector closed). */
  void run(Runnable task) {
    final Executor e = executor;
    if (e == null) {
      return;
    }
    try {
      e.execute(task);
    } catch (RejectedExecutionException closing) {
      // the role manager closed: its elector has nothing left to do
    }
  }

  /** Runs {@code task} on the loop and completes with the future it returns. */
  <T> CompletableFuture<T> call(Supplier<CompletableFuture<T>> task) {
    final CompletableFuture<T> out = new CompletableFuture<>();
    final Executor e = executor;
    try {
      if (e == null) {
        throw new RejectedExecutionException("not started");
      }
      e.execute(() -> {
        final CompletableFuture<T> f;
        try {
          f = task.get();
        } catch (RuntimeException failure) {
          out.completeExceptionally(failure);
          return;
        }
        f.whenComplete((v, error) -> {
          if (error != null) {
            out.completeExceptionally(Futures.unwrap(error));
          } else {
            out.complete(v);
          }
        });
      });
    } catch (RejectedExecutionException closing) {
      out.completeExceptionally(new ClosedException("node " + node + ": the role manager is closed"));
    }
    return out;
  }
}
