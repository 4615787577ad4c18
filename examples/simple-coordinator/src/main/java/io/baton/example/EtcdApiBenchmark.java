package io.baton.example;

import io.baton.testkit.Dirs;
import io.baton.testkit.LocalEtcdCluster;
import io.baton.testkit.ServiceNodes;
import io.etcd.jetcd.ByteSequence;
import io.etcd.jetcd.Client;
import io.etcd.jetcd.KV;
import io.etcd.jetcd.op.Cmp;
import io.etcd.jetcd.op.CmpTarget;
import io.etcd.jetcd.op.Op;
import io.etcd.jetcd.options.GetOption;
import io.etcd.jetcd.options.PutOption;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;

/**
 * {@code bin/bench}: etcd and Baton side by side through the same client, jetcd, over etcd's v3
 * API: a 3-member etcd cluster (the Debian {@code etcd} binary) first, then a 3-node cluster of the
 * example service (Ratis; etcd's API on each node's gRPC port), never both at once, on loopback.
 * For each point (an operation and a number of concurrent clients, each a closed loop with one
 * request outstanding, spread over {@code --connections} jetcd clients), it measures ops/s and the
 * latency p50/p99/p99.9 for {@code --seconds}, and prints the Baton/etcd ratios. A {@code --warmup}
 * comes first, shared by every operation of the points, each at the largest number of clients of
 * the points: a JIT warmed by one client's puts left the nodes' code for 64 clients cold (puts at
 * 64 clients measured 1239-1322/s after it, about 3000/s after a warm-up at 64, in one hour).
 * 8-byte keys, 256-byte values.
 *
 * <p>Operations: {@code put}; {@code get} (linearizable); {@code stale-get} (serializable); {@code
 * cas} (a transaction: if the key's mod revision is still the one this client last wrote, put).
 * Arguments: {@code --app JAR [--seconds N] [--warmup N] [--connections N] [--java PATH] [--jvm-option OPTION]...
 * [--points put:1,put:64,...] [--only etcd|baton] [--results DIR]}. With {@code --results}, it
 * leaves {@code kv.tsv} (a line per system and point), {@code kv-cdf.tsv} (latency quantiles per
 * system and point, for the CDF plots) and facts about the run in {@code meta.tsv} there.
 */
public final class EtcdApiBenchmark {
  private static final List<String> DEFAULT_POINTS = List.of("put:1", "put:64", "put:256", "get:64", "stale-get:64",
      "cas:64");
  private static final byte[] VALUE = new byte[256];
  private static final long START = System.nanoTime();
  /** Seconds of load this run still has to go (for the progress lines' estimate). */
  private static long plannedSeconds;

  /** One point's figures. */
  record Figures(long ops, double seconds, long errors, long[] sortedMicros) {
    double opsPerSecond() {
      return ops / seconds;
    }

    double percentileMs(double p) {
      if (sortedMicros.length == 0) {
        return Double.NaN;
      }
      final int rank = (int) Math.ceil(p / 100.0 * sortedMicros.length);
      return sortedMicros[Math.max(0, Math.min(sortedMicros.length, rank) - 1)] / 1000.0;
    }
  }

  public static void main(String[] args) throws Exception {
    Path app = Path.of("examples/simple-coordinator/target/quarkus-app/quarkus-run.jar");
    int seconds = 10;
    // JIT: four JVMs on 2 cores are still compiling (C2 took about a third of the CPU) 15 s into the load
    int warmup = 30;
    int connections = 8;
    List<String> points = DEFAULT_POINTS;
    String only = null;
    Path results = null;
    String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
    final List<String> jvm = new ArrayList<>();
    for (int i = 0; i < args.length; i++) {
      switch (args[i]) {
        case "--app" -> app = Path.of(args[++i]);
        case "--seconds" -> seconds = Integer.parseInt(args[++i]);
        case "--warmup" -> warmup = Integer.parseInt(args[++i]);
        case "--connections" -> connections = Integer.parseInt(args[++i]);
        case "--points" -> points = List.of(args[++i].split(","));
        case "--only" -> only = args[++i];
        case "--java" -> java = args[++i];
        case "--jvm-option" -> jvm.add(args[++i]);
        case "--results" -> results = Path.of(args[++i]);
        default -> throw new IllegalArgumentException("unknown argument " + args[i] + " (use --app JAR, --seconds N,"
            + " --warmup N, --connections N, --points op:clients,..., --only etcd|baton, --java PATH (the nodes' java),"
            + " --jvm-option OPTION (repeatable), --results DIR)");
      }
    }
    for (String p : points) {
      if (!p.matches("(put|get|stale-get|cas):\\d+")) {
        throw new IllegalArgumentException("a point is op:clients with op put, get, stale-get or cas; got " + p);
      }
    }
    if (only != null && !List.of("etcd", "baton").contains(only)) {
      throw new IllegalArgumentException("--only takes etcd or baton, got " + only);
    }
    if (seconds < 1 || warmup < 0 || connections < 1) {
      throw new IllegalArgumentException("--seconds and --connections must be positive and --warmup not negative");
    }
    final BenchmarkResults kept = BenchmarkResults.at(results);
    final int systems = only == null ? 2 : 1;
    final long ops = points.stream().map(EtcdApiBenchmark::op).distinct().count();
    plannedSeconds = systems * (ops * warmupPerOp(warmup, ops) + (long) seconds * points.size());
    final String loadBefore = TakeoverBenchmark.load();
    System.out.printf(Locale.ROOT, "etcd API benchmark: points %s, %d s each after %d s of warm-up (every operation at"
        + " the points' largest number of clients), %d jetcd clients;"
        + " %d cores, load %s; about %d s of load in all%n", points, seconds, warmup, connections,
        Runtime.getRuntime().availableProcessors(), loadBefore, plannedSeconds);
    kept.meta("kv.points", points + ", " + seconds + " s each after " + warmup + " s of warm-up (every operation at"
        + " the points' largest number of clients), " + connections
        + " jetcd clients (connections)");
    kept.meta("kv.nodes-jvm", BenchmarkResults.versionOf(java, "-version") + (jvm.isEmpty() ? "" : " " + jvm));
    kept.meta("kv.load-before", loadBefore);
    final Map<String, Figures> etcd = new LinkedHashMap<>();
    final Map<String, Figures> baton = new LinkedHashMap<>();
    if (!"baton".equals(only)) {
      try (LocalEtcdCluster cluster = new LocalEtcdCluster(3)) {
        cluster.start();
        final String version = BenchmarkResults.versionOf("etcd", "--version");
        System.out.println("etcd: 3 members up (" + version + ")");
        kept.meta("etcd.version", version);
        run("etcd", cluster.endpoints(), points, seconds, warmup, connections, etcd);
      }
    }
    if (!"etcd".equals(only)) {
      if (!Files.isRegularFile(app)) {
        throw new IllegalArgumentException("no application at " + app + ": build it first (./mvnw install -DskipTests)");
      }
      final Path dir = Files.createTempDirectory("baton-bench-etcd-api-");
      try (ServiceNodes nodes = new ServiceNodes(app, dir, List.of("quarkus.log.level=WARN")).rehearse(true).jvm(java, jvm)) {
        for (String id : nodes.ids()) {
          nodes.start(id);
        }
        nodes.awaitAgreedActive("rootcoord", Duration.ofSeconds(60));
        System.out.println("baton: 3 nodes up");
        final List<String> endpoints = nodes.ids().stream().map(id -> "http://127.0.0.1:" + nodes.httpPort(id)).toList();
        run("baton", endpoints, points, seconds, warmup, connections, baton);
      } finally {
        Dirs.deleteRecursively(dir);
      }
    }
    System.out.printf(Locale.ROOT, "%n%-14s %12s %22s %12s %22s %8s%n", "point", "etcd ops/s", "etcd p50/p99/p99.9 ms",
        "baton ops/s", "baton p50/p99/p99.9 ms", "b/e");
    for (String p : points) {
      final Figures e = etcd.get(p);
      final Figures b = baton.get(p);
      System.out.printf(Locale.ROOT, "%-14s %12s %22s %12s %22s %8s%n", p, rate(e), latencies(e), rate(b), latencies(b),
          e == null || b == null ? "-" : String.format(Locale.ROOT, "%.2f", b.opsPerSecond() / e.opsPerSecond()));
    }
    final String loadAfter = TakeoverBenchmark.load();
    System.out.println("(ops/s over the measured seconds; errors, if any, are listed with each point above; load now "
        + loadAfter + ")");
    kept.meta("kv.load-after", loadAfter);
    keep(kept, Map.of("etcd", etcd, "baton", baton));
  }

  /** kv.tsv: one line per system and point; kv-cdf.tsv: latency quantiles per system and point. */
  private static void keep(BenchmarkResults kept, Map<String, Map<String, Figures>> bySystem) {
    final List<List<?>> rows = new ArrayList<>();
    final List<List<?>> cdf = new ArrayList<>();
    for (String system : List.of("etcd", "baton")) {
      bySystem.get(system).forEach((point, f) -> {
        rows.add(List.of(system, point, f.ops(), fixed(f.seconds()), f.errors(), fixed(f.opsPerSecond()),
            fixed(f.percentileMs(50)), fixed(f.percentileMs(99)), fixed(f.percentileMs(99.9))));
        for (double q : quantiles()) {
          cdf.add(List.of(system, point, q, fixed(f.percentileMs(q))));
        }
      });
    }
    kept.table("kv.tsv", List.of("system", "point", "ops", "seconds", "errors", "ops_per_s", "p50_ms", "p99_ms",
        "p99.9_ms"), rows);
    kept.table("kv-cdf.tsv", List.of("system", "point", "percentile", "latency_ms"), cdf);
  }

  /** Percentiles for a CDF: every 0.5 up to 99, then finer into the tail, and the maximum. */
  private static List<Double> quantiles() {
    final List<Double> q = new ArrayList<>();
    for (int i = 1; i <= 198; i++) {
      q.add(i / 2.0);
    }
    for (double tail : new double[] {99.2, 99.4, 99.6, 99.8, 99.9, 99.95, 99.99, 100}) {
      q.add(tail);
    }
    return q;
  }

  private static String fixed(double v) {
    return String.format(Locale.ROOT, "%.3f", v);
  }

  private static String rate(Figures f) {
    return f == null ? "-" : String.format(Locale.ROOT, "%.0f", f.opsPerSecond());
  }

  private static String latencies(Figures f) {
    return f == null ? "-" : String.format(Locale.ROOT, "%.2f/%.2f/%.2f", f.percentileMs(50), f.percentileMs(99),
        f.percentileMs(99.9));
  }

  private static void run(String system, List<String> endpoints, List<String> points, int seconds, int warmup,
      int connections, Map<String, Figures> out) throws Exception {
    final List<Client> clients = new ArrayList<>();
    try {
      for (int i = 0; i < connections; i++) {
        // each client talks to one member, spread evenly, as etcd's own benchmark does with --conns
        clients.add(Client.builder().endpoints(endpoints.get(i % endpoints.size())).build());
      }
      final List<String> ops = points.stream().map(EtcdApiBenchmark::op).distinct().toList();
      final int most = points.stream().mapToInt(EtcdApiBenchmark::clients).max().orElse(1);
      final int perOp = warmupPerOp(warmup, ops.size());
      if (perOp > 0) {
        prepare(clients.get(0).getKVClient(), most);
        for (String op : ops) {
          measure(clients, op, most, perOp);
          plannedSeconds -= perOp;
        }
        System.out.printf(Locale.ROOT, "%s: warmed up with %s at %d clients, %d s each%n", system, ops, most, perOp);
      }
      for (String point : points) {
        final String op = op(point);
        final int n = clients(point);
        prepare(clients.get(0).getKVClient(), n);
        final Figures f = measure(clients, op, n, seconds);
        out.put(point, f);
        plannedSeconds -= seconds;
        final double elapsed = (System.nanoTime() - START) / 1e9;
        System.out.printf(Locale.ROOT, "[%6.0f s, about %d s of load left] %s %-12s %8.0f ops/s, p50 %.2f ms, p99 %.2f ms,"
            + " p99.9 %.2f ms, %d errors%n", elapsed, plannedSeconds, system, point, f.opsPerSecond(),
            f.percentileMs(50), f.percentileMs(99), f.percentileMs(99.9), f.errors());
      }
    } finally {
      clients.forEach(Client::close);
    }
  }

  /** A point's operation: {@code put} of {@code put:64}. */
  private static String op(String point) {
    return point.substring(0, point.indexOf(':'));
  }

  /** A point's number of concurrent clients: 64 of {@code put:64}. */
  private static int clients(String point) {
    return Integer.parseInt(point.substring(point.indexOf(':') + 1));
  }

  /** The warm-up's seconds per operation: {@code --warmup} shared out, at least 1 s each unless it is 0. */
  private static int warmupPerOp(int warmup, long ops) {
    return warmup == 0 ? 0 : (int) Math.max(1, (warmup + ops - 1) / ops);
  }

  private static ByteSequence key(int worker) {
    return ByteSequence.from(String.format(Locale.ROOT, "k%07d", worker), StandardCharsets.UTF_8);
  }

  /** Every worker's key exists (gets read something, CAS has a revision to compare). */
  private static void prepare(KV kv, int workers) throws Exception {
    final List<CompletableFuture<?>> puts = new ArrayList<>();
    for (int w = 0; w < workers; w++) {
      puts.add(kv.put(key(w), ByteSequence.from(VALUE)));
    }
    CompletableFuture.allOf(puts.toArray(CompletableFuture[]::new)).get(60, TimeUnit.SECONDS);
  }

  /** {@code workers} closed loops, each with one request outstanding, for {@code seconds}. */
  private static Figures measure(List<Client> clients, String op, int workers, int seconds) throws Exception {
    final AtomicBoolean running = new AtomicBoolean(true);
    final AtomicLong errors = new AtomicLong();
    final long[][] latencies = new long[workers][];
    final int[] counts = new int[workers];
    final CountDownLatch done = new CountDownLatch(workers);
    final long start = System.nanoTime();
    for (int w = 0; w < workers; w++) {
      latencies[w] = new long[1 << 16];
      loop(clients.get(w % clients.size()).getKVClient(), op, w, running, errors, latencies, counts, done, 0);
    }
    Thread.sleep(TimeUnit.SECONDS.toMillis(seconds));
    running.set(false);
    final double elapsed = (System.nanoTime() - start) / 1e9;
    if (!done.await(30, TimeUnit.SECONDS)) {
      throw new IllegalStateException(op + ": requests still outstanding 30 s after the end of the point");
    }
    long ops = 0;
    for (int c : counts) {
      ops += c;
    }
    final long[] all = new long[(int) ops];
    int at = 0;
    for (int w = 0; w < workers; w++) {
      System.arraycopy(latencies[w], 0, all, at, counts[w]);
      at += counts[w];
    }
    Arrays.sort(all);
    return new Figures(ops, elapsed, errors.get(), all);
  }

  private static void loop(KV kv, String op, int w, AtomicBoolean running, AtomicLong errors, long[][] latencies,
      int[] counts, CountDownLatch done, long lastRevision) {
    if (!running.get()) {
      done.countDown();
      return;
    }
    final long t0 = System.nanoTime();
    final CompletableFuture<Long> call = switch (op) {
      case "put" -> kv.put(key(w), ByteSequence.from(VALUE)).thenApply(r -> r.getHeader().getRevision());
      case "get" -> kv.get(key(w)).thenApply(r -> lastRevision);
      case "stale-get" -> kv.get(key(w), GetOption.builder().withSerializable(true).build()).thenApply(r -> lastRevision);
      case "cas" -> (lastRevision == 0 ? kv.get(key(w)).thenApply(r -> r.getKvs().get(0).getModRevision())
          : CompletableFuture.completedFuture(lastRevision)).thenCompose(rev -> kv.txn()
              .If(new Cmp(key(w), Cmp.Op.EQUAL, CmpTarget.modRevision(rev)))
              .Then(Op.put(key(w), ByteSequence.from(VALUE), PutOption.DEFAULT)).commit()
              .thenApply(r -> r.isSucceeded() ? r.getHeader().getRevision() : 0L));
      default -> throw new IllegalArgumentException(op);
    };
    call.whenComplete((rev, error) -> {
      final long micros = (System.nanoTime() - t0) / 1000;
      if (error != null) {
        errors.incrementAndGet();
      } else {
        if (counts[w] == latencies[w].length) {
          latencies[w] = Arrays.copyOf(latencies[w], latencies[w].length * 2);
        }
        latencies[w][counts[w]++] = micros;
      }
      loop(kv, op, w, running, errors, latencies, counts, done, error != null ? 0 : rev);
    });
  }

}
