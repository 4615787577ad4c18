package io.baton.milvus;

import io.milvus.v2.client.ConnectConfig;
import io.milvus.v2.client.MilvusClientV2;
import io.milvus.v2.service.utility.response.CheckHealthResp;
import io.smallrye.health.api.HealthGroup;
import jakarta.annotation.PreDestroy;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.inject.Inject;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import org.eclipse.microprofile.health.HealthCheck;
import org.eclipse.microprofile.health.HealthCheckResponse;
import org.eclipse.microprofile.health.HealthCheckResponseBuilder;

/**
 * {@code /q/health/group/milvus}: whether each configured Milvus endpoint answers its health
 * check (milvus-sdk-java's {@code checkHealth}), reported per endpoint in the data. It is in its own
 * group, never in liveness or readiness, so a Milvus outage does not restart or unready the
 * coordinator. DOWN when any endpoint is down; UP with no endpoints configured.
 */
@HealthGroup(MilvusHealthCheck.GROUP)
@ApplicationScoped
public class MilvusHealthCheck implements HealthCheck {
  public static final String GROUP = "milvus";

  @Inject
  MilvusConfig config;

  private final Map<String, MilvusClientV2> clients = new ConcurrentHashMap<>();

  @Override
  public HealthCheckResponse call() {
    final HealthCheckResponseBuilder b = HealthCheckResponse.named("milvus");
    final List<String> endpoints = config.endpoints().orElse(List.of());
    if (endpoints.isEmpty()) {
      return b.up().withData("endpoints", "none configured (baton.milvus.endpoints)").build();
    }
    boolean up = true;
    for (String endpoint : endpoints) {
      final String state = check(endpoint.trim());
      b.withData(endpoint.trim(), state);
      up &= state.equals("UP");
    }
    return b.status(up).build();
  }

  /** "UP", or "DOWN: why". */
  private String check(String endpoint) {
    final long timeoutMs = config.timeout().toMillis();
    try {
      final MilvusClientV2 client = clients.computeIfAbsent(endpoint, uri -> new MilvusClientV2(ConnectConfig.builder()
          .uri(uri).connectTimeoutMs(timeoutMs).rpcDeadlineMs(timeoutMs).build()));
      final CheckHealthResp health = client.checkHealth();
      if (Boolean.TRUE.equals(health.getIsHealthy())) {
        return "UP";
      }
      return "DOWN: unhealthy: " + health.getReasons();
    } catch (RuntimeException e) {
      final MilvusClientV2 broken = clients.remove(endpoint);
      if (broken != null) {
        broken.close();
      }
      return "DOWN: " + e.getClass().getSimpleName() + ": " + e.getMessage();
    }
  }

  @PreDestroy
  void close() {
    clients.values().forEach(MilvusClientV2::close);
    clients.clear();
  }
}
