package io.baton.milvus.deployment;

import static org.assertj.core.api.Assertions.assertThat;

import io.baton.testkit.Ports;
import io.quarkus.test.QuarkusUnitTest;
import io.vertx.core.json.JsonObject;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * The Milvus group with an endpoint where nothing listens (no Milvus server can run on the machines
 * this was built on, so only the DOWN report is exercised): DOWN per endpoint in its own group,
 * never part of liveness or readiness.
 */
@Timeout(value = 60, unit = TimeUnit.SECONDS)
class MilvusHealthTest {
  @RegisterExtension
  static final QuarkusUnitTest APP = new QuarkusUnitTest()
      .overrideConfigKey("baton.milvus.endpoints", "http://127.0.0.1:" + Ports.free())
      .overrideConfigKey("baton.milvus.timeout", "500ms");

  @io.quarkus.test.common.http.TestHTTPResource("/q/health")
  URI health;

  /** As configured (the static above is drawn again when Quarkus loads this class a second time). */
  @org.eclipse.microprofile.config.inject.ConfigProperty(name = "baton.milvus.endpoints")
  String deadMilvus;

  private HttpResponse<String> get(String path) throws Exception {
    return HttpClient.newHttpClient().send(HttpRequest.newBuilder(URI.create(health + path))
        .timeout(Duration.ofSeconds(10)).build(), HttpResponse.BodyHandlers.ofString());
  }

  @Test
  void anUnreachableMilvusIsDownInItsOwnGroupOnly() throws Exception {
    final HttpResponse<String> milvus = get("/group/milvus");
    assertThat(milvus.statusCode()).isEqualTo(503);
    final JsonObject check = new JsonObject(milvus.body()).getJsonArray("checks").getJsonObject(0);
    assertThat(check.getString("name")).isEqualTo("milvus");
    assertThat(check.getString("status")).isEqualTo("DOWN");
    assertThat(check.getJsonObject("data").getString(deadMilvus)).startsWith("DOWN: ");
    assertThat(get("/live").statusCode()).isEqualTo(200);
    assertThat(get("/ready").statusCode()).isEqualTo(200);
    assertThat(get("").body()).doesNotContain("\"milvus\"");
  }
}
