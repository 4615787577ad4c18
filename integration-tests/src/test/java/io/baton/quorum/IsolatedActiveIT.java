package io.baton.quorum;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.google.protobuf.ByteString;
import io.baton.ha.grpc.GetRequest;
import io.baton.ha.grpc.PutRequest;
import io.baton.testkit.history.LinearizabilityChecker;
import io.grpc.StatusRuntimeException;
import io.vertx.core.json.JsonObject;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * Three node processes of the example service, each in its own network namespace (Ratis backend,
 * leader and spread placement): the active is cut off from both peers while the test still reaches
 * every node. The isolated active gives its roles up, the majority elects a new active with a
 * higher epoch, the old epoch's fenced writes are rejected, and after healing the old active
 * rejoins as a standby with the majority's data. Throughout: the invariants of
 * {@link QuorumCluster}, and the puts and gets of clients on every node, from before the cut until
 * after the heal, are linearizable.
 */
@ExtendWith(KeepLogsOnFailure.class)
@Timeout(value = 240, unit = TimeUnit.SECONDS)
class IsolatedActiveIT {
  private static final String ROLE = "rootcoord";
  private static final Duration AWAIT = Duration.ofSeconds(60);
  private QuorumCluster cluster;

  @AfterEach
  void stop() {
    if (cluster != null) {
      cluster.close();
    }
  }

  private static String state(JsonObject status) {
    return status.getJsonObject("roles").getJsonObject(ROLE).getString("state");
  }

  private static long epoch(JsonObject status) {
    return status.getJsonObject("roles").getJsonObject(ROLE).getLong("epoch");
  }

  private static ByteString bytes(String s) {
    return ByteString.copyFrom(s, StandardCharsets.UTF_8);
  }

  @ParameterizedTest(name = "placement {0}")
  @ValueSource(strings = {"leader", "spread"})
  void theIsolatedActiveStepsDownTheMajorityTakesOverAndTheOldActiveRejoinsAsStandby(String placement) throws Exception {
    QuorumCluster.assumeNamespaces();
    // no rebalancing: with spread, the healed node would be handed a role 5 s after it is back, and
    // the checks below look at it as the standby it first is
    cluster = new QuorumCluster(3, true, List.of("baton.placement=" + placement, "baton.spread.rebalance-after=0"));
    final var nodes = cluster.nodes;
    final JsonObject first = nodes.awaitAgreedActive(ROLE, AWAIT);
    final String old = first.getString("node");
    final long oldEpoch = epoch(first);
    cluster.poll(ROLE);
    cluster.grpc(old).put(PutRequest.newBuilder().setKey("app/before").setValue(bytes("1")).build());
    // clients on every node, recorded for the linearizability check, from before the cut until after the heal
    final KvLoad load = new KvLoad(cluster.channels(), "lin/k", 3, 20_000);
    cluster.pollFor(ROLE, 1000);

    cluster.lab.isolate(old);
    cluster.faultInjected();
    final long isolatedAt = System.nanoTime();
    long gaveUpMs = -1;
    long nextMs = -1;
    final List<String> majority = new ArrayList<>(nodes.ids());
    majority.remove(old);
    String next = null;
    long nextEpoch = 0;
    final long deadline = System.nanoTime() + AWAIT.toNanos();
    while (System.nanoTime() < deadline && (next == null || gaveUpMs < 0)) {
      final Map<String, JsonObject> s = cluster.poll(ROLE);
      if (gaveUpMs < 0 && s.containsKey(old) && !"ACTIVE".equals(state(s.get(old)))) {
        gaveUpMs = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - isolatedAt);
      }
      for (String id : majority) {
        if (next == null && s.containsKey(id) && "ACTIVE".equals(state(s.get(id))) && epoch(s.get(id)) > oldEpoch) {
          next = id;
          nextEpoch = epoch(s.get(id));
          nextMs = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - isolatedAt);
        }
      }
      Thread.sleep(20);
    }
    assertThat(gaveUpMs).as("the isolated active %s gave its roles up; logs in %s", old, cluster.dir).isNotNegative();
    assertThat(next).as("the majority elected a new active; logs in %s", cluster.dir).isNotNull();
    assertThat(nextEpoch).isGreaterThan(oldEpoch);
    System.out.printf("placement %s: %s isolated at epoch %d; seen giving %s up after %d ms; %s seen ACTIVE with epoch %d after"
        + " %d ms (status polled every ~20 ms)%n", placement, old, oldEpoch, ROLE, gaveUpMs, next, nextEpoch, nextMs);

    // the majority accepts writes; the isolated node acknowledges none
    cluster.grpc(next).put(PutRequest.newBuilder().setKey("app/during").setValue(bytes("2")).build());
    assertThatThrownBy(() -> cluster.grpc(old).withDeadlineAfter(8, TimeUnit.SECONDS)
        .put(PutRequest.newBuilder().setKey("app/isolated").setValue(bytes("3")).build()))
        .isInstanceOf(StatusRuntimeException.class);

    cluster.lab.heal();
    final JsonObject agreed = nodes.awaitAgreedActive(ROLE, AWAIT);
    cluster.pollFor(ROLE, 1000);
    load.stop();
    final var verdict = new LinearizabilityChecker().check(load.history().operations());
    cluster.record("isolate-active", placement, old, cluster.longestWithoutActiveMs(), load, verdict);
    System.out.printf("placement %s: %d operations (%d acknowledged puts, %d of unknown outcome): %s%n", placement,
        load.history().operations().size(), load.acknowledgedPuts(), load.unknownOutcomes(), verdict.result());
    assertThat(verdict.linearizable()).as("%s", verdict).isTrue();
    assertThat(load.acknowledgedPuts()).isPositive();
    assertThat(agreed.getString("node")).isEqualTo(next);
    // a write fenced by the deposed epoch is rejected, wherever it is sent
    cluster.rejectsEverywhere(ROLE, oldEpoch);
    // the old active is a standby with the majority's data (its own replica, read without a leader round trip)
    final long caughtUp = System.nanoTime() + AWAIT.toNanos();
    while (cluster.grpc(old).get(GetRequest.newBuilder().setKey("app/during").setStale(true).build()).getKvsCount() == 0) {
      assertThat(System.nanoTime()).as("the healed node caught up").isLessThan(caughtUp);
      Thread.sleep(50);
    }
    assertThat(state(nodes.status(old).orElseThrow())).isEqualTo("STANDBY");
    assertThat(cluster.grpc(old).get(GetRequest.newBuilder().setKey("app/before").setStale(true).build()).getKvs(0)
        .getValue()).isEqualTo(bytes("1"));
    assertThat(cluster.checkActivationLogs(ROLE)).isGreaterThanOrEqualTo(2);
  }
}
