package io.baton.raft;

import io.baton.store.BatonException;
import io.baton.store.CompactedException;
import io.baton.store.Watch;
import io.baton.store.WatchEvent;
import io.baton.store.WatchListener;
import java.util.ArrayList;
import java.util.List;
import java.util.Queue;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.Executor;
import java.util.concurrent.atomic.AtomicBoolean;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The watches registered on one replica. {@link #publish} and {@link #resync} are called with the
 * state lock held (so that registration, which reads the history under the same lock, sees every
 * event exactly once); they only enqueue. Delivery runs on the executor, one task at a time per
 * watch.
 */
final class WatchHub {
  private static final Logger LOG = LoggerFactory.getLogger(WatchHub.class);

  private final Executor executor;
  private final String node;
  private final List<Watcher> watchers = new CopyOnWriteArrayList<>();

  WatchHub(Executor executor, String node) {
    this.executor = executor;
    this.node = node;
  }

  /**
   * Registers a watch whose backlog is {@code backlog} (events already in history, all with
   * revision &ge; {@code fromRevision}); live events follow. Call with the state lock held.
   */
  Watch register(String prefix, long fromRevision, List<WatchEvent> backlog, WatchListener listener) {
    final Watcher w = new Watcher(prefix, fromRevision, listener);
    w.enqueue(backlog);
    watchers.add(w);
    return w;
  }

  /** A watch that fails at once (e.g. compacted): delivered on the executor, never registered. */
  Watch failed(long fromRevision, WatchListener listener, BatonException error) {
    final Watcher w = new Watcher("", fromRevision, listener);
    w.fail(error);
    return w;
  }

  /** Offers the events of one applied revision. Call with the state lock held. */
  void publish(List<WatchEvent> events) {
    if (events.isEmpty()) {
      return;
    }
    for (Watcher w : watchers) {
      w.enqueue(events);
    }
  }

  /**
   * After the state jumped (a snapshot was installed), brings every watch forward from the new
   * state's history, or fails it when the history no longer reaches back far enough. Call with the
   * state lock held.
   */
  void resync(KvState state) {
    for (Watcher w : watchers) {
      final long next = w.enqueuedThrough + 1;
      if (next > state.revision()) {
        continue;
      }
      if (next <= state.compactedRevision()) {
        w.fail(new CompactedException(next, state.compactedRevision()));
      } else {
        w.enqueue(state.eventsFrom(next, w.prefix));
      }
    }
  }

  /** Ends every watch with {@code error}. */
  void closeAll(BatonException error) {
    for (Watcher w : watchers) {
      w.fail(error);
    }
  }

  int size() {
    return watchers.size();
  }

  private final class Watcher implements Watch {
    private final String prefix;
    private final WatchListener listener;
    private final Queue<Object> queue = new ConcurrentLinkedQueue<>();
    private final AtomicBoolean draining = new AtomicBoolean();
    private volatile boolean closed;
    private volatile long nextRevision;
    /** The highest revision queued so far; written only under the state lock. */
    private volatile long enqueuedThrough;

    Watcher(String prefix, long fromRevision, WatchListener listener) {
      this.prefix = prefix;
      this.listener = listener;
      this.nextRevision = fromRevision;
      this.enqueuedThrough = fromRevision - 1;
    }

    /** Queues the events this watch has not yet queued, one batch per revision. */
    void enqueue(List<WatchEvent> events) {
      List<WatchEvent> batch = new ArrayList<>();
      long batchRevision = enqueuedThrough;
      for (WatchEvent e : events) {
        if (e.revision() <= enqueuedThrough) {
          continue;
        }
        if (e.revision() != batchRevision) {
          if (!batch.isEmpty()) {
            queue.add(batch);
            batch = new ArrayList<>();
          }
          batchRevision = e.revision();
        }
        if (e.key().startsWith(prefix)) {
          batch.add(e);
        }
      }
      if (!batch.isEmpty()) {
        queue.add(batch);
      }
      // set after the batches are queued: a drainer that reads this and then finds the queue
      // empty has delivered everything up to it
      enqueuedThrough = batchRevision;
      drain();
    }

    void fail(BatonException error) {
      queue.add(error);
      watchers.remove(this);
      drain();
    }

    private void drain() {
      if (closed || !draining.compareAndSet(false, true)) {
        return;
      }
      try {
        executor.execute(this::run);
      } catch (RuntimeException e) {
        draining.set(false);
        LOG.warn("node {}: watch on '{}' could not be scheduled: {}", node, prefix, e.toString());
      }
    }

    @SuppressWarnings("unchecked")
    private void run() {
      try {
        while (!closed) {
          final long queuedThrough = enqueuedThrough;
          final Object item = queue.poll();
          if (item == null) {
            nextRevision = Math.max(nextRevision, queuedThrough + 1);
            return;
          }
          if (item instanceof BatonException error) {
            closed = true;
            listener.onError(error);
            return;
          }
          final List<WatchEvent> batch = (List<WatchEvent>) item;
          for (WatchEvent e : batch) {
            if (closed) {
              return;
            }
            listener.onEvent(e);
          }
          nextRevision = batch.get(0).revision() + 1;
          listener.onProgress(nextRevision);
        }
      } catch (RuntimeException e) {
        LOG.warn("node {}: watch listener on '{}' threw; the watch is closed: {}", node, prefix, e.toString());
        close();
      } finally {
        draining.set(false);
        if (!closed && !queue.isEmpty()) {
          drain();
        }
      }
    }

    @Override
    public long nextRevision() {
      return nextRevision;
    }

    @Override
    public void close() {
      closed = true;
      watchers.remove(this);
      queue.clear();
    }
  }
}
