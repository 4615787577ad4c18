package io.baton.quorum;

import static org.assertj.core.api.Assertions.assertThat;

import io.baton.testkit.history.LinearizabilityChecker;
import io.vertx.core.json.JsonObject;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * Five node processes in network namespaces (Ratis, leader placement) split 2 | 3 with the active
 * on the side of two: that minority gives the role up, the three elect a new active with a higher
 * epoch, writes fenced by the old epoch are refused everywhere after healing, and the clients'
 * history on all five nodes, from before the split until after the heal, is linearizable. With the
 * invariants of {@link QuorumCluster} throughout.
 */
@ExtendWith(KeepLogsOnFailure.class)
@Timeout(value = 300, unit = TimeUnit.SECONDS)
class FiveNodePartitionIT {
  private static final String ROLE = "rootcoord";
  private static final Duration AWAIT = Duration.ofSeconds(90);
  private QuorumCluster cluster;

  @AfterEach
  void stop() {
    if (cluster != null) {
      cluster.close();
    }
  }

  @Test
  void theMinorityOfTwoWithTheActiveGivesUpAndTheThreeElect() throws Exception {
    QuorumCluster.assumeNamespaces();
    cluster = new QuorumCluster(5, true, List.of());
    final JsonObject first = cluster.nodes.awaitAgreedActive(ROLE, AWAIT);
    final String active = first.getString("node");
    final long epoch = first.getJsonObject("roles").getJsonObject(ROLE).getLong("epoch");
    final List<String> three = new ArrayList<>(cluster.nodes.ids());
    three.remove(active);
    final String companion = three.remove(0);
    final KvLoad load = new KvLoad(cluster.channels(), "lin/k", 3, 20_000);
    cluster.pollFor(ROLE, 1000);

    cluster.lab.partition(List.of(List.of(active, companion), three));
    cluster.faultInjected();
    String next = null;
    boolean minorityGaveUp = false;
    final long deadline = System.nanoTime() + AWAIT.toNanos();
    while ((next == null || !minorityGaveUp) && System.nanoTime() < deadline) {
      final Map<String, JsonObject> s = cluster.poll(ROLE);
      minorityGaveUp = s.containsKey(active)
          && !"ACTIVE".equals(s.get(active).getJsonObject("roles").getJsonObject(ROLE).getString("state"));
      for (String id : three) {
        final JsonObject r = s.containsKey(id) ? s.get(id).getJsonObject("roles").getJsonObject(ROLE) : null;
        if (r != null && "ACTIVE".equals(r.getString("state")) && r.getLong("epoch") > epoch) {
          next = id;
        }
      }
      Thread.sleep(20);
    }
    assertThat(minorityGaveUp).as("the active %s in the minority gave the role up; logs in %s", active, cluster.dir).isTrue();
    assertThat(next).as("the majority of three elected; logs in %s", cluster.dir).isNotNull();
    cluster.pollFor(ROLE, 2000); // the minority stays without an active: polling would catch a second one
    final long unavailableMs = cluster.longestWithoutActiveMs();

    cluster.lab.heal();
    final JsonObject agreed = cluster.nodes.awaitAgreedActive(ROLE, AWAIT);
    cluster.pollFor(ROLE, 1000);
    load.stop();
    final var verdict = new LinearizabilityChecker().check(load.history().operations());
    cluster.record("partition-2|3", "leader (5 nodes)", active + "+" + companion, unavailableMs, load, verdict);
    System.out.printf("5 nodes, %s and %s cut off from the other three: takeover after %d ms, longest with no active %d ms;"
        + " now %s active; %d operations: %s%n", active, companion, cluster.takeoverMs(), unavailableMs,
        agreed.getString("node"), load.history().operations().size(), verdict.result());
    assertThat(verdict.linearizable()).as("%s", verdict).isTrue();
    assertThat(load.acknowledgedPuts()).isPositive();
    cluster.rejectsEverywhere(ROLE, epoch);
    assertThat(cluster.checkActivationLogs(ROLE)).isGreaterThanOrEqualTo(2);
  }
}
