package io.baton.ha;

import io.baton.store.Futures;
import org.slf4j.Logger;

/**
 * Logs a run of repeated failures of one retried request once: its first failure as a warning with
 * the cause, the rest at debug, and its end with one line. Used on one thread (an elector's loop).
 */
final class FailureRun {
  private final Logger log;
  private boolean failing;

  FailureRun(Logger log) {
    this.log = log;
  }

  /** A failure of {@code what} (a sentence naming node, role and what failed). */
  void failed(String what, Throwable cause) {
    if (!failing) {
      failing = true;
      log.warn("{} failed, retrying: {}", what, Futures.unwrap(cause).toString());
    } else {
      log.debug("{} failed again: {}", what, Futures.unwrap(cause).toString());
    }
  }

  /** A success: ends a run of failures with {@code message}, if there was one. */
  void succeeded(String message) {
    if (failing) {
      failing = false;
      log.info(message);
    }
  }
}
