package io.baton.quorum;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.google.protobuf.ByteString;
import io.baton.ha.grpc.BatonGrpc;
import io.baton.ha.grpc.GetRequest;
import io.baton.ha.grpc.PutRequest;
import io.baton.testkit.Dirs;
import io.baton.testkit.ServiceNodes;
import io.grpc.ManagedChannel;
import io.grpc.ManagedChannelBuilder;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.vertx.core.json.JsonObject;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/**
 * How many node crashes a cluster of n node processes (the example service, Ratis, kill -9)
 * tolerates, with leader placement and, for three nodes, spread: a majority must survive. With up
 * to the tolerated number down it keeps an active and acknowledges writes; with one more down there
 * is no active and every write fails with UNAVAILABLE (no quorum), none acknowledged; once the
 * nodes are back, every acknowledged write is there. 3 nodes tolerate 1, 5 tolerate 2, and 4 only
 * 1: an even count buys nothing. On the etcd backend, etcd's members are the majority that counts.
 */
@Timeout(value = 300, unit = TimeUnit.SECONDS)
class QuorumSizeIT {
  private static final String ROLE = "rootcoord";
  private static final Duration AWAIT = Duration.ofSeconds(90);
  private ServiceNodes nodes;
  private Path dir;
  private final Map<String, ManagedChannel> channels = new HashMap<>();

  @AfterEach
  void stop() {
    channels.values().forEach(ManagedChannel::shutdownNow);
    Dirs.closeThenDelete(nodes, dir);
  }

  private BatonGrpc.BatonBlockingStub grpc(String id) {
    return BatonGrpc.newBlockingStub(channels.computeIfAbsent(id,
        n -> ManagedChannelBuilder.forAddress(nodes.host(n), nodes.httpPort(n)).usePlaintext().build()));
  }

  private static ByteString bytes(String s) {
    return ByteString.copyFrom(s, StandardCharsets.UTF_8);
  }

  private List<String> running() {
    return nodes.ids().stream().filter(nodes::isRunning).toList();
  }

  /**
   * On the etcd backend the quorum is etcd's, not the nodes': one node of three keeps an active and
   * acknowledges writes with the other two killed; etcd's 3 members tolerate 1 down, and with 2 down
   * there is no active and every write fails with UNAVAILABLE, none acknowledged; every acknowledged
   * write is there once the members are back.
   */
  @Test
  void onEtcdTheMajorityThatMustSurviveIsEtcds() throws Exception {
    try (QuorumCluster cluster = new QuorumCluster(3, false, true, List.of(), QuorumCluster.SUITE)) {
      nodes = cluster.nodes;
      final List<String> acknowledged = new ArrayList<>();
      // two of the three nodes killed, the active first: the last one takes over and writes
      JsonObject active = nodes.awaitAgreedActive(ROLE, AWAIT);
      nodes.stop(active.getString("node"), false);
      nodes.stop(running().get(0), false);
      active = nodes.awaitAgreedActive(ROLE, AWAIT);
      assertThat(running()).containsExactly(active.getString("node"));
      final String node = active.getString("node");
      put(node, "app/one-node-left", acknowledged);

      // one etcd member of three killed: still an active, still writes
      final List<String> members = cluster.etcd.members();
      cluster.etcd.kill(members.get(0));
      active = nodes.awaitAgreedActive(ROLE, AWAIT);
      // a write in flight when a member dies (etcd's leader, say) may time out with its outcome unknown;
      // the client sends it again, as the contract says, and it must get through while 2 of 3 members run
      final int attempts = putUntilAcknowledged(node, "app/one-member-down", acknowledged, Duration.ofSeconds(30));

      // two killed: etcd has no majority, the node's session cannot be kept alive, no active, no write
      cluster.etcd.kill(members.get(1));
      awaitNoActive();
      assertThatThrownBy(() -> grpc(node).withDeadlineAfter(60, TimeUnit.SECONDS)
          .put(PutRequest.newBuilder().setKey("app/without-majority").setValue(bytes("x")).build()))
          .isInstanceOfSatisfying(StatusRuntimeException.class,
              e -> assertThat(e.getStatus().getCode()).isEqualTo(Status.Code.UNAVAILABLE));
      System.out.printf("etcd backend: active kept with 2 of 3 nodes down and with 1 of 3 etcd members down"
          + " (the write took %d attempts), none with 2 members down%n", attempts);

      // the members back: every acknowledged write is there, and the node is active again
      cluster.etcd.start(members.get(0));
      cluster.etcd.start(members.get(1));
      final JsonObject back = nodes.awaitAgreedActive(ROLE, AWAIT);
      assertThat(back.getString("node")).isEqualTo(node);
      assertAcknowledged(node, acknowledged);
    } finally {
      nodes = null; // closed with the cluster
    }
  }

  private void put(String node, String key, List<String> acknowledged) {
    grpc(node).withDeadlineAfter(30, TimeUnit.SECONDS)
        .put(PutRequest.newBuilder().setKey(key).setValue(bytes("v")).build());
    acknowledged.add(key);
  }

  /** Sends the write again after UNAVAILABLE (outcome unknown; the same value, so idempotent) until acknowledged. */
  private int putUntilAcknowledged(String node, String key, List<String> acknowledged, Duration within)
      throws InterruptedException {
    final long deadline = System.nanoTime() + within.toNanos();
    for (int attempt = 1; ; attempt++) {
      try {
        put(node, key, acknowledged);
        return attempt;
      } catch (StatusRuntimeException e) {
        System.out.printf("write %s, attempt %d: %s%n", key, attempt, e.getStatus());
        if (e.getStatus().getCode() != Status.Code.UNAVAILABLE || System.nanoTime() > deadline) {
          throw e;
        }
        Thread.sleep(500);
      }
    }
  }

  private void awaitNoActive() throws InterruptedException {
    final long deadline = System.nanoTime() + AWAIT.toNanos();
    while (running().stream().anyMatch(id -> nodes.status(id).map(s -> "ACTIVE".equals(
        s.getJsonObject("roles").getJsonObject(ROLE).getString("state"))).orElse(false))) {
      assertThat(System.nanoTime()).as("without a majority no node stays active").isLessThan(deadline);
      Thread.sleep(50);
    }
  }

  private void assertAcknowledged(String node, List<String> acknowledged) {
    for (String key : acknowledged) {
      assertThat(grpc(node).withDeadlineAfter(30, TimeUnit.SECONDS)
          .get(GetRequest.newBuilder().setKey(key).build()).getKvsCount()).as("acknowledged %s", key).isEqualTo(1);
    }
  }

  @ParameterizedTest(name = "{0} nodes tolerate {1} down ({2} placement)")
  @CsvSource({"3, 1, leader", "4, 1, leader", "5, 2, leader", "3, 1, spread"})
  void aMajorityMustSurvive(int size, int tolerated, String placement) throws Exception {
    dir = Files.createTempDirectory("baton-quorum-" + size);
    nodes = new ServiceNodes(Path.of(System.getProperty("baton.example.app")), dir,
        List.of("baton.placement=" + placement), size);
    for (String id : nodes.ids()) {
      nodes.start(id);
    }
    final List<String> acknowledged = new ArrayList<>();
    JsonObject active = nodes.awaitAgreedActive(ROLE, AWAIT);
    final List<String> killed = new ArrayList<>();
    // down to the tolerated number: the active among the first to go, so that a takeover is needed too
    for (int down = 1; down <= tolerated; down++) {
      final String victim = down == 1 ? active.getString("node")
          : running().stream().filter(id -> !id.equals(nodes.ids().get(0))).findFirst().orElseThrow();
      nodes.stop(victim, false);
      killed.add(victim);
      active = nodes.awaitAgreedActive(ROLE, AWAIT);
      put(active.getString("node"), "app/with-" + down + "-down", acknowledged);
    }
    // one more down: no majority
    final String last = running().stream().filter(id -> !id.equals(nodes.ids().get(0))).findFirst().orElseThrow();
    nodes.stop(last, false);
    killed.add(last);
    final String survivor = running().get(0);
    awaitNoActive();
    assertThatThrownBy(() -> grpc(survivor).withDeadlineAfter(60, TimeUnit.SECONDS)
        .put(PutRequest.newBuilder().setKey("app/without-majority").setValue(bytes("x")).build()))
        .isInstanceOfSatisfying(StatusRuntimeException.class,
            e -> assertThat(e.getStatus().getCode()).isEqualTo(Status.Code.UNAVAILABLE));
    System.out.printf("%d nodes (%s): active kept with %d down (%s), none with %d down%n", size, placement, tolerated,
        killed.subList(0, tolerated), tolerated + 1);

    // back up: every acknowledged write survived
    for (String id : killed) {
      nodes.start(id);
    }
    final JsonObject back = nodes.awaitAgreedActive(ROLE, AWAIT);
    assertAcknowledged(back.getString("node"), acknowledged);
  }
}
