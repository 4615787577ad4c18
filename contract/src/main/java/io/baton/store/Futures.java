package io.baton.store;

import java.util.concurrent.CompletionException;
import java.util.concurrent.ExecutionException;

/** Helpers for the futures Baton's APIs return. */
public final class Futures {
  private Futures() {
  }

  /**
   * The failure a future's wrapper ({@link CompletionException}, {@link ExecutionException})
   * carries: what to match on and report.
   */
  public static Throwable unwrap(Throwable error) {
    Throwable e = error;
    while ((e instanceof CompletionException || e instanceof ExecutionException) && e.getCause() != null) {
      e = e.getCause();
    }
    return e;
  }
}
