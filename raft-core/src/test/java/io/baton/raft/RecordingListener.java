package io.baton.raft;

import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;

/** A watch listener that records what it is given. */
final class RecordingListener implements WatchListener {
  final List<WatchEvent> events = new CopyOnWriteArrayList<>();
  final List<BatonException> errors = new CopyOnWriteArrayList<>();

  @Override
  public void onEvent(WatchEvent event) {
    events.add(event);
  }

  @Override
  public void onError(BatonException error) {
    errors.add(error);
  }

  List<Long> revisions() {
    return events.stream().map(WatchEvent::revision).toList();
  }
}
