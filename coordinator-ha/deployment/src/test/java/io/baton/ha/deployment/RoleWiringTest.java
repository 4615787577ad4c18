package io.baton.ha.deployment;

import static org.assertj.core.api.Assertions.assertThat;

import io.baton.ha.Baton;
import io.baton.ha.BatonRole;
import io.baton.ha.RoleChanged;
import io.baton.ha.RoleState;
import io.baton.ha.RoleStatus;
import io.baton.ha.StandbyMode;
import io.baton.ha.StatusRoute;
import io.quarkus.test.QuarkusUnitTest;
import jakarta.inject.Inject;
import java.time.Duration;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.RegisterExtension;

/** A single-node cluster: handler beans become active, CDI events fire, the store is reachable. */
@Timeout(value = 60, unit = TimeUnit.SECONDS)
class RoleWiringTest {
  private static final String DATA = Fixtures.tempDir();

  @RegisterExtension
  static final QuarkusUnitTest APP = TestRoles.singleNodeApp(DATA)
      .overrideConfigKey("baton.roles.querycoord.standby-mode", "warm")
      .setLogRecordPredicate(r -> r.getLoggerName().equals(Baton.class.getName())
          || r.getLoggerName().equals(io.baton.ha.RatisBackend.class.getName()))
      .assertLogRecords(RoleWiringTest::rehearsedOnce);

  @Inject
  Baton baton;

  @io.quarkus.test.common.http.TestHTTPResource("/baton/status")
  java.net.URL statusUrl;

  @Inject
  @BatonRole("rootcoord")
  TestRoles.RootCoord rootCoord;

  @Inject
  @BatonRole("querycoord")
  TestRoles.QueryCoord queryCoord;

  @Inject
  TestRoles.Events events;

  @AfterAll
  static void cleanUp() {
    Fixtures.deleteQuietly(DATA);
  }

  private static void waitUntil(String what, java.util.function.BooleanSupplier condition) throws InterruptedException {
    final long deadline = System.nanoTime() + Duration.ofSeconds(20).toNanos();
    while (!condition.getAsBoolean()) {
      if (System.nanoTime() > deadline) {
        throw new AssertionError("timed out waiting for " + what);
      }
      Thread.sleep(10);
    }
  }

  @Test
  void theNodeRehearsesATakeoverInAPracticeClusterAfterStartUpAndDeletesIt() throws Exception {
    // baton.raft.rehearse is on by default; its log line is checked once the application stopped (rehearsedOnce)
    waitUntil("the rehearsal's end", () -> !baton.raftStatus().orElseThrow().rehearsing());
    waitUntil("the rehearsal's thread gone", () -> Thread.getAllStackTraces().keySet().stream()
        .noneMatch(t -> t.getName().equals("baton-rehearsal")));
    assertThat(java.nio.file.Path.of(DATA, "n1.rehearsal")).doesNotExist();
    final java.net.http.HttpResponse<String> status = java.net.http.HttpClient.newHttpClient().send(
        java.net.http.HttpRequest.newBuilder(statusUrl.toURI()).GET().build(),
        java.net.http.HttpResponse.BodyHandlers.ofString());
    assertThat(new io.vertx.core.json.JsonObject(status.body()).getJsonObject("raft").getBoolean("rehearsing"))
        .isFalse();
  }

  private static void rehearsedOnce(java.util.List<java.util.logging.LogRecord> records) {
    assertThat(records).filteredOn(r -> r.getMessage().contains("practice cluster")).singleElement()
        .satisfies(r -> assertThat(r.getMessage()).contains("leader handovers in a practice cluster"));
  }

  @Test
  void handlerBeansBecomeActiveOffRaftThreadsWithFencedStoresEventsAndStatus() throws Exception {
    waitUntil("rootcoord active", () -> !rootCoord.activations.isEmpty());
    waitUntil("querycoord active", () -> !queryCoord.activations.isEmpty());
    final long epoch = rootCoord.activations.get(0).epoch();
    assertThat(epoch).isPositive();
    assertThat(rootCoord.threads).allMatch(t -> t.startsWith("baton-role-callback"));
    waitUntil("CDI events", () -> events.seen.stream().filter(e -> e.state() == RoleState.ACTIVE).count() == 2);
    assertThat(events.seen).contains(new RoleChanged("rootcoord", RoleState.ACTIVE, epoch, "n1"));
    assertThat(baton.roles()).extracting(RoleStatus::role, RoleStatus::state, RoleStatus::standbyMode)
        .containsExactlyInAnyOrder(
            org.assertj.core.groups.Tuple.tuple("rootcoord", RoleState.ACTIVE, StandbyMode.HOT),
            org.assertj.core.groups.Tuple.tuple("querycoord", RoleState.ACTIVE, StandbyMode.WARM));
    final var context = rootCoord.activations.get(0);
    assertThat(context.store().put(context.statePrefix() + "k", "v").get(5, TimeUnit.SECONDS)).isPositive();
    assertThat(baton.metadata().get(context.statePrefix() + "k").get(5, TimeUnit.SECONDS).first())
        .hasValueSatisfying(kv -> assertThat(kv.valueAsString()).isEqualTo("v"));
    final java.net.http.HttpResponse<String> status = java.net.http.HttpClient.newHttpClient().send(
        java.net.http.HttpRequest.newBuilder(statusUrl.toURI()).GET().build(),
        java.net.http.HttpResponse.BodyHandlers.ofString());
    assertThat(status.statusCode()).isEqualTo(200);
    final io.vertx.core.json.JsonObject json = new io.vertx.core.json.JsonObject(status.body());
    assertThat(json.getString("node")).isEqualTo("n1");
    assertThat(json.getString("backend")).isEqualTo("ratis");
    assertThat(json.getJsonObject("roles").getJsonObject("rootcoord").getMap())
        .containsEntry("state", "ACTIVE").containsEntry("active", "n1").containsEntry("standbyMode", "HOT")
        .containsEntry("epoch", (int) epoch);
    assertThat(json.getJsonObject("roles").getJsonObject("querycoord").getString("standbyMode")).isEqualTo("WARM");
    assertThat(json.getJsonObject("raft").getLong("term")).isPositive();
    assertThat(json.getString("lifecycle")).isEqualTo("STARTED");
    assertThat(json.getJsonObject("raft").getString("leader")).isEqualTo("n1");
    assertThat(json.getJsonObject("raft").getLong("appliedIndex")).as("the put above is applied").isPositive();

    // members: registered through the replicated table, heartbeats taken by this (active) node
    baton.members().register("querynode-1", "127.0.0.1:21123").get(5, TimeUnit.SECONDS);
    waitUntil("the member in this node's table", () -> baton.members().registered().contains("querynode-1"));
    baton.members().heartbeat("querynode-1");
    assertThat(StatusRoute.toJson(baton.status()).getJsonObject("members").getString("querynode-1")).isEqualTo("ALIVE");
  }
}
