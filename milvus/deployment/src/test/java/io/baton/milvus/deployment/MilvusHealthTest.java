package io.baton.milvus.deployment;

import static org.assertj.core.api.Assertions.assertThat;

import io.baton.testkit.Dirs;
import io.baton.testkit.MilvusTestDouble;
import io.baton.testkit.Ports;
import io.quarkus.test.QuarkusUnitTest;
import io.vertx.core.json.JsonObject;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * The Milvus group, with a Milvus test double that answers and an endpoint where nothing listens:
 * per-endpoint states in its own group, DOWN as a whole, never part of liveness or readiness.
 */
@Timeout(value = 60, unit = TimeUnit.SECONDS)
class MilvusHealthTest {
  static final MilvusTestDouble MILVUS = MilvusTestDouble.start("m1");
  static final String DATA = tempDir();

  private static String tempDir() {
    try {
      return java.nio.file.Files.createTempDirectory("baton-milvus-health").toString();
    } catch (java.io.IOException e) {
      throw new java.io.UncheckedIOException(e);
    }
  }

  @RegisterExtension
  static final QuarkusUnitTest APP = new QuarkusUnitTest()
      .withApplicationRoot(jar -> jar.addClasses(Watcher.class))
      .overrideConfigKey("baton.node-id", "n1")
      .overrideConfigKey("baton.peers", "n1=127.0.0.1:" + Ports.free())
      .overrideConfigKey("baton.data-dir", DATA)
      .overrideConfigKey("baton.milvus.endpoints", MILVUS.uri() + ",http://127.0.0.1:" + Ports.free())
      .overrideConfigKey("baton.milvus.timeout", "500ms")
      .overrideConfigKey("baton.milvus.probe-interval", "200ms");

  /** A Baton application needs a role. */
  @io.baton.ha.BatonRole("watcher")
  @jakarta.inject.Singleton
  static class Watcher implements io.baton.ha.RoleHandler {
    @Override
    public void onActive(io.baton.ha.RoleContext context) {
    }

    @Override
    public void onStandby(String role, String activeNode) {
    }
  }

  @AfterAll
  static void stopMilvus() {
    MILVUS.close();
    Dirs.deleteRecursively(java.nio.file.Path.of(DATA));
  }

  @io.quarkus.test.common.http.TestHTTPResource("/q/health")
  URI health;

  /** As configured (the statics above are drawn again when Quarkus loads this class a second time). */
  @org.eclipse.microprofile.config.inject.ConfigProperty(name = "baton.milvus.endpoints")
  java.util.List<String> endpoints;

  private HttpResponse<String> get(String path) throws Exception {
    return HttpClient.newHttpClient().send(HttpRequest.newBuilder(URI.create(health + path))
        .timeout(Duration.ofSeconds(10)).build(), HttpResponse.BodyHandlers.ofString());
  }

  @Test
  void eachEndpointsStateIsInItsOwnGroupOnly() throws Exception {
    // probed in the background from start-up on; the first probe may come before the client is warm
    HttpResponse<String> milvus = get("/group/milvus");
    final long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
    while (!"UP".equals(new JsonObject(milvus.body()).getJsonArray("checks").getJsonObject(0).getJsonObject("data")
        .getString(endpoints.get(0))) && System.nanoTime() < deadline) {
      Thread.sleep(50);
      milvus = get("/group/milvus");
    }
    assertThat(milvus.statusCode()).isEqualTo(503);
    final JsonObject check = new JsonObject(milvus.body()).getJsonArray("checks").getJsonObject(0);
    assertThat(check.getString("name")).isEqualTo("milvus");
    assertThat(check.getString("status")).isEqualTo("DOWN");
    assertThat(check.getJsonObject("data").getString(endpoints.get(0))).isEqualTo("UP");
    assertThat(check.getJsonObject("data").getString(endpoints.get(1))).startsWith("DOWN: no answer: ");
    assertThat(get("/live").statusCode()).isEqualTo(200);
    assertThat(get("/ready").statusCode()).isEqualTo(200);
    assertThat(get("").body()).doesNotContain("\"milvus\"");
  }
}
