package io.baton.ha;

import io.baton.store.BatonException;
import io.baton.store.ClosedException;
import io.baton.store.MetadataStore;
import io.baton.store.Watch;
import io.baton.store.WatchEvent;
import io.baton.store.WatchListener;
import java.util.function.Predicate;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Wakes an elector's loop as soon as a key it decides on changes (a holder resigned, a candidate
 * key deleted), instead of leaving it to the next periodic check: campaign by watching, not only
 * by polling. The periodic check stays, so a watch that ends only costs latency; it is reopened.
 */
final class ChangeWake implements AutoCloseable {
  private static final Logger LOG = LoggerFactory.getLogger(ChangeWake.class);

  private final MetadataStore store;
  private final String node;
  private final String prefix;
  private final Predicate<String> relevant;
  private final java.util.function.LongConsumer wake;
  private volatile boolean closed;
  private volatile Watch watch;

  ChangeWake(MetadataStore store, String node, String prefix, Predicate<String> relevant, Runnable wake) {
    this(store, node, prefix, relevant, revision -> wake.run());
  }

  /** @param wake told the revision of each relevant change (a read older than it has not seen the change yet) */
  ChangeWake(MetadataStore store, String node, String prefix, Predicate<String> relevant,
      java.util.function.LongConsumer wake) {
    this.store = store;
    this.node = node;
    this.prefix = prefix;
    this.relevant = relevant;
    this.wake = wake;
  }

  void start() {
    if (closed) {
      return;
    }
    try {
      watch = store.watch(prefix, 0, new WatchListener() {
        @Override
        public void onEvent(WatchEvent event) {
          if (relevant.test(event.key())) {
            wake.accept(event.revision());
          }
        }

        @Override
        public void onError(BatonException error) {
          if (!closed && !(error instanceof ClosedException)) {
            LOG.info("node {}: the watch on '{}' ended ({}); reopening it (the periodic check goes on meanwhile)",
                node, prefix, error.getMessage());
            start();
          }
        }
      });
    } catch (RuntimeException e) {
      LOG.info("node {}: cannot watch '{}' ({}); changes are seen at the periodic check", node, prefix, e.toString());
    }
  }

  @Override
  public void close() {
    closed = true;
    final Watch w = watch;
    if (w != null) {
      w.close();
    }
  }
}
