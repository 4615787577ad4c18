package io.baton.quorum;

import static org.assertj.core.api.Assertions.assertThat;

import io.baton.testkit.FaultReport;
import io.baton.testkit.NetworkLab;
import io.baton.testkit.history.LinearizabilityChecker;
import io.vertx.core.json.JsonObject;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Random;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Assertions;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * The long run behind {@code bin/soak --minutes N}: three node processes of the example service in
 * network namespaces, one random fault after another until the time is up (each round: clients on
 * every node, a fault, heal, the nodes agree on one active, the round's history is checked), with
 * the invariants of {@link QuorumCluster} throughout and, after every takeover, a write fenced by
 * the deposed epoch sent to every node, which must reject it. Writes {@code soak-report.json} and
 * {@code soak-report.txt} to the report directory as it goes; fails on the first violation.
 *
 * <p>Not part of the test command: failsafe leaves this class out unless it is named
 * ({@code -Dit.test=SoakIT}); without {@code baton.soak.minutes} it is skipped, saying so.
 * Settings: {@code baton.soak.minutes} (1 to 1440), {@code baton.soak.seed} (the faults' order;
 * printed), {@code baton.soak.placement} (leader or spread).
 */
@ExtendWith(KeepLogsOnFailure.class)
class SoakIT {
  private static final String ROLE = "rootcoord";
  private static final Duration AWAIT = Duration.ofSeconds(60);
  private static final List<String> FAULTS = List.of("kill", "term", "pause-short", "pause-long", "isolate-active",
      "isolate-standby", "inbound-cut", "outbound-cut", "flapping", "loss");

  @Test
  void randomFaultsUntilTheTimeIsUp() {
    final int minutes = Integer.getInteger("baton.soak.minutes", 0);
    Assumptions.assumeTrue(minutes > 0, "the soak runs only when asked: bin/soak --minutes N");
    if (minutes > 1440) {
      throw new IllegalArgumentException("baton.soak.minutes must be 1 to 1440, got " + minutes);
    }
    final String placement = System.getProperty("baton.soak.placement", "leader");
    if (!List.of("leader", "spread").contains(placement)) {
      throw new IllegalArgumentException("baton.soak.placement must be leader or spread, got " + placement);
    }
    NetworkLab.unavailableReason().ifPresent(reason -> {
      throw new IllegalStateException("the soak needs network namespaces (run as root): " + reason);
    });
    final long seed = Long.getLong("baton.soak.seed", System.currentTimeMillis());
    Assertions.assertTimeoutPreemptively(Duration.ofMinutes(minutes + 10), () -> soak(minutes, placement, seed));
  }

  private static void soak(int minutes, String placement, long seed) throws Exception {
    final FaultReport report = new FaultReport("soak-report", Path.of(System.getProperty("baton.report.dir", "target")));
    report.fact("minutes", minutes);
    report.fact("placement", placement);
    report.fact("seed", seed + " (-Dbaton.soak.seed / bin/soak --seed to repeat the order of faults)");
    report.fact("nodes", "3 node processes of the example service (Ratis), each in its own network namespace");
    System.out.printf("soak: %d minutes, placement %s, seed %d%n", minutes, placement, seed);
    final Random random = new Random(seed);
    final long end = System.nanoTime() + TimeUnit.MINUTES.toNanos(minutes);
    // rebalancing off: under spread, a healed node would otherwise be handed the role back a few seconds later
    try (QuorumCluster cluster = new QuorumCluster(3, true,
        List.of("baton.placement=" + placement, "baton.spread.rebalance-after=0"), report)) {
      cluster.nodes.awaitAgreedActive(ROLE, AWAIT);
      int round = 0;
      while (System.nanoTime() < end) {
        round++;
        final String fault = FAULTS.get(random.nextInt(FAULTS.size()));
        round(cluster, round, fault, placement, random);
      }
      report.fact("rounds", round);
      report.fact("activations in the handlers' logs", cluster.checkActivationLogs(ROLE));
    } finally {
      System.out.println(report.summary());
    }
    assertThat(report.violations()).isEmpty();
  }

  /** One fault: clients running from a second before it until the nodes agree again; everything restarted after it. */
  private static void round(QuorumCluster cluster, int round, String fault, String placement, Random random) throws Exception {
    final var nodes = cluster.nodes;
    final JsonObject before = nodes.awaitAgreedActive(ROLE, AWAIT);
    final String active = before.getString("node");
    final long epoch = before.getJsonObject("roles").getJsonObject(ROLE).getLong("epoch");
    final String standby = nodes.ids().stream().filter(id -> !id.equals(active)).toList().get(random.nextInt(2));
    final KvLoad load = new KvLoad(cluster.channels(), "soak/r" + round + "/k", 3, 20_000);
    cluster.pollFor(ROLE, 1000);
    String kind = fault;
    String target = active;
    cluster.faultInjected(); // by the first statement of each case
    switch (fault) {
      case "kill", "term" -> {
        nodes.stop(active, fault.equals("term"));
        awaitTakeover(cluster, 30_000);
        nodes.awaitExit(active);
        nodes.start(active);
      }
      case "pause-short" -> {
        final int ms = 100 + random.nextInt(101); // 100-200 ms: a long GC pause, no takeover expected
        kind = "pause-100-200ms";
        target = active + " for " + ms + " ms";
        cluster.pausing(active, true);
        nodes.signal(active, "STOP");
        Thread.sleep(ms);
        nodes.signal(active, "CONT");
        cluster.pausing(active, false);
        cluster.pollFor(ROLE, 2000);
      }
      case "pause-long" -> {
        kind = "pause-2500ms";
        cluster.pausing(active, true);
        nodes.signal(active, "STOP");
        cluster.pollFor(ROLE, 2500);
        nodes.signal(active, "CONT");
        cluster.pausing(active, false);
      }
      case "isolate-active" -> {
        cluster.lab.isolate(active);
        cluster.pollFor(ROLE, 4000);
      }
      case "isolate-standby" -> {
        target = standby;
        cluster.lab.isolate(standby);
        cluster.pollFor(ROLE, 4000);
      }
      case "inbound-cut", "outbound-cut" -> {
        cluster.lab.cutOneWay(active, fault.equals("inbound-cut"));
        cluster.pollFor(ROLE, 6000);
      }
      case "flapping" -> {
        for (int i = 0; i < 3; i++) {
          cluster.lab.isolate(active);
          cluster.pollFor(ROLE, 1500);
          cluster.lab.heal();
          cluster.pollFor(ROLE, 700);
        }
      }
      case "loss" -> {
        kind = "loss-5%";
        target = "all";
        for (String id : nodes.ids()) {
          cluster.lab.loss(id, 5);
        }
        cluster.pollFor(ROLE, 8000);
      }
      default -> throw new IllegalArgumentException(fault);
    }
    final long unavailableMs = cluster.longestWithoutActiveMs();
    cluster.lab.heal();
    final JsonObject after = nodes.awaitAgreedActive(ROLE, AWAIT);
    cluster.pollFor(ROLE, 1000);
    load.stop();
    final var verdict = new LinearizabilityChecker().check(load.history().operations());
    cluster.record(kind, placement, target, unavailableMs, load, verdict);
    final long newEpoch = after.getJsonObject("roles").getJsonObject(ROLE).getLong("epoch");
    System.out.printf("round %d: %s on %s (epoch %d): takeover %d ms, longest with no active %d ms, now %s with epoch %d;"
        + " %d operations: %s%n", round, kind, target, epoch, cluster.takeoverMs(), unavailableMs, after.getString("node"),
        newEpoch, load.history().operations().size(), verdict.result());
    if (newEpoch > epoch) {
      cluster.rejectsEverywhere(ROLE, epoch);
    }
    cluster.checkActivationLogs(ROLE);
    if (verdict.result() == LinearizabilityChecker.Result.NOT_LINEARIZABLE) {
      throw new AssertionError("round " + round + ": " + verdict);
    }
  }

  /** Polls until a higher epoch is seen ACTIVE (the takeover the fault must cause), for at most {@code millis}. */
  private static void awaitTakeover(QuorumCluster cluster, long millis) throws InterruptedException {
    final long deadline = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(millis);
    while (cluster.takeoverMs() < 0 && System.nanoTime() < deadline) {
      cluster.poll(ROLE);
      Thread.sleep(10);
    }
  }
}
