package io.baton.ha;

import io.baton.store.KeyValue;
import io.baton.store.WatchEvent;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentSkipListMap;

/**
 * A HOT standby's copy of its role's state, kept from {@link RoleHandler#onStateChange} and
 * {@link RoleHandler#onStateReset}: forward both calls here and the mirror holds every key of the
 * role's state as of the last applied change, ready when the role becomes active.
 * [Thread-safe]
 */
public final class RoleStateMirror {
  private final ConcurrentSkipListMap<String, KeyValue> keys = new ConcurrentSkipListMap<>();

  /** Applies one change: a PUT sets the key, a DELETE removes it. */
  public void apply(WatchEvent event) {
    if (event.type() == WatchEvent.Type.PUT) {
      keys.put(event.key(), event.kv());
    } else {
      keys.remove(event.key());
    }
  }

  /** Forgets everything (the full state follows as PUTs). */
  public void reset() {
    keys.clear();
  }

  public Optional<KeyValue> get(String key) {
    return Optional.ofNullable(keys.get(key));
  }

  public int size() {
    return keys.size();
  }

  /** A copy of the state as key to value (UTF-8), in key order. */
  public Map<String, String> asStrings() {
    final Map<String, String> out = new TreeMap<>();
    keys.forEach((k, kv) -> out.put(k, kv.valueAsString()));
    return out;
  }
}
