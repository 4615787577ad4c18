package io.baton.example;

import io.baton.testkit.Dirs;
import io.baton.testkit.ServiceNodes;
import io.vertx.core.json.JsonObject;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.TimeUnit;

/**
 * The README's first command: three nodes of this example service as separate JVMs on loopback
 * (embedded Raft, nothing else needed). Once every node is ready ({@code /q/health/ready}: its
 * rehearsal is over) it shows which node is active for each role, kills the active node with
 * SIGKILL, and prints the takeover time and the new epoch; then it restarts the killed node and
 * waits until it is ready again, as a rolling update would, for a few rounds.
 * Arguments: {@code [--app path/to/quarkus-run.jar] [--rounds N] [--keep] [--signal kill|term]
 * [--placement leader|spread]}; with {@code --signal term} the active node is stopped gracefully
 * instead (SIGTERM), so it hands its roles over before it exits: a planned handover. With
 * {@code --placement spread} the roles may be active on different nodes; a round kills the node
 * active for rootcoord and measures the roles it held.
 */
public final class ClusterDemo {
  private static final long START = System.nanoTime();
  private static final List<String> ROLES = List.of("rootcoord", "querycoord");
  /** At most the rehearsal's deadline (30 s) after a start that itself takes a few seconds. */
  private static final Duration READY_TIMEOUT = Duration.ofSeconds(60);

  private final ServiceNodes nodes;
  private final Path dir;
  private final boolean graceful;
  private final boolean spread;

  private ClusterDemo(ServiceNodes nodes, boolean graceful, boolean spread) {
    this.nodes = nodes;
    this.dir = nodes.dir();
    this.graceful = graceful;
    this.spread = spread;
  }

  private static void say(String line) {
    System.out.printf("[%6.2f s] %s%n", (System.nanoTime() - START) / 1e9, line);
  }

  public static void main(String[] args) throws Exception {
    Path app = Path.of(System.getProperty("baton.example.app", "examples/simple-coordinator/target/quarkus-app/quarkus-run.jar"));
    int rounds = 3;
    boolean keep = false;
    boolean graceful = false;
    String placement = "leader";
    String java = null;
    Path aotCache = null;
    String etcdTtl = null;
    for (int i = 0; i < args.length; i++) {
      switch (args[i]) {
        case "--app" -> app = Path.of(args[++i]);
        case "--rounds" -> rounds = Integer.parseInt(args[++i]);
        case "--keep" -> keep = true;
        case "--java" -> java = args[++i];
        case "--etcd" -> etcdTtl = args[++i];
        case "--aot-cache" -> aotCache = Path.of(args[++i]);
        case "--placement" -> {
          placement = args[++i];
          if (!List.of("leader", "spread").contains(placement)) {
            throw new IllegalArgumentException("--placement takes leader or spread, not " + placement);
          }
        }
        case "--signal" -> {
          final String signal = args[++i];
          if (!signal.equals("kill") && !signal.equals("term")) {
            throw new IllegalArgumentException("--signal takes kill or term, not " + signal);
          }
          graceful = signal.equals("term");
        }
        default -> throw new IllegalArgumentException("unknown argument " + args[i]
            + " (use --app JAR, --rounds N, --keep, --signal kill|term, --placement leader|spread, --java PATH,"
            + " --aot-cache FILE, --etcd LEASE_TTL)");
      }
    }
    if (!Files.isRegularFile(app)) {
      throw new IllegalArgumentException("no application at " + app + ": build it first (./mvnw install -DskipTests)");
    }
    final Path dir = Files.createTempDirectory("baton-example-");
    final List<String> properties = new ArrayList<>(List.of("baton.placement=" + placement));
    io.baton.testkit.LocalEtcdCluster etcd = null;
    if (etcdTtl != null) {
      // the etcd backend: a local 3-member etcd cluster (the etcd binary) holds the elections and metadata
      etcd = new io.baton.testkit.LocalEtcdCluster(3).start();
      properties.addAll(List.of("baton.backend=etcd", "baton.etcd.endpoints=" + String.join(",", etcd.endpoints()),
          "baton.etcd.lease-ttl=" + etcdTtl));
    }
    final ServiceNodes nodes = new ServiceNodes(app, dir, properties).rehearse(true);
    if (java != null) {
      nodes.jvm(java, aotCache == null ? List.of() : List.of("-XX:AOTCache=" + aotCache));
    }
    final ClusterDemo demo = new ClusterDemo(nodes, graceful, placement.equals("spread"));
    final Thread reaper = new Thread(nodes::close);
    Runtime.getRuntime().addShutdownHook(reaper);
    System.out.println("Baton example: 3 nodes of a coordinator service with two roles (rootcoord HOT, querycoord WARM),");
    System.out.println((etcdTtl == null ? "embedded Raft on loopback, no external service, placement " + placement
        : "etcd backend (a local 3-member etcd cluster), lease TTL " + etcdTtl) + ". Node data and logs: " + dir);
    boolean done = false;
    try {
      demo.run(rounds);
      done = true;
    } finally {
      nodes.close();
      if (etcd != null) {
        etcd.close();
      }
      Runtime.getRuntime().removeShutdownHook(reaper);
      if (!keep && done) {
        Dirs.deleteRecursively(dir); // after a failure the node logs stay, where its message says they are
      }
    }
  }

  private void run(int rounds) throws Exception {
    for (String id : nodes.ids()) {
      nodes.start(id);
    }
    awaitReady();
    say("every node is ready (its rehearsal, a practice takeover that warms up the code, is over)");
    Map<String, JsonObject> active = awaitActive(Duration.ofSeconds(60));
    describe(active);
    final List<Double> takeovers = new ArrayList<>();
    for (int round = 1; round <= rounds; round++) {
      final String victim = active.get("rootcoord").getString("node");
      final Map<String, Long> oldEpochs = new LinkedHashMap<>();
      final List<String> moving = new ArrayList<>(); // the victim's roles (with spread placement, not all)
      for (String r : ROLES) {
        oldEpochs.put(r, active.get(r).getJsonObject("roles").getJsonObject(r).getLong("epoch"));
        if (active.get(r).getString("node").equals(victim)) {
          moving.add(r);
        }
      }
      final long killedAt = System.nanoTime();
      final long killedAtMillis = System.currentTimeMillis();
      nodes.stop(victim, graceful);
      say("round " + round + ": " + what() + " " + victim + " (active for " + String.join(" and ", moving) + ")");
      final Map<String, Long> takenAt = new LinkedHashMap<>();
      final Map<String, JsonObject> next = new LinkedHashMap<>();
      final long deadline = killedAt + TimeUnit.SECONDS.toNanos(30);
      while (takenAt.size() < moving.size() && System.nanoTime() < deadline) {
        for (String id : nodes.ids()) {
          if (id.equals(victim)) {
            continue; // a gracefully stopping victim still answers, but it is not a takeover
          }
          final Optional<JsonObject> s = nodes.status(id);
          if (s.isEmpty()) {
            continue;
          }
          for (String role : moving) {
            final JsonObject r = s.get().getJsonObject("roles").getJsonObject(role);
            if (!takenAt.containsKey(role) && "ACTIVE".equals(r.getString("state")) && r.getLong("epoch") > oldEpochs.get(role)
                && r.getLong("activatedAtMillis", 0L) >= killedAtMillis) { // onActive of the new epoch has returned
              takenAt.put(role, System.nanoTime());
              next.put(role, s.get());
            }
          }
        }
        Thread.sleep(10);
      }
      if (takenAt.size() < moving.size()) {
        throw new IllegalStateException("no takeover within 30 s; node logs are in " + dir);
      }
      for (String role : moving) {
        final JsonObject s = next.get(role);
        final JsonObject r = s.getJsonObject("roles").getJsonObject(role);
        // the node stamps when onActive returned (same machine, same wall clock as our kill)
        final long ms = r.getLong("activatedAtMillis", 0L) - killedAtMillis;
        if (role.equals("rootcoord")) {
          takeovers.add((double) ms);
        }
        say(String.format("round %d: %s taken over by %s, onActive returned %d ms after the kill (seen %.0f ms after),"
            + " epoch %d -> %d (%s standby)", round, role, s.getString("node"), ms, (takenAt.get(role) - killedAt) / 1e6,
            oldEpochs.get(role), r.getLong("epoch"), r.getString("standbyMode")));
      }
      nodes.awaitExit(victim);
      final long restartAt = System.nanoTime();
      nodes.start(victim);
      awaitStandby(victim, Duration.ofSeconds(60));
      final double joined = (System.nanoTime() - restartAt) / 1e9;
      awaitReady();
      say(String.format("round %d: %s restarted and has joined every role after %.1f s, ready after %.1f s", round,
          victim, joined, (System.nanoTime() - restartAt) / 1e9));
      active = awaitActive(Duration.ofSeconds(30));
    }
    final List<Double> sorted = new ArrayList<>(takeovers);
    Collections.sort(sorted);
    System.out.printf("Takeover (%s of the active -> the new active's onActive returned), over %d rounds: %s ms"
        + " (median %.0f, p99 %.0f, max %.0f).%n", what(), rounds,
        String.join(", ", sorted.stream().map(v -> String.format("%.0f", v)).toList()),
        sorted.get(sorted.size() / 2), sorted.get((int) Math.ceil(0.99 * sorted.size()) - 1), sorted.get(sorted.size() - 1));
  }

  private void describe(Map<String, JsonObject> active) {
    for (String role : ROLES) {
      final JsonObject s = active.get(role);
      final JsonObject r = s.getJsonObject("roles").getJsonObject(role);
      say(role + " is active on " + s.getString("node") + " (epoch " + r.getLong("epoch") + ", standbys "
          + r.getString("standbyMode") + ")");
    }
  }

  /**
   * Waits until every role is ACTIVE on some node and every running node agrees who it is; under
   * the spread placement also until no node holds more roles than its share, since such a node
   * hands one over ({@code baton.spread.rebalance-after}) and a round must not begin with a role on
   * the move.
   */
  private Map<String, JsonObject> awaitActive(Duration timeout) throws InterruptedException {
    final long deadline = System.nanoTime() + timeout.toNanos();
    while (System.nanoTime() < deadline) {
      final Map<String, JsonObject> active = new LinkedHashMap<>();
      boolean agreed = true;
      for (String id : nodes.ids()) {
        final Optional<JsonObject> s = nodes.status(id);
        if (s.isEmpty()) {
          agreed = false;
          continue;
        }
        for (String role : ROLES) {
          final JsonObject r = s.get().getJsonObject("roles").getJsonObject(role);
          if ("ACTIVE".equals(r.getString("state"))) {
            active.put(role, s.get());
          }
        }
      }
      if (agreed && active.size() == ROLES.size() && (!spread || balanced(active))) {
        return active;
      }
      Thread.sleep(20);
    }
    throw new IllegalStateException("roles not active on a node within " + timeout.toSeconds() + " s; logs are in " + dir);
  }

  /** No node holds more than its share of the roles (one each while there are at least as many nodes as roles). */
  private boolean balanced(Map<String, JsonObject> active) {
    final int share = (ROLES.size() + nodes.ids().size() - 1) / nodes.ids().size();
    final Map<String, Integer> held = new LinkedHashMap<>();
    active.values().forEach(s -> held.merge(s.getString("node"), 1, Integer::sum));
    return held.values().stream().allMatch(n -> n <= share);
  }

  private void awaitStandby(String id, Duration timeout) throws InterruptedException {
    final long deadline = System.nanoTime() + timeout.toNanos();
    while (System.nanoTime() < deadline) {
      final Optional<JsonObject> s = nodes.status(id);
      if (s.isPresent() && ROLES.stream().allMatch(r -> List.of("STANDBY", "ACTIVE")
          .contains(s.get().getJsonObject("roles").getJsonObject(r).getString("state")))) {
        return;
      }
      Thread.sleep(50);
    }
    throw new IllegalStateException(id + " did not become standby within " + timeout.toSeconds() + " s; logs are in " + dir);
  }

  /**
   * Waits until every node is ready (Kubernetes' readiness probe): a started node first rehearses a
   * takeover on a practice cluster of its own for a few seconds, and a round that began sooner
   * would time a takeover on code the JIT has not compiled yet, not the product's.
   */
  private void awaitReady() throws InterruptedException {
    for (String id : nodes.ids()) {
      if (!nodes.awaitReady(id, READY_TIMEOUT)) {
        throw new IllegalStateException(id + " was not ready within " + READY_TIMEOUT.toSeconds() + " s; logs are in " + dir);
      }
    }
  }

  private String what() {
    return graceful ? "SIGTERM (planned handover)" : "kill -9";
  }
}
