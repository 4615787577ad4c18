package io.baton.example;

import io.baton.ha.grpc.BatonGrpc;
import io.baton.ha.grpc.Fence;
import io.baton.ha.grpc.PutRequest;
import io.baton.ha.grpc.StatusRequest;
import io.baton.ha.grpc.TransferRoleRequest;
import io.baton.testkit.Dirs;
import io.baton.testkit.LocalEtcdCluster;
import io.baton.testkit.ServiceNodes;
import io.grpc.ManagedChannel;
import io.grpc.ManagedChannelBuilder;
import io.grpc.StatusRuntimeException;
import io.vertx.core.json.JsonObject;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.time.LocalTime;
import java.time.ZoneId;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * {@code bin/bench-takeover}: how long a takeover takes, measured on three processes of the example
 * service, per case: kill -9 of the active, SIGTERM of the active (a planned handover), a transfer
 * through the gRPC API; under the leader and the spread placement on Ratis, and on etcd. Each round
 * measures from the kill, signal or call to the moment the new active's {@code onActive} returned
 * (the node stamps it in {@code /baton/status}; same machine, same clock), then restarts the victim
 * and waits until every node agrees again. Pause cases SIGSTOP the active for a while and count
 * epoch changes; the stress case saturates both cores with stress-ng for {@code --stress-seconds}
 * (600) and counts epoch changes. Prints progress with an estimate of the time left, then p50, p99 and max per case,
 * and the phases of the median round of each kill case from the new active's log. Stops by itself
 * and stops every process it started.
 *
 * <p>Arguments: {@code --app JAR [--rounds N] [--pauses N] [--cases a,b,...] [--java PATH]
 * [--aot-cache FILE] [--jvm-option OPT]... [--property k=v]... [--stress-seconds N] [--rolling] [--keep]
 * [--results DIR]}; {@code --jvm-option} adds an option to every node's JVM; with
 * {@code --rolling} a round starts as soon as every node's {@code /q/health/ready} is UP, as a Kubernetes
 * rolling update goes on to the next pod, rather than once every node is idle (a restarted JVM's compiler is busy for seconds
 * after it is ready); with {@code --results}
 * it leaves {@code takeover.tsv} (every round's time), {@code takeover-notes.txt} (phases, pauses,
 * failed rounds) and facts about the run in {@code meta.tsv} there; cases: {@code kill, term,
 * transfer, pause, stress, spread-kill, spread-term, etcd-kill, etcd-term} (all by default).
 */
public final class TakeoverBenchmark {
  private static final String ROLE = "rootcoord";
  private static final double IDLE_CORES = 0.1;
  private static final Duration IDLE_WINDOW = Duration.ofMillis(500);
  private static final Duration IDLE_TIMEOUT = Duration.ofSeconds(20);
  /** How long --rolling waits for a node's readiness (the rehearsal alone may take up to 30 s). */
  private static final Duration READY_TIMEOUT = Duration.ofSeconds(60);
  private static final List<String> ALL_CASES = List.of("kill", "term", "transfer", "pause", "stress", "spread-kill",
      "spread-term", "etcd-kill", "etcd-term");
  private static final Pattern LOG_TIME = Pattern.compile("^(\\d\\d:\\d\\d:\\d\\d\\.\\d\\d\\d) ");
  private static final long START = System.nanoTime();
  /** Extra {@code -D} settings for every node ({@code --property k=v}), e.g. log levels to see where time goes. */
  private static final List<String> EXTRA = new ArrayList<>();

  private final Path app;
  private final Path root;
  private final String javaCommand;
  private final List<String> jvmOptions;
  private final Map<String, List<Long>> results = new LinkedHashMap<>();
  private final List<String> notes = new ArrayList<>();
  /** Rounds start once every node is ready, not once every node is idle too (see --rolling). */
  private boolean rolling;
  private int roundsDone;
  private int roundsPlanned;

  private TakeoverBenchmark(Path app, Path root, String java, List<String> jvmOptions) {
    this.app = app;
    this.root = root;
    this.javaCommand = java;
    this.jvmOptions = jvmOptions;
  }

  public static void main(String[] args) throws Exception {
    Path app = Path.of("examples/simple-coordinator/target/quarkus-app/quarkus-run.jar");
    int rounds = 30;
    int pauses = 50;
    int stressSeconds = 600;
    List<String> cases = ALL_CASES;
    String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
    final List<String> jvm = new ArrayList<>();
    boolean keep = false;
    boolean rolling = false;
    Path results = null;
    for (int i = 0; i < args.length; i++) {
      switch (args[i]) {
        case "--app" -> app = Path.of(args[++i]);
        case "--rounds" -> rounds = Integer.parseInt(args[++i]);
        case "--pauses" -> pauses = Integer.parseInt(args[++i]);
        case "--stress-seconds" -> stressSeconds = Integer.parseInt(args[++i]);
        case "--cases" -> {
          cases = List.of(args[++i].split(","));
          for (String c : cases) {
            if (!ALL_CASES.contains(c)) {
              throw new IllegalArgumentException("unknown case " + c + " (cases: " + ALL_CASES + ")");
            }
          }
        }
        case "--java" -> java = args[++i];
        case "--aot-cache" -> jvm.add("-XX:AOTCache=" + args[++i]);
        case "--jvm-option" -> jvm.add(args[++i]);
        case "--keep" -> keep = true;
        case "--rolling" -> rolling = true;
        case "--property" -> EXTRA.add(args[++i]);
        case "--results" -> results = Path.of(args[++i]);
        default -> throw new IllegalArgumentException("unknown argument " + args[i] + " (use --app JAR, --rounds N,"
            + " --pauses N, --stress-seconds N, --cases " + String.join(",", ALL_CASES) + ", --java PATH, --aot-cache FILE,"
            + " --jvm-option OPT, --property k=v, --rolling, --keep, --results DIR)");
      }
    }
    if (!Files.isRegularFile(app)) {
      throw new IllegalArgumentException("no application at " + app + ": build it first (./mvnw install -DskipTests)");
    }
    if (rounds < 1 || pauses < 1 || stressSeconds < 1) {
      throw new IllegalArgumentException("--rounds, --pauses and --stress-seconds must be positive");
    }
    final BenchmarkResults kept = BenchmarkResults.at(results);
    final Path root = Files.createTempDirectory("baton-bench-takeover-");
    final TakeoverBenchmark bench = new TakeoverBenchmark(app, root, java, jvm);
    bench.stressSeconds = stressSeconds;
    bench.rolling = rolling;
    final int perCase = rounds;
    bench.roundsPlanned = cases.stream().mapToInt(c -> c.equals("pause") ? 3 : c.equals("stress") ? 1 : perCase).sum();
    final String roundsStart = rolling ? "once every node is ready (--rolling)" : "once every node is idle";
    System.out.printf("Takeover benchmark: cases %s, %d rounds each (starting %s), %d pauses of 100 and 200 ms; %d cores,"
        + " load %s; node logs under %s%n", cases, rounds, roundsStart, pauses, Runtime.getRuntime().availableProcessors(),
        load(), root);
    kept.meta("takeover.cases", cases + ", " + rounds + " rounds each, starting " + roundsStart);
    kept.meta("takeover.nodes-jvm", BenchmarkResults.versionOf(java, "-version") + (jvm.isEmpty() ? "" : " " + jvm));
    kept.meta("takeover.load-before", load());
    try {
      for (String c : cases) {
        bench.run(c, rounds, pauses);
      }
    } finally {
      if (!keep) {
        Dirs.deleteRecursively(root);
      }
    }
    bench.report();
    bench.keep(kept);
  }

  /** The machine's load (/proc/loadavg), for the benchmarks' headers. */
  static String load() {
    try {
      return Files.readString(Path.of("/proc/loadavg")).trim();
    } catch (IOException e) {
      return "unknown";
    }
  }

  private void say(String line) {
    final double elapsed = (System.nanoTime() - START) / 1e9;
    final String eta = roundsDone == 0 ? "?" : String.format(Locale.ROOT, "%.0f s",
        elapsed / roundsDone * Math.max(0, roundsPlanned - roundsDone));
    System.out.printf(Locale.ROOT, "[%7.1f s, about %s left] %s%n", elapsed, eta, line);
  }

  // ---- one case --------------------------------------------------------------------------

  private void run(String c, int rounds, int pauses) throws Exception {
    final List<String> properties = new ArrayList<>(EXTRA);
    LocalEtcdCluster etcd = null;
    if (c.startsWith("spread-")) {
      properties.add("baton.placement=spread");
    }
    if (c.startsWith("etcd-")) {
      etcd = new LocalEtcdCluster(3).start();
      properties.addAll(List.of("baton.backend=etcd", "baton.etcd.endpoints=" + String.join(",", etcd.endpoints()),
          "baton.etcd.lease-ttl=2s"));
    }
    final Path dir = Files.createDirectories(root.resolve(c));
    final ServiceNodes nodes = new ServiceNodes(app, dir, properties).rehearse(true).jvm(javaCommand, jvmOptions);
    final Thread reaper = new Thread(nodes::close);
    Runtime.getRuntime().addShutdownHook(reaper);
    try {
      nodes.ids().forEach(id -> start(nodes, id));
      awaitAgreed(nodes, 60);
      say(c + ": 3 nodes up" + (etcd != null ? " on a 3-member etcd cluster (lease TTL 2 s)" : ""));
      if (c.equals("pause")) {
        pauses(nodes, pauses);
        return;
      }
      if (c.equals("stress")) {
        stress(nodes, stressSeconds);
        return;
      }
      final List<Long> times = new ArrayList<>();
      final List<Map<String, Long>> phases = new ArrayList<>();
      for (int round = 1; round <= rounds; round++) {
        final Map<String, Long> phase = new LinkedHashMap<>();
        try {
          times.add(round(c, nodes, round, phase));
          phases.add(phase);
        } catch (RuntimeException e) {
          // a failed round is a result too: count it, say why, and go on from a cluster that agrees again
          notes.add(c + " round " + round + " FAILED: " + e);
          say(notes.get(notes.size() - 1));
          nodes.ids().stream().filter(id -> !nodes.isRunning(id)).forEach(id -> start(nodes, id));
        }
        roundsDone++;
      }
      results.put(c, times);
      if (c.endsWith("kill") && !times.isEmpty()) {
        notes.add(phasesOfMedian(c, times, phases));
      }
    } finally {
      nodes.close();
      if (etcd != null) {
        etcd.close();
      }
      Runtime.getRuntime().removeShutdownHook(reaper);
    }
  }

  private static void start(ServiceNodes nodes, String id) {
    try {
      nodes.start(id);
    } catch (IOException e) {
      throw new IllegalStateException("cannot start node " + id, e);
    }
  }

  /** One kill, term or transfer round: the takeover in ms, from the action to the new onActive returned. */
  private long round(String c, ServiceNodes nodes, int round, Map<String, Long> phase) throws Exception {
    final Map<String, JsonObject> agreed = awaitAgreed(nodes, 60);
    settle(nodes);
    final String victim = agreed.get(ROLE).getString("node");
    final long oldEpoch = epochOf(agreed.get(ROLE));
    final String target = nodes.ids().stream().filter(id -> !id.equals(victim)).findFirst().orElseThrow();
    final long t0;
    if (c.equals("transfer")) {
      final ManagedChannel channel = ManagedChannelBuilder.forAddress("127.0.0.1", nodes.httpPort(victim))
          .usePlaintext().build();
      try {
        // the call is timed, not this process's gRPC set-up: connect (and load the client's classes) first
        BatonGrpc.newBlockingStub(channel).withDeadlineAfter(30, TimeUnit.SECONDS)
            .status(StatusRequest.getDefaultInstance());
        t0 = System.currentTimeMillis();
        BatonGrpc.newBlockingStub(channel).withDeadlineAfter(30, TimeUnit.SECONDS)
            .transferRole(TransferRoleRequest.newBuilder().setRole(ROLE).setTarget(target).build());
      } finally {
        channel.shutdownNow();
      }
    } else {
      t0 = System.currentTimeMillis();
      nodes.stop(victim, c.endsWith("term"));
    }
    final JsonObject next = awaitTakeover(nodes, victim, oldEpoch, t0);
    final long ms = epochRole(next).getLong("activatedAtMillis") - t0;
    phase.put("node", (long) Integer.parseInt(next.getString("node").substring(1)));
    phase.put("t0", t0);
    say(String.format(Locale.ROOT, "%s round %d: %s -> %s in %d ms (epoch %d -> %d)", c, round, victim,
        next.getString("node"), ms, oldEpoch, epochOf(next)));
    if (!c.equals("transfer")) {
      nodes.awaitExit(victim);
      nodes.start(victim);
    }
    return ms;
  }

  /**
   * Waits until every node is idle again: a node restarted by the previous round is ready long
   * before its JIT compiler has finished, and on two cores that compiling would be timed as part of
   * the next takeover. A node counts as idle below {@link #IDLE_CORES} cores over {@link #IDLE_WINDOW};
   * one that is not after {@link #IDLE_TIMEOUT} is noted and the round goes on.
   */
  private void settle(ServiceNodes nodes) throws IOException, InterruptedException {
    if (rolling) {
      awaitReady(nodes);
      return;
    }
    for (String id : nodes.ids()) {
      final double used = nodes.awaitQuiet(id, IDLE_CORES, IDLE_WINDOW, IDLE_TIMEOUT);
      if (used >= IDLE_CORES) {
        say(String.format(Locale.ROOT, "node %s still used %.2f cores after %d s; the round starts anyway", id, used,
            IDLE_TIMEOUT.toSeconds()));
      }
    }
  }

  /** Waits until every node's readiness probe is UP (at most {@link #READY_TIMEOUT} each; noted if not). */
  private void awaitReady(ServiceNodes nodes) throws InterruptedException {
    for (String id : nodes.ids()) {
      if (!nodes.awaitReady(id, READY_TIMEOUT)) {
        say("node " + id + " was not ready after " + READY_TIMEOUT.toSeconds() + " s; the round starts anyway");
      }
    }
  }

  private static JsonObject epochRole(JsonObject status) {
    return status.getJsonObject("roles").getJsonObject(ROLE);
  }

  private static long epochOf(JsonObject status) {
    return epochRole(status).getLong("epoch");
  }

  private static long epochOf(JsonObject status, String role) {
    return status.getJsonObject("roles").getJsonObject(role).getLong("epoch");
  }

  /** The status of the node that took the role over from {@code victim}: ACTIVE, a newer epoch, onActive returned after t0. */
  private JsonObject awaitTakeover(ServiceNodes nodes, String victim, long oldEpoch, long t0)
      throws InterruptedException {
    final long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
    while (System.nanoTime() < deadline) {
      for (String id : nodes.ids()) {
        if (id.equals(victim)) {
          continue;
        }
        final Optional<JsonObject> s = nodes.status(id);
        if (s.isPresent()) {
          final JsonObject r = epochRole(s.get());
          if ("ACTIVE".equals(r.getString("state")) && r.getLong("epoch") > oldEpoch
              && r.getLong("activatedAtMillis", 0L) >= t0) {
            return s.get();
          }
        }
      }
      // the time is the node's own stamp: polling more often would not make it more precise, only
      // take CPU from the nodes while they take over (every 5 ms cost about 400 status calls/s)
      Thread.sleep(100);
    }
    throw new IllegalStateException("no takeover from " + victim + " within 30 s; node logs are in " + root);
  }

  /** Every node running and reporting, each role ACTIVE on one node, every node naming that one. */
  private Map<String, JsonObject> awaitAgreed(ServiceNodes nodes, int seconds) throws InterruptedException {
    return nodes.awaitAgreedActive(List.of("rootcoord", "querycoord"), Duration.ofSeconds(seconds));
  }

  // ---- load ------------------------------------------------------------------------------

  /** How long the stress case saturates the cores ({@code --stress-seconds}, default 600). */
  private int stressSeconds = 600;

  /**
   * Both cores saturated by another process ({@code stress-ng --cpu 2 --vm 1}) for {@code seconds}
   * while every node is polled twice a second: any epoch change of either role, or a new Raft term,
   * is a takeover caused by mere load.
   */
  private void stress(ServiceNodes nodes, int seconds) throws Exception {
    final Map<String, JsonObject> before = awaitAgreed(nodes, 60);
    final Map<String, Long> epochs = new LinkedHashMap<>();
    before.forEach((role, s) -> epochs.put(role, epochOf(s, role)));
    final long termBefore = before.get(ROLE).getJsonObject("raft").getLong("term");
    final Process stress = new ProcessBuilder("stress-ng", "--cpu", "2", "--vm", "1", "--timeout", seconds + "s", "--quiet")
        .redirectErrorStream(true).redirectOutput(ProcessBuilder.Redirect.DISCARD).start();
    final List<String> changes = new ArrayList<>();
    long polls = 0;
    long unanswered = 0;
    final long start = System.nanoTime();
    long lastSay = start;
    try {
      while (stress.isAlive() && System.nanoTime() - start < TimeUnit.SECONDS.toNanos(seconds + 30L)) {
        for (String id : nodes.ids()) {
          final var status = nodes.status(id);
          polls++;
          if (status.isEmpty()) {
            unanswered++;
            continue;
          }
          for (Map.Entry<String, Long> e : epochs.entrySet()) {
            final long now = epochOf(status.get(), e.getKey());
            if (now > e.getValue()) {
              changes.add(String.format(Locale.ROOT, "%.0f s: %s epoch %d -> %d seen on %s",
                  (System.nanoTime() - start) / 1e9, e.getKey(), e.getValue(), now, id));
              e.setValue(now);
            }
          }
        }
        if (System.nanoTime() - lastSay > TimeUnit.SECONDS.toNanos(60)) {
          lastSay = System.nanoTime();
          say(String.format(Locale.ROOT, "stress: %.0f of %d s (%.0f s left), %d epoch change(s) so far, load %s",
              (lastSay - start) / 1e9, seconds, seconds - (lastSay - start) / 1e9, changes.size(), load()));
        }
        Thread.sleep(500);
      }
    } finally {
      stress.destroyForcibly();
      stress.waitFor(10, TimeUnit.SECONDS);
    }
    final Map<String, JsonObject> after = awaitAgreed(nodes, 60);
    final long termAfter = after.get(ROLE).getJsonObject("raft").getLong("term");
    notes.add(String.format(Locale.ROOT, "stress-ng --cpu 2 --vm 1 for %d s: %d epoch change(s)%s; Raft term %d -> %d;"
        + " %d status polls, %d unanswered (the status call timed out under load)", seconds, changes.size(),
        changes.isEmpty() ? "" : " " + changes, termBefore, termAfter, polls, unanswered));
    say(notes.get(notes.size() - 1));
    roundsDone++;
  }

  // ---- pauses ----------------------------------------------------------------------------

  /** SIGSTOP of the active for 100 ms and 200 ms ({@code count} each, 2 s apart): epoch changes; then 2 s: exactly one. */
  private void pauses(ServiceNodes nodes, int count) throws Exception {
    for (long pauseMs : new long[] {100, 200}) {
      final Map<String, JsonObject> before = awaitAgreed(nodes, 60);
      final long epochBefore = epochOf(before.get(ROLE));
      final String active = before.get(ROLE).getString("node");
      for (int i = 0; i < count; i++) {
        nodes.signal(active, "STOP");
        Thread.sleep(pauseMs);
        nodes.signal(active, "CONT");
        Thread.sleep(2000 - pauseMs);
      }
      final Map<String, JsonObject> after = awaitAgreed(nodes, 60);
      final long changes = epochOf(after.get(ROLE)) - epochBefore;
      notes.add(String.format(Locale.ROOT, "pause %d ms x %d of the active %s: %s (epoch %d -> %d, active %s)",
          pauseMs, count, active, changes == 0 ? "no epoch change" : "the epoch CHANGED", epochBefore,
          epochOf(after.get(ROLE)), after.get(ROLE).getString("node")));
      say(notes.get(notes.size() - 1));
      roundsDone++;
    }
    // a long pause: one takeover, and the paused node's fenced writes are rejected once it resumes
    final Map<String, JsonObject> before = awaitAgreed(nodes, 60);
    final String active = before.get(ROLE).getString("node");
    final long epoch = epochOf(before.get(ROLE));
    nodes.signal(active, "STOP");
    Thread.sleep(2000);
    final Map<String, JsonObject> during = new LinkedHashMap<>();
    for (String id : nodes.ids()) {
      if (!id.equals(active)) {
        nodes.status(id).ifPresent(s -> during.put(id, s));
      }
    }
    nodes.signal(active, "CONT");
    final Map<String, JsonObject> after = awaitAgreed(nodes, 60);
    final long newEpoch = epochOf(after.get(ROLE));
    String fenced;
    final ManagedChannel channel = ManagedChannelBuilder.forAddress("127.0.0.1", nodes.httpPort(active))
        .usePlaintext().build();
    try {
      BatonGrpc.newBlockingStub(channel).withDeadlineAfter(10, TimeUnit.SECONDS).put(PutRequest.newBuilder()
          .setKey("baton/roles/" + ROLE + "/state/bench").setValue(com.google.protobuf.ByteString.copyFromUtf8("stale"))
          .setFence(Fence.newBuilder().setRole(ROLE).setEpoch(epoch)).build());
      fenced = "ACCEPTED (a fencing failure)";
    } catch (StatusRuntimeException e) {
      fenced = "rejected (" + e.getStatus().getCode() + ")";
    } finally {
      channel.shutdownNow();
    }
    final String activeDuring = during.values().stream().map(s -> epochRole(s).getString("active")).distinct().toList()
        .toString();
    final String now = after.get(ROLE).getString("node");
    // the epochs between are revisions of other writes too: the figures say whether the role moved, not how often
    final List<String> othersActive = during.values().stream().map(s -> epochRole(s).getString("active"))
        .filter(n -> n != null && !n.equals(active)).distinct().toList();
    final String outcome = newEpoch == epoch ? "no new epoch"
        : !now.equals(active) ? "taken over by " + now
        : !othersActive.isEmpty() ? "taken over by " + othersActive + ", then the role came back to " + active
        : "not taken over during the pause: the resumed node claimed the role again with a new epoch";
    notes.add(String.format(Locale.ROOT, "pause 2000 ms of the active %s: epoch %d -> %d, %s (the others saw as active at"
        + " the pause's end %s); a write fenced with the old epoch through the resumed node: %s; it is %s", active,
        epoch, newEpoch, outcome, activeDuring, fenced, epochRole(nodes.status(active).orElseThrow()).getString("state")));
    say(notes.get(notes.size() - 1));
    roundsDone++;
  }

  // ---- the report ------------------------------------------------------------------------

  /** The median round's phases from the new active's log: detection, election, first commit, activation. */
  private String phasesOfMedian(String c, List<Long> times, List<Map<String, Long>> phases) {
    final List<Integer> order = new ArrayList<>(); // (failed rounds have no phases: times and phases align)
    for (int i = 0; i < times.size(); i++) {
      order.add(i);
    }
    order.sort((a, b) -> Long.compare(times.get(a), times.get(b)));
    final int median = BenchmarkResults.nearestRank(order, 50);
    final Map<String, Long> p = phases.get(median);
    final String node = "n" + p.get("node");
    final long t0 = p.get("t0");
    final LocalTime kill = LocalTime.ofInstant(Instant.ofEpochMilli(t0), ZoneId.systemDefault());
    final Map<String, String> marks = new LinkedHashMap<>();
    // Ratis: the peer watch or the lease, the Raft election, the role claim; etcd: the crash probe (when this
    // node is the standby that saw it) or the session's end, then this node's key leads the election (its claim)
    marks.put("detected", "process is gone|process of node \\S+, active for .*, is gone|expired|resigning|lease gone");
    marks.put("elected", "became leader|took the role lease|leads election");
    marks.put("claimed", "claimed as leader|took the role lease|leads election");
    marks.put("active", "role=" + ROLE + " epoch=\\d+: active");
    final StringBuilder out = new StringBuilder(c + ", median round (" + times.get(median) + " ms, new active " + node
        + "): ");
    try {
      final List<String> lines = Files.readAllLines(root.resolve(c).resolve(node + ".log"));
      for (Map.Entry<String, String> m : marks.entrySet()) {
        final Pattern what = Pattern.compile(m.getValue());
        Long at = null;
        for (String line : lines) {
          final Matcher t = LOG_TIME.matcher(line);
          if (t.find() && what.matcher(line).find()) {
            final long ms = Duration.between(kill, LocalTime.parse(t.group(1))).toMillis();
            // this round's lines only: from the action to the new onActive (not a later round's)
            if (ms >= 0 && ms <= times.get(median)) {
              at = ms;
              break;
            }
          }
        }
        out.append(m.getKey()).append(" +").append(at == null ? "?" : at + " ms").append(", ");
      }
    } catch (IOException e) {
      out.append("(log unreadable: ").append(e.getMessage()).append(") ");
    }
    out.append("onActive returned +").append(times.get(median)).append(" ms");
    return out.toString();
  }

  /** takeover.tsv: case, round, ms of every round that completed; takeover-notes.txt: the notes. */
  private void keep(BenchmarkResults kept) {
    final List<List<?>> rows = new ArrayList<>();
    results.forEach((c, times) -> {
      for (int i = 0; i < times.size(); i++) {
        rows.add(List.of(c, i + 1, times.get(i)));
      }
    });
    kept.table("takeover.tsv", List.of("case", "round", "ms"), rows);
    kept.lines("takeover-notes.txt", notes);
    kept.meta("takeover.load-after", load());
  }

  private void report() {
    System.out.println();
    if (!results.isEmpty()) {
      System.out.println("| case | rounds | p50 ms | p99 ms | max ms |");
      System.out.println("|---|---|---|---|---|");
    }
    results.forEach((c, times) -> {
      if (times.isEmpty()) {
        System.out.printf(Locale.ROOT, "| %s | 0 | - | - | - |%n", c);
        return;
      }
      final List<Long> sorted = new ArrayList<>(times);
      Collections.sort(sorted);
      System.out.printf(Locale.ROOT, "| %s | %d | %d | %d | %d |%n", c, sorted.size(),
          BenchmarkResults.nearestRank(sorted, 50), BenchmarkResults.nearestRank(sorted, 99),
          sorted.get(sorted.size() - 1));
    });
    System.out.println();
    notes.forEach(System.out::println);
    System.out.println("load at the end: " + load());
  }
}
