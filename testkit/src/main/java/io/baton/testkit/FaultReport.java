package io.baton.testkit;

import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * What a fault-injection run did and found, as JSON and as a short text summary: every fault
 * injected (its kind, placement, target, the takeover it caused and how long no node was active),
 * the client histories checked for linearizability and their verdicts, and every invariant
 * violation. A violation is recorded before the test that found it fails, so the report of a
 * failed run says what failed. With a directory, the report is rewritten there after every change
 * ({@code <name>.json} and {@code <name>.txt}), so even a run cut short leaves its report.
 * [Thread-safe]
 */
public final class FaultReport {
  /**
   * One injected fault.
   *
   * @param kind          what was done (kill, pause-2000ms, isolate, inbound-cut, loss-5%, ...)
   * @param placement     the roles' placement
   * @param target        the node it was done to (or "all")
   * @param takeoverMs    from the fault to another activation (a higher epoch ACTIVE) seen from
   *                      outside; -1 when none happened
   * @param unavailableMs the longest stretch in which no node was seen ACTIVE
   * @param operations    client operations in the history checked (0: none was checked)
   * @param verdict       the linearizability checker's result, or "-" when no history was checked
   */
  public record Fault(String kind, String placement, String target, long takeoverMs, long unavailableMs, int operations,
      String verdict) {
    JsonObject toJson() {
      return new JsonObject().put("kind", kind).put("placement", placement).put("target", target)
          .put("takeoverMs", takeoverMs).put("unavailableMs", unavailableMs).put("operations", operations)
          .put("verdict", verdict);
    }
  }

  private final String name;
  private final Path dir;
  private final Instant started = Instant.now();
  private final List<Fault> faults = new ArrayList<>();
  private final List<String> violations = new ArrayList<>();
  private final Map<String, String> facts = new TreeMap<>();

  /** A report named {@code name}, written to {@code dir} after every change when {@code dir} is not null. */
  public FaultReport(String name, Path dir) {
    this.name = name;
    this.dir = dir;
  }

  /** Records a fault. */
  public synchronized void add(Fault fault) {
    faults.add(fault);
    write();
  }

  /** Records an invariant violation (the caller then fails). */
  public synchronized void violation(String what) {
    violations.add(what);
    write();
  }

  /** Records a fact about the run (seed, cluster size, duration, ...). */
  public synchronized void fact(String key, Object value) {
    facts.put(key, String.valueOf(value));
    write();
  }

  public synchronized List<Fault> faults() {
    return List.copyOf(faults);
  }

  public synchronized List<String> violations() {
    return List.copyOf(violations);
  }

  /** The nearest-rank percentile {@code p} (0-100] of {@code values}, -1 when there are none. */
  static long percentile(List<Long> values, double p) {
    if (values.isEmpty()) {
      return -1;
    }
    final List<Long> sorted = values.stream().sorted().toList();
    final int rank = (int) Math.ceil(p / 100.0 * sorted.size());
    return sorted.get(Math.max(0, Math.min(sorted.size(), rank) - 1));
  }

  private JsonObject stats(List<Long> values) {
    return new JsonObject().put("count", values.size()).put("p50", percentile(values, 50))
        .put("p99", percentile(values, 99)).put("max", percentile(values, 100));
  }

  public synchronized JsonObject toJson() {
    final List<Long> takeovers = faults.stream().map(Fault::takeoverMs).filter(t -> t >= 0).toList();
    final List<Long> unavailable = faults.stream().map(Fault::unavailableMs).toList();
    final Map<String, Integer> kinds = new TreeMap<>();
    faults.forEach(f -> kinds.merge(f.kind(), 1, Integer::sum));
    final JsonObject byKind = new JsonObject();
    kinds.forEach(byKind::put);
    final JsonObject factsJson = new JsonObject();
    facts.forEach(factsJson::put);
    return new JsonObject().put("name", name).put("started", started.toString()).put("written", Instant.now().toString())
        .put("facts", factsJson)
        .put("faultsInjected", faults.size()).put("faultsByKind", byKind)
        .put("takeoverMs", stats(takeovers)).put("unavailableMs", stats(unavailable))
        .put("operationsChecked", faults.stream().mapToLong(Fault::operations).sum())
        .put("historiesChecked", faults.stream().filter(f -> !"-".equals(f.verdict())).count())
        .put("violations", new JsonArray(new ArrayList<>(violations)))
        .put("faults", new JsonArray(faults.stream().map(Fault::toJson).toList()));
  }

  /** A few lines: what was injected, takeover and unavailability p50/p99/max, what was checked, violations. */
  public synchronized String summary() {
    final JsonObject j = toJson();
    final StringBuilder b = new StringBuilder();
    b.append(name).append(", ").append(started).append(" to ").append(j.getString("written")).append('\n');
    facts.forEach((k, v) -> b.append("  ").append(k).append(": ").append(v).append('\n'));
    b.append("faults injected: ").append(faults.size()).append(' ').append(j.getJsonObject("faultsByKind").encode()).append('\n');
    b.append(line("takeover (fault -> a higher epoch seen ACTIVE)", j.getJsonObject("takeoverMs")));
    b.append(line("longest stretch with no node ACTIVE, per fault", j.getJsonObject("unavailableMs")));
    b.append("histories checked: ").append(j.getLong("historiesChecked")).append(", operations checked: ")
        .append(j.getLong("operationsChecked")).append(", not linearizable: ")
        .append(faults.stream().filter(f -> f.verdict().startsWith("NOT")).count()).append('\n');
    b.append("violations: ").append(violations.size()).append('\n');
    violations.forEach(v -> b.append("  ").append(v).append('\n'));
    return b.toString();
  }

  private static String line(String what, JsonObject s) {
    return what + " (" + s.getInteger("count") + "): p50 " + s.getLong("p50") + " ms, p99 " + s.getLong("p99") + " ms, max "
        + s.getLong("max") + " ms\n";
  }

  private void write() {
    if (dir == null) {
      return;
    }
    try {
      Files.createDirectories(dir);
      Files.writeString(dir.resolve(name + ".json"), toJson().encodePrettily());
      Files.writeString(dir.resolve(name + ".txt"), summary());
    } catch (IOException e) {
      throw new UncheckedIOException("cannot write the fault report to " + dir, e);
    }
  }
}
