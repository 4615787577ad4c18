package io.baton.tools;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.ZoneOffset;
import java.time.ZonedDateTime;
import java.time.format.DateTimeFormatter;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.function.Predicate;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Collectors;
import java.util.stream.Stream;
import org.knowm.xchart.BitmapEncoder;
import org.knowm.xchart.CategoryChart;
import org.knowm.xchart.CategoryChartBuilder;
import org.knowm.xchart.Histogram;
import org.knowm.xchart.XYChart;
import org.knowm.xchart.XYChartBuilder;
import org.knowm.xchart.internal.chartpart.Chart;
import org.knowm.xchart.style.Styler;

/**
 * bin/bench's report: reads what the benchmarks left in a results directory ({@code kv.tsv},
 * {@code kv-cdf.tsv}, {@code takeover.tsv}, {@code takeover-notes.txt}, {@code restart.tsv},
 * {@code meta.tsv}; any of them may be missing) and writes {@code BENCHMARKS.md} with the machine,
 * the versions, a table per benchmark with each target and whether this run met it, and PNG plots:
 * latency CDFs of Baton and etcd per point, throughput against clients, a histogram of takeover
 * times per case.
 *
 * <p>Arguments: {@code --results DIR --out BENCHMARKS.md --images DIR [--app quarkus-app DIR]
 * [--command TEXT] [--quick]}; the images' links are relative to the report's directory.
 */
public final class BenchmarkReport {
  /** The issue's targets, as text for the tables. */
  private static final Map<String, String> KV_TARGETS = Map.of(
      "put:1", "p99 ≤ etcd's",
      "put:64", "≥ 1.5 × etcd",
      "put:256", "≥ 1 × etcd",
      "get:64", "≥ 1 × etcd",
      "stale-get:64", "≥ 2 × etcd");
  private static final Map<String, Double> RATIO_TARGETS = Map.of("put:64", 1.5, "put:256", 1.0, "get:64", 1.0,
      "stale-get:64", 2.0);
  /** The lease TTL bin/bench-takeover gives the etcd backend, for the etcd-kill target (TTL + 300 ms). */
  private static final long ETCD_TTL_MS = 2000;

  private final Path results;
  private final Path out;
  private final Path images;
  private final Path app;
  private final String command;
  private final boolean quick;
  private final StringBuilder md = new StringBuilder();

  BenchmarkReport(Path results, Path out, Path images, Path app, String command, boolean quick) {
    this.results = results;
    this.out = out;
    this.images = images;
    this.app = app;
    this.command = command;
    this.quick = quick;
  }

  public static void main(String[] args) throws IOException {
    Path results = null;
    Path out = null;
    Path images = null;
    Path app = null;
    String command = "bin/bench";
    boolean quick = false;
    for (int i = 0; i < args.length; i++) {
      switch (args[i]) {
        case "--results" -> results = Path.of(args[++i]);
        case "--out" -> out = Path.of(args[++i]);
        case "--images" -> images = Path.of(args[++i]);
        case "--app" -> app = Path.of(args[++i]);
        case "--command" -> command = args[++i];
        case "--quick" -> quick = true;
        default -> throw new IllegalArgumentException("unknown argument " + args[i] + " (use --results DIR, --out FILE,"
            + " --images DIR, --app quarkus-app DIR, --command TEXT, --quick)");
      }
    }
    if (results == null || out == null || images == null) {
      throw new IllegalArgumentException("--results, --out and --images are required");
    }
    if (!Files.isDirectory(results)) {
      throw new IllegalArgumentException("no results directory at " + results);
    }
    new BenchmarkReport(results, out, images, app, command, quick).write();
    System.out.println("wrote " + out + " and its plots in " + images);
  }

  /** Writes the report and its images. */
  void write() throws IOException {
    Files.createDirectories(images);
    final Map<String, String> meta = meta();
    md.append("# Benchmarks\n\n");
    md.append(String.format(Locale.ROOT, "Made by `%s` on %s UTC%s. Every figure below comes from that one run, on the"
        + " machine described here with nothing else running; the same benchmark has run 2 to 3 times slower on this"
        + " kind of shared machine on another day, so compare figures of one run with each other (Baton with etcd),"
        + " not with another run's.%n%n", command,
        ZonedDateTime.now(ZoneOffset.UTC).format(DateTimeFormatter.ofPattern("yyyy-MM-dd HH:mm")),
        quick ? ", **a --quick run** (short points and few rounds: a smoke test of the benchmarks, not figures to"
            + " quote)" : ""));
    machine(meta);
    kv(meta);
    takeover(meta);
    restart(meta);
    Files.writeString(out, md.toString(), StandardCharsets.UTF_8);
  }

  // ---- the machine -----------------------------------------------------------------------

  private void machine(Map<String, String> meta) {
    md.append("## Machine and versions\n\n| | |\n|---|---|\n");
    row("cores", String.valueOf(Runtime.getRuntime().availableProcessors()));
    row("CPU", firstMatch(Path.of("/proc/cpuinfo"), "model name\\s*:\\s*(.+)").orElse("unknown"));
    row("memory", firstMatch(Path.of("/proc/meminfo"), "MemTotal:\\s*(\\d+) kB")
        .map(kb -> String.format(Locale.ROOT, "%.1f GiB", Long.parseLong(kb) / 1024.0 / 1024.0)).orElse("unknown"));
    row("kernel", read(Path.of("/proc/sys/kernel/osrelease")).map(String::trim).orElse("unknown"));
    row("load average (1, 5, 15 min) before → after, etcd API", load(meta, "kv"));
    row("load average before → after, takeover", load(meta, "takeover"));
    row("JVM of the load generator and this report", System.getProperty("java.vm.name") + " "
        + System.getProperty("java.runtime.version"));
    row("nodes' JVM, etcd API benchmark", meta.getOrDefault("kv.nodes-jvm", "-"));
    row("nodes' JVM, takeover benchmark", meta.getOrDefault("takeover.nodes-jvm", "-"));
    row("etcd", meta.getOrDefault("etcd.version", "-"));
    final List<String> versions = new ArrayList<>();
    if (app != null) {
      for (String[] lib : new String[][] {{"Baton", "app", "baton-example-simple-coordinator-(.+)\\.jar"},
          {"Apache Ratis", "lib/main", "org\\.apache\\.ratis\\.ratis-server-(.+)\\.jar"},
          {"Quarkus", "lib/main", "io\\.quarkus\\.quarkus-core-(\\d.+)\\.jar"},
          {"jetcd", "lib/main", "io\\.etcd\\.jetcd-core-(.+)\\.jar"},
          {"gRPC", "lib/main", "io\\.grpc\\.grpc-core-(.+)\\.jar"}}) {
        versions.add(lib[0] + " " + jarVersion(app.resolve(lib[1]), lib[2]).orElse("?"));
      }
    }
    row("libraries", versions.isEmpty() ? "-" : String.join(", ", versions));
    md.append('\n');
  }

  /** A benchmark's load averages before and after (the first three fields of /proc/loadavg). */
  private static String load(Map<String, String> meta, String benchmark) {
    return Stream.of("before", "after").map(when -> meta.getOrDefault(benchmark + ".load-" + when, "-").split(" "))
        .map(f -> String.join(" ", Arrays.asList(f).subList(0, Math.min(3, f.length))))
        .collect(Collectors.joining(" → "));
  }

  private static Optional<String> jarVersion(Path dir, String pattern) {
    final Pattern p = Pattern.compile(pattern);
    try (Stream<Path> files = Files.list(dir)) {
      return files.map(f -> p.matcher(f.getFileName().toString())).filter(Matcher::matches).map(m -> m.group(1))
          .findFirst();
    } catch (IOException e) {
      return Optional.empty();
    }
  }

  // ---- etcd API: Baton vs etcd -----------------------------------------------------------

  private void kv(Map<String, String> meta) throws IOException {
    final List<Map<String, String>> rows = table("kv.tsv");
    md.append("## etcd's v3 API: Baton and etcd through the same client\n\n");
    if (rows.isEmpty()) {
      md.append("Not run (no kv.tsv).\n\n");
      return;
    }
    md.append("bin/bench's first part: a 3-member etcd cluster, then a 3-node Baton cluster of the example service"
        + " (never both at once), the same jetcd load generator against each: closed loops with one request"
        + " outstanding each, 8-byte keys, 256-byte values; ").append(meta.getOrDefault("kv.points", "")).append(".\n\n");
    md.append("| point | etcd ops/s | etcd p50 / p99 / p99.9 ms | Baton ops/s | Baton p50 / p99 / p99.9 ms"
        + " | Baton/etcd | target | met |\n|---|---|---|---|---|---|---|---|\n");
    final List<String> points = rows.stream().map(r -> r.get("point")).distinct().toList();
    for (String point : points) {
      final Optional<Map<String, String>> e = find(rows, r -> r.get("system").equals("etcd") && r.get("point").equals(point));
      final Optional<Map<String, String>> b = find(rows, r -> r.get("system").equals("baton") && r.get("point").equals(point));
      final String ratio = e.isPresent() && b.isPresent()
          ? String.format(Locale.ROOT, "%.2f", num(b.get(), "ops_per_s") / num(e.get(), "ops_per_s")) : "-";
      md.append("| ").append(point).append(" | ").append(e.map(r -> rate(r)).orElse("-")).append(" | ")
          .append(e.map(BenchmarkReport::latencies).orElse("-")).append(" | ").append(b.map(r -> rate(r)).orElse("-"))
          .append(" | ").append(b.map(BenchmarkReport::latencies).orElse("-")).append(" | ").append(ratio).append(" | ")
          .append(KV_TARGETS.getOrDefault(point, "-")).append(" | ").append(kvMet(point, e, b)).append(" |\n");
    }
    final String errors = rows.stream().map(r -> r.get("system") + " " + r.get("point") + " " + r.get("errors"))
        .filter(s -> !s.endsWith(" 0")).collect(Collectors.joining(", "));
    md.append("\nErrors (requests that failed; not counted in ops/s): ").append(errors.isEmpty() ? "none" : errors)
        .append(".\n\n");
    throughput(rows);
    md.append("![throughput against clients](").append(link("kv-throughput.png")).append(")\n\n");
    final List<Map<String, String>> cdf = table("kv-cdf.tsv");
    for (String point : points) {
      final String name = "kv-cdf-" + point.replace(':', '-') + ".png";
      if (cdf(cdf, point, images.resolve(name))) {
        md.append("![latency CDF, ").append(point).append("](").append(link(name)).append(")\n");
      }
    }
    md.append('\n');
  }

  private static String kvMet(String point, Optional<Map<String, String>> e, Optional<Map<String, String>> b) {
    if (e.isEmpty() || b.isEmpty()) {
      return "-";
    }
    if (point.equals("put:1")) {
      return num(b.get(), "p99_ms") <= num(e.get(), "p99_ms") ? "yes" : "**no**";
    }
    final Double target = RATIO_TARGETS.get(point);
    if (target == null) {
      return "-";
    }
    return num(b.get(), "ops_per_s") / num(e.get(), "ops_per_s") >= target ? "yes" : "**no**";
  }

  private static String rate(Map<String, String> r) {
    return String.format(Locale.ROOT, "%.0f", num(r, "ops_per_s"));
  }

  private static String latencies(Map<String, String> r) {
    return String.format(Locale.ROOT, "%.2f / %.2f / %.2f", num(r, "p50_ms"), num(r, "p99_ms"), num(r, "p99.9_ms"));
  }

  /** Puts/s against the number of clients, one line per system. */
  private void throughput(List<Map<String, String>> rows) throws IOException {
    final XYChart chart = new XYChartBuilder().width(800).height(500).title("puts/s against clients (jetcd, etcd API)")
        .xAxisTitle("concurrent clients (log scale)").yAxisTitle("puts/s").build();
    chart.getStyler().setXAxisLogarithmic(true);
    chart.getStyler().setLegendPosition(Styler.LegendPosition.InsideNW);
    for (String system : List.of("etcd", "baton")) {
      final List<Map<String, String>> puts = rows.stream().filter(r -> r.get("system").equals(system)
          && r.get("point").startsWith("put:")).sorted((x, y) -> Integer.compare(clients(x), clients(y))).toList();
      if (!puts.isEmpty()) {
        chart.addSeries(label(system), puts.stream().map(r -> (double) clients(r)).toList(),
            puts.stream().map(r -> num(r, "ops_per_s")).toList());
      }
    }
    save(chart, images.resolve("kv-throughput.png"));
  }

  /** The latency CDF of one point, a line per system; false when there is nothing to plot. */
  private boolean cdf(List<Map<String, String>> cdf, String point, Path file) throws IOException {
    final XYChart chart = new XYChartBuilder().width(800).height(500).title("latency CDF, " + point)
        .xAxisTitle("latency ms (log scale)").yAxisTitle("percentile").build();
    chart.getStyler().setXAxisLogarithmic(true);
    chart.getStyler().setLegendPosition(Styler.LegendPosition.InsideSE);
    chart.getStyler().setMarkerSize(0);
    boolean any = false;
    for (String system : List.of("etcd", "baton")) {
      final List<Map<String, String>> q = cdf.stream().filter(r -> r.get("system").equals(system)
          && r.get("point").equals(point) && num(r, "latency_ms") > 0).toList();
      if (!q.isEmpty()) {
        chart.addSeries(label(system), q.stream().map(r -> num(r, "latency_ms")).toList(),
            q.stream().map(r -> num(r, "percentile")).toList());
        any = true;
      }
    }
    if (any) {
      save(chart, file);
    }
    return any;
  }

  private static int clients(Map<String, String> r) {
    return Integer.parseInt(r.get("point").substring(r.get("point").indexOf(':') + 1));
  }

  private static String label(String system) {
    return system.equals("baton") ? "Baton" : "etcd";
  }

  // ---- takeover ----------------------------------------------------------------------------

  private void takeover(Map<String, String> meta) throws IOException {
    final List<Map<String, String>> rows = table("takeover.tsv");
    final List<String> notes = read(results.resolve("takeover-notes.txt")).map(t -> t.lines().toList())
        .orElse(List.of());
    md.append("## Takeover\n\n");
    if (rows.isEmpty() && notes.isEmpty()) {
      md.append("Not run (no takeover.tsv).\n\n");
      return;
    }
    md.append("bin/bench-takeover: three processes of the example service; each round times the kill -9, SIGTERM or"
        + " call to the moment the new active's onActive returned (stamped by that node in /baton/status), then"
        + " restarts the victim and waits until every node agrees again. Cases: ")
        .append(meta.getOrDefault("takeover.cases", "?")).append(". p99 is the nearest rank: over fewer than 100 rounds"
            + " it is the largest.\n\n");
    md.append("| case | rounds | p50 ms | p99 ms | max ms | target | met |\n|---|---|---|---|---|---|---|\n");
    final List<String> cases = rows.stream().map(r -> r.get("case")).distinct().toList();
    for (String c : cases) {
      final long[] ms = rows.stream().filter(r -> r.get("case").equals(c)).mapToLong(r -> Long.parseLong(r.get("ms")))
          .sorted().toArray();
      final long p50 = percentile(ms, 50);
      final long p99 = percentile(ms, 99);
      final String[] target = takeoverTarget(c, p50, p99);
      md.append(String.format(Locale.ROOT, "| %s | %d | %d | %d | %d | %s | %s |%n", c, ms.length, p50, p99,
          ms[ms.length - 1], target[0], target[1]));
      final long width = binWidth(ms[ms.length - 1] - ms[0]);
      final long low = ms[0] / width * width;
      final long high = (ms[ms.length - 1] / width + 1) * width;
      final Histogram h = new Histogram(Arrays.stream(ms).boxed().map(v -> (double) v).toList(),
          (int) ((high - low) / width), low, high);
      final CategoryChart chart = new CategoryChartBuilder().width(800).height(400)
          .title("takeover times, " + c + " (" + ms.length + " rounds)")
          .xAxisTitle("ms (bins of " + width + " ms, by their centre)").yAxisTitle("rounds").build();
      chart.getStyler().setXAxisDecimalPattern("#");
      chart.getStyler().setLegendVisible(false);
      chart.getStyler().setAvailableSpaceFill(0.9);
      chart.addSeries(c, h.getxAxisData(), h.getyAxisData());
      final String name = "takeover-" + c + ".png";
      save(chart, images.resolve(name));
    }
    md.append('\n');
    if (!notes.isEmpty()) {
      md.append("Phases of the median round, pauses, load and failed rounds, as the benchmark wrote them:\n\n");
      notes.forEach(n -> md.append("- ").append(n).append('\n'));
      md.append('\n');
    }
    for (String c : cases) {
      md.append("![takeover times, ").append(c).append("](").append(link("takeover-" + c + ".png")).append(")\n");
    }
    md.append('\n');
  }

  /** A round bin width that cuts {@code span} ms into about 20 bins or fewer. */
  static long binWidth(long span) {
    for (long w : new long[] {5, 10, 20, 25, 50, 100, 200, 250, 500, 1000, 2000, 5000}) {
      if (span / w < 20) {
        return w;
      }
    }
    return 10_000;
  }

  /** The target text and whether it was met, for a takeover case. */
  private static String[] takeoverTarget(String c, long p50, long p99) {
    return switch (c) {
      case "kill" -> new String[] {"p50 ≤ 300, p99 ≤ 800", p50 <= 300 && p99 <= 800 ? "yes" : "**no**"};
      case "spread-kill" -> new String[] {"p50 ≤ 1000", p50 <= 1000 ? "yes" : "**no**"};
      case "term", "transfer", "etcd-term", "spread-term" -> new String[] {"p99 ≤ 200", p99 <= 200 ? "yes" : "**no**"};
      case "etcd-kill" -> new String[] {"p99 ≤ TTL + 300 = " + (ETCD_TTL_MS + 300),
          p99 <= ETCD_TTL_MS + 300 ? "yes" : "**no**"};
      default -> new String[] {"-", "-"};
    };
  }

  // ---- restart -----------------------------------------------------------------------------

  private void restart(Map<String, String> meta) {
    final List<Map<String, String>> rows = table("restart.tsv");
    md.append("## Restart\n\n");
    if (rows.isEmpty()) {
      md.append("Not run (no restart.tsv).\n\n");
      return;
    }
    md.append("bin/bench-restart: one node of a running 3-node cluster killed and started again, from process start"
        + " to /q/health/started UP, and to caught up (its applied index reached the leader's commit index).\n\n");
    md.append("| set-up | JVM | restarts | started p50 / max ms | caught up p50 / max ms | target | met |\n"
        + "|---|---|---|---|---|---|---|\n");
    for (String setup : rows.stream().map(r -> r.get("setup")).distinct().toList()) {
      final long[] started = rows.stream().filter(r -> r.get("setup").equals(setup))
          .mapToLong(r -> Long.parseLong(r.get("started_ms"))).sorted().toArray();
      final long[] caughtUp = rows.stream().filter(r -> r.get("setup").equals(setup))
          .mapToLong(r -> Long.parseLong(r.get("caught_up_ms"))).sorted().toArray();
      final boolean aot = setup.contains("aot");
      md.append(String.format(Locale.ROOT, "| %s | %s | %d | %d / %d | %d / %d | %s | %s |%n", setup,
          meta.getOrDefault("restart." + setup, "-"), started.length, percentile(started, 50),
          started[started.length - 1], percentile(caughtUp, 50), caughtUp[caughtUp.length - 1],
          aot ? "started p50 ≤ 500, caught up p50 ≤ 1000" : "-",
          !aot ? "-" : percentile(started, 50) <= 500 && percentile(caughtUp, 50) <= 1000 ? "yes" : "**no**"));
    }
    md.append('\n');
  }

  // ---- helpers -----------------------------------------------------------------------------

  /** Nearest-rank percentile of sorted values. */
  static long percentile(long[] sorted, double p) {
    final int rank = (int) Math.ceil(p / 100.0 * sorted.length);
    return sorted[Math.max(0, Math.min(sorted.length, rank) - 1)];
  }

  private void row(String key, String value) {
    md.append("| ").append(key).append(" | ").append(value.replace("|", "\\|")).append(" |\n");
  }

  private String link(String image) {
    final Path dir = out.toAbsolutePath().getParent();
    return dir.relativize(images.toAbsolutePath().resolve(image)).toString().replace('\\', '/');
  }

  private static void save(Chart<?, ?> chart, Path file) throws IOException {
    BitmapEncoder.saveBitmap(chart, file.toString(), BitmapEncoder.BitmapFormat.PNG);
  }

  private static double num(Map<String, String> row, String column) {
    return Double.parseDouble(row.get(column));
  }

  private static <T> Optional<T> find(List<T> rows, Predicate<T> p) {
    return rows.stream().filter(p).findFirst();
  }

  /** A results table as rows of column → field; empty when the file is missing. */
  private List<Map<String, String>> table(String name) {
    final Optional<String> text = read(results.resolve(name));
    if (text.isEmpty()) {
      return List.of();
    }
    final List<String> lines = text.get().lines().filter(l -> !l.isBlank()).toList();
    final String[] header = lines.get(0).split("\t", -1);
    final List<Map<String, String>> rows = new ArrayList<>();
    for (String line : lines.subList(1, lines.size())) {
      final String[] fields = line.split("\t", -1);
      if (fields.length != header.length) {
        throw new IllegalArgumentException(results.resolve(name) + ": a line of " + fields.length + " fields under a"
            + " header of " + header.length + ": " + line);
      }
      final Map<String, String> row = new LinkedHashMap<>();
      for (int i = 0; i < header.length; i++) {
        row.put(header[i], fields[i]);
      }
      rows.add(row);
    }
    return rows;
  }

  private Map<String, String> meta() {
    final Map<String, String> meta = new LinkedHashMap<>();
    read(results.resolve("meta.tsv")).ifPresent(t -> t.lines().filter(l -> l.contains("\t"))
        .forEach(l -> meta.put(l.substring(0, l.indexOf('\t')), l.substring(l.indexOf('\t') + 1))));
    return meta;
  }

  private static Optional<String> read(Path file) {
    try {
      return Files.exists(file) ? Optional.of(Files.readString(file, StandardCharsets.UTF_8)) : Optional.empty();
    } catch (IOException e) {
      throw new UncheckedIOException("cannot read " + file, e);
    }
  }

  private static Optional<String> firstMatch(Path file, String regex) {
    final Pattern p = Pattern.compile(regex);
    return read(file).flatMap(t -> t.lines().map(p::matcher).filter(Matcher::find).map(m -> m.group(1).trim())
        .findFirst());
  }
}
