package io.baton.example;

import io.baton.testkit.Dirs;
import io.baton.testkit.ServiceNodes;
import io.vertx.core.json.JsonObject;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.TimeUnit;

/**
 * Restart-to-ready of one node of a running 3-node cluster of the example service, for several
 * JVM set-ups. For each set-up: start the cluster, then {@code --restarts} times kill -9 a standby
 * node and start it again, timing process start → {@code /q/health/started} UP, and → caught up
 * (its applied index reached the leader's commit index as read at that moment). Prints every
 * sample and the p50 per set-up.
 *
 * <p>Arguments: {@code --app quarkus-run.jar [--restarts N]
 * [--setup name=javaPath[,aotCacheFile[,jvmOption...]]]... [--results DIR]} (with {@code --results} it
 * leaves every sample in {@code restart.tsv} there); each {@code --setup} adds a set-up (e.g.
 * {@code jdk17=/usr/bin/java}, {@code jdk25+aot=/opt/jdk25/bin/java,target/quarkus-app/app.aot},
 * {@code jdk25+aot+c1=/opt/jdk25/bin/java,target/quarkus-app/app.aot,-XX:TieredStopAtLevel=1}; an
 * empty cache field means none).
 */
public final class RestartBenchmark {
  private static final long START = System.nanoTime();
  private static int planned;
  private static int done;

  private RestartBenchmark() {
  }

  private record Setup(String name, String java, Path aotCache, List<String> jvmOptions) {
  }

  public static void main(String[] args) throws Exception {
    Path app = null;
    int restarts = 10;
    Path results = null;
    final List<Setup> setups = new ArrayList<>();
    for (int i = 0; i < args.length; i++) {
      switch (args[i]) {
        case "--app" -> app = Path.of(args[++i]);
        case "--restarts" -> restarts = Integer.parseInt(args[++i]);
        case "--setup" -> {
          final String spec = args[++i];
          final int eq = spec.indexOf('=');
          if (eq <= 0) {
            throw new IllegalArgumentException("--setup takes name=javaPath[,aotCacheFile[,jvmOption...]], not " + spec);
          }
          final String[] parts = spec.substring(eq + 1).split(",");
          setups.add(new Setup(spec.substring(0, eq), parts[0],
              parts.length > 1 && !parts[1].isEmpty() ? Path.of(parts[1]) : null,
              parts.length > 2 ? List.of(parts).subList(2, parts.length) : List.of()));
        }
        case "--results" -> results = Path.of(args[++i]);
        default -> throw new IllegalArgumentException("unknown argument " + args[i]
            + " (use --app quarkus-run.jar, --restarts N, --setup name=javaPath[,aotCacheFile[,jvmOption...]],"
            + " --results DIR)");
      }
    }
    if (app == null || setups.isEmpty() || restarts < 1) {
      throw new IllegalArgumentException("--app and at least one --setup are required, and --restarts must be positive");
    }
    final BenchmarkResults kept = BenchmarkResults.at(results);
    final Map<String, double[]> summary = new LinkedHashMap<>();
    final List<List<?>> samples = new ArrayList<>();
    planned = setups.size() * restarts;
    for (Setup setup : setups) {
      if (setup.aotCache != null && !Files.isRegularFile(setup.aotCache)) {
        throw new IllegalArgumentException("no AOT cache at " + setup.aotCache + ": build it first (bin/build-aot-cache)");
      }
      kept.meta("restart." + setup.name, BenchmarkResults.versionOf(setup.java, "-version")
          + (setup.aotCache == null ? "" : " with the AOT cache " + setup.aotCache.getFileName())
          + (setup.jvmOptions.isEmpty() ? "" : " and " + String.join(" ", setup.jvmOptions)));
      summary.put(setup.name, run(app, setup, restarts, samples));
    }
    kept.table("restart.tsv", List.of("setup", "restart", "started_ms", "caught_up_ms"), samples);
    System.out.println();
    System.out.printf("%-12s %10s %14s   (p50 over %d restarts)%n", "set-up", "→ started", "→ caught up", restarts);
    summary.forEach((name, p50) -> System.out.printf("%-12s %8.0f ms %12.0f ms%n", name, p50[0], p50[1]));
  }

  /** Returns the p50 of start → started and start → caught up, in ms. */
  private static double[] run(Path app, Setup setup, int restarts, List<List<?>> samples) throws Exception {
    final Path dir = Files.createTempDirectory("baton-restart-");
    final List<String> options = new ArrayList<>(setup.jvmOptions);
    if (setup.aotCache != null) {
      options.add(0, "-XX:AOTCache=" + setup.aotCache);
    }
    final List<Double> started = new ArrayList<>();
    final List<Double> caughtUp = new ArrayList<>();
    try (ServiceNodes nodes = new ServiceNodes(app, dir, List.of()).rehearse(true).jvm(setup.java, options)) {
      for (String id : nodes.ids()) {
        nodes.start(id);
      }
      for (int i = 1; i <= restarts; i++) {
        final String victim = awaitStandbyNode(nodes, dir);
        nodes.stop(victim, false);
        final long t0 = System.nanoTime();
        nodes.start(victim);
        long startedAt = 0;
        long caughtUpAt = 0;
        final long deadline = t0 + TimeUnit.SECONDS.toNanos(60);
        while (caughtUpAt == 0) {
          if (System.nanoTime() > deadline) {
            throw new IllegalStateException(victim + " did not start and catch up within 60 s; logs are in " + dir);
          }
          if (startedAt == 0 && nodes.httpStatus(victim, "/q/health/started") == 200) {
            startedAt = System.nanoTime();
          }
          if (startedAt != 0 && caughtUp(nodes, victim)) {
            caughtUpAt = System.nanoTime();
          }
          Thread.sleep(5);
        }
        final double startedMs = (startedAt - t0) / 1e6;
        final double caughtUpMs = (caughtUpAt - t0) / 1e6;
        started.add(startedMs);
        caughtUp.add(caughtUpMs);
        samples.add(List.of(setup.name, i, Math.round(startedMs), Math.round(caughtUpMs)));
        done++;
        final double elapsed = (System.nanoTime() - START) / 1e9;
        System.out.printf(Locale.ROOT, "[%5.0f s, about %.0f s left] %s restart %d (%s): started %.0f ms,"
            + " caught up %.0f ms%n", elapsed, elapsed / done * (planned - done), setup.name, i, victim, startedMs,
            caughtUpMs);
      }
    } finally {
      Dirs.deleteRecursively(dir);
    }
    return new double[] {p50(started), p50(caughtUp)};
  }

  /** A node that is running, standby for every role, while a leader is known. */
  private static String awaitStandbyNode(ServiceNodes nodes, Path dir) throws InterruptedException {
    final long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
    while (System.nanoTime() < deadline) {
      for (String id : nodes.ids()) {
        final Optional<JsonObject> s = nodes.status(id);
        if (s.isPresent() && s.get().getJsonObject("raft").getString("leader") != null
            && !id.equals(s.get().getJsonObject("raft").getString("leader"))
            && s.get().getJsonObject("roles").stream().allMatch(e -> "STANDBY".equals(((JsonObject) e.getValue())
                .getString("state")))
            && nodes.ids().stream().allMatch(n -> nodes.status(n).isPresent())) {
          return id;
        }
      }
      Thread.sleep(20);
    }
    throw new IllegalStateException("no standby node with a known leader within 60 s; logs are in " + dir);
  }

  private static boolean caughtUp(ServiceNodes nodes, String id) {
    final Optional<JsonObject> mine = nodes.status(id);
    if (mine.isEmpty()) {
      return false;
    }
    final String leader = mine.get().getJsonObject("raft").getString("leader");
    if (leader == null) {
      return false;
    }
    final Optional<JsonObject> theirs = nodes.status(leader);
    return theirs.isPresent() && mine.get().getJsonObject("raft").getLong("appliedIndex")
        >= theirs.get().getJsonObject("raft").getLong("commitIndex");
  }

  private static double p50(List<Double> samples) {
    final List<Double> sorted = new ArrayList<>(samples);
    Collections.sort(sorted);
    return BenchmarkResults.nearestRank(sorted, 50);
  }
}
