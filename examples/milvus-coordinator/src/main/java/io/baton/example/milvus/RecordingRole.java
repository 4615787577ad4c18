package io.baton.example.milvus;

import io.baton.ha.RoleContext;
import io.baton.ha.RoleHandler;
import io.baton.ha.StatusSection;
import io.baton.store.WatchEvent;
import java.time.Duration;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentSkipListMap;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.function.BooleanSupplier;

/**
 * A HOT role of this example that keeps records in its replicated state and shows them as a
 * status section: the records come from the role's state changes while standby and from its own
 * successful writes while active; keys are shown without the part up to {@code marker}. While
 * active, its work runs as a loop of its own, stopped when the activation is lost.
 * [Thread-safe]
 */
abstract class RecordingRole implements RoleHandler, StatusSection {
  private final String section;
  private final String marker;
  private final ConcurrentSkipListMap<String, String> records = new ConcurrentSkipListMap<>();

  RecordingRole(String section, String marker) {
    this.section = section;
    this.marker = marker;
  }

  /**
   * Runs {@code step} now and then every {@code every} on a daemon thread of this activation,
   * until the activation is lost or {@code step} returns false.
   */
  static void repeatWhileActive(RoleContext ctx, Duration every, BooleanSupplier step) {
    final ScheduledExecutorService loop = Executors.newSingleThreadScheduledExecutor(r -> {
      final Thread t = new Thread(r, ctx.role() + "-" + ctx.epoch());
      t.setDaemon(true);
      return t;
    });
    loop.scheduleWithFixedDelay(() -> {
      if (!step.getAsBoolean()) {
        loop.shutdownNow();
      }
    }, 0, every.toMillis(), TimeUnit.MILLISECONDS);
    ctx.lost().whenComplete((v, e) -> loop.shutdownNow());
  }

  /** Notes a record this node wrote (the store acknowledged it). */
  void recorded(String key, String value) {
    records.put(key, value);
  }

  /** The record of {@code key} as this node knows it, or null. */
  String record(String key) {
    return records.get(key);
  }

  @Override
  public void onStateChange(WatchEvent event) {
    if (event.type() == WatchEvent.Type.PUT) {
      records.put(event.key(), event.kv().valueAsString());
    } else {
      records.remove(event.key());
    }
  }

  @Override
  public void onStateReset() {
    records.clear();
  }

  @Override
  public String name() {
    return section;
  }

  /** The records under the marker, by the key's part after it. */
  @Override
  public Map<String, String> entries() {
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
