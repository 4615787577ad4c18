package io.baton.example.milvus;

import io.baton.store.WatchEvent;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentSkipListMap;

/**
 * A role's replicated records as this node knows them: applied from the role's state changes while
 * standby (HOT), from its own successful writes while active. Keys are shown without the part up to
 * {@code marker}. [Thread-safe]
 */
final class RecordedState {
  private final String marker;
  private final ConcurrentSkipListMap<String, String> records = new ConcurrentSkipListMap<>();

  RecordedState(String marker) {
    this.marker = marker;
  }

  void apply(WatchEvent event) {
    if (event.type() == WatchEvent.Type.PUT) {
      records.put(event.key(), event.kv().valueAsString());
    } else {
      records.remove(event.key());
    }
  }

  void put(String key, String value) {
    records.put(key, value);
  }

  String get(String key) {
    return records.get(key);
  }

  void clear() {
    records.clear();
  }

  /** The records under the marker, by the key's part after it. */
  Map<String, String> view() {
    final Map<String, String> out = new TreeMap<>();
    records.forEach((k, v) -> {
      final int at = k.indexOf(marker);
      if (at >= 0) {
        out.put(k.substring(at + marker.length()), v);
      }
    });
    return out;
  }
}
