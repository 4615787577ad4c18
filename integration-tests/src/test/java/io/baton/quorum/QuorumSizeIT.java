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
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/**
 * How many node crashes a cluster of n node processes (the example service, Ratis, kill -9)
 * tolerates, with leader placement and, for three nodes, spread: a majority must survive. With up
 * to the tolerated number down it keeps an active and acknowledges writes; with one more down there
 * is no active and every write fails with UNAVAILABLE (no quorum), none acknowledged; once the
 * nodes are back, every acknowledged write is there. 3 nodes tolerate 1, 5 tolerate 2, and 4 only
 * 1: an even count buys nothing.
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
      final String key = "app/with-" + down + "-down";
      grpc(active.getString("node")).withDeadlineAfter(30, TimeUnit.SECONDS)
          .put(PutRequest.newBuilder().setKey(key).setValue(bytes("v")).build());
      acknowledged.add(key);
    }
    // one more down: no majority
    final String last = running().stream().filter(id -> !id.equals(nodes.ids().get(0))).findFirst().orElseThrow();
    nodes.stop(last, false);
    killed.add(last);
    final String survivor = running().get(0);
    final long deadline = System.nanoTime() + AWAIT.toNanos();
    while (running().stream().anyMatch(id -> nodes.status(id).map(s -> "ACTIVE".equals(
        s.getJsonObject("roles").getJsonObject(ROLE).getString("state"))).orElse(false))) {
      assertThat(System.nanoTime()).as("without a majority no node stays active; logs in %s", dir).isLessThan(deadline);
      Thread.sleep(50);
    }
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
    for (String key : acknowledged) {
      assertThat(grpc(back.getString("node")).withDeadlineAfter(30, TimeUnit.SECONDS)
          .get(GetRequest.newBuilder().setKey(key).build()).getKvsCount()).as("acknowledged %s", key).isEqualTo(1);
    }
  }
}
