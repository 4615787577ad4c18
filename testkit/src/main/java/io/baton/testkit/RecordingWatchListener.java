package io.baton.testkit;

import io.baton.store.BatonException;
import io.baton.store.WatchEvent;
import io.baton.store.WatchListener;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;

/** A watch listener that records what it is given, for assertions. [Thread-safe] */
public final class RecordingWatchListener implements WatchListener {
  /** Every event delivered, in order. */
  public final List<WatchEvent> events = new CopyOnWriteArrayList<>();
  /** Every error delivered (at most one per watch). */
  public final List<BatonException> errors = new CopyOnWriteArrayList<>();

  /** The revisions of the events so far, in order. */
  public List<Long> revisions() {
    return events.stream().map(WatchEvent::revision).toList();
  }

  @Override
  public void onEvent(WatchEvent event) {
    events.add(event);
  }

  @Override
  public void onError(BatonException error) {
    errors.add(error);
  }
}
