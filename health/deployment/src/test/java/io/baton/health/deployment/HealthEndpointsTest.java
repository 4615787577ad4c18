package io.baton.health.deployment;

import static org.assertj.core.api.Assertions.assertThat;

import io.baton.ha.BatonRole;
import io.baton.ha.RoleContext;
import io.baton.ha.RoleHandler;
import io.baton.testkit.Dirs;
import io.baton.testkit.Ports;
import io.quarkus.test.QuarkusUnitTest;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import jakarta.inject.Singleton;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * A one-node application with SmallRye Health and Micrometer: Baton's liveness, readiness and
 * startup checks, the role groups, and the metrics.
 */
@Timeout(value = 120, unit = TimeUnit.SECONDS)
class HealthEndpointsTest {
  private static final Path DATA = tempDir();

  @RegisterExtension
  static final QuarkusUnitTest APP = new QuarkusUnitTest()
      .withApplicationRoot(jar -> jar.addClasses(RootCoord.class))
      .overrideConfigKey("baton.node-id", "n1")
      .overrideConfigKey("baton.peers", "n1=127.0.0.1:" + Ports.free())
      .overrideConfigKey("baton.data-dir", DATA.toString());

  @io.quarkus.test.common.http.TestHTTPResource("/q/health")
  URI health;

  private static final HttpClient HTTP = HttpClient.newHttpClient();

  @BatonRole("rootcoord")
  @Singleton
  static class RootCoord implements RoleHandler {
    @Override
    public void onActive(RoleContext context) {
    }

    @Override
    public void onStandby(String role, String activeNode) {
    }
  }

  private static Path tempDir() {
    try {
      return Files.createTempDirectory("baton-health-");
    } catch (IOException e) {
      throw new java.io.UncheckedIOException(e);
    }
  }

  @AfterAll
  static void cleanUp() {
    Dirs.deleteRecursively(DATA);
  }

  private HttpResponse<String> get(String path) throws Exception {
    return HTTP.send(HttpRequest.newBuilder(URI.create(health + path)).timeout(Duration.ofSeconds(10)).build(),
        HttpResponse.BodyHandlers.ofString());
  }

  private JsonObject check(HttpResponse<String> response, String name) {
    final JsonArray checks = new JsonObject(response.body()).getJsonArray("checks");
    for (int i = 0; i < checks.size(); i++) {
      if (checks.getJsonObject(i).getString("name").equals(name)) {
        return checks.getJsonObject(i);
      }
    }
    throw new AssertionError("no check " + name + " in " + response.body());
  }

  private HttpResponse<String> awaitUp(String path) throws Exception {
    // readiness also waits for the rehearsal (on by default), which ends within its deadline
    final long deadline = System.nanoTime() + Duration.ofSeconds(20).plus(io.baton.raft.Rehearsal.DEADLINE).toNanos();
    HttpResponse<String> r = get(path);
    while (r.statusCode() != 200 && System.nanoTime() < deadline) {
      Thread.sleep(50);
      r = get(path);
    }
    assertThat(r.statusCode()).as(path + ": " + r.body()).isEqualTo(200);
    return r;
  }

  @Test
  void livenessReadinessStartupAndRoleGroupsAreReported() throws Exception {
    assertThat(check(awaitUp("/started"), "baton-startup").getString("status")).isEqualTo("UP");
    // the only node is the active one, once it has elected itself (an election timeout after start)
    awaitUp("/group/active-rootcoord");
    final HttpResponse<String> live = awaitUp("/live");
    assertThat(check(live, "baton-liveness").getJsonObject("data").getString("role")).isEqualTo("LEADER");
    assertThat(check(awaitUp("/ready"), "baton-readiness").getJsonObject("data").getString("leader")).isEqualTo("n1");
    assertThat(check(awaitUp("/group/active-rootcoord"), "baton-role-rootcoord").getJsonObject("data")
        .getString("state")).isEqualTo("ACTIVE");
    awaitUp("/group/active");
  }

  @io.quarkus.test.common.http.TestHTTPResource("/q/metrics")
  URI metrics;

  @jakarta.inject.Inject
  io.baton.ha.Baton baton;

  @Test
  void metricsDescribeRolesRaftAndMetadataOperations() throws Exception {
    awaitUp("/group/active-rootcoord");
    baton.metadata().put("app/x", "1").join();
    final String body = HTTP.send(HttpRequest.newBuilder(metrics).timeout(Duration.ofSeconds(10)).build(),
        HttpResponse.BodyHandlers.ofString()).body();
    assertThat(body)
        .containsPattern("baton_role_active\\{node=\"n1\",role=\"rootcoord\"} 1\\.0")
        .containsPattern("baton_role_state\\{node=\"n1\",role=\"rootcoord\"} 2\\.0")
        .containsPattern("baton_role_activations_total\\{node=\"n1\",role=\"rootcoord\"} 1\\.0")
        .containsPattern("baton_role_takeover_seconds_count\\{node=\"n1\",role=\"rootcoord\"} 1")
        .containsPattern("baton_raft_leader\\{node=\"n1\"} 1\\.0")
        .containsPattern("baton_raft_term\\{node=\"n1\"} [1-9]")
        .containsPattern("baton_raft_leader_changes_total\\{node=\"n1\"} [1-9]")
        .containsPattern("baton_members\\{node=\"n1\",state=\"ALIVE\"} 0\\.0")
        .containsPattern("baton_metadata_operations_seconds_count\\{node=\"n1\",operation=\"txn\",outcome=\"ok\"} [1-9]");
  }
}
