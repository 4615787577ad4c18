package io.baton.milvus;

import io.smallrye.health.api.HealthGroup;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.inject.Inject;
import org.eclipse.microprofile.health.HealthCheck;
import org.eclipse.microprofile.health.HealthCheckResponse;
import org.eclipse.microprofile.health.HealthCheckResponseBuilder;

/**
 * {@code /q/health/group/milvus}: each configured Milvus endpoint's state as this node's
 * {@link MilvusEndpointMonitor} sees it ({@code UP}, {@code SUSPECT: ...}, {@code DOWN: ...}), in the
 * data. It is in its own group, never in liveness or readiness, so a Milvus outage does not restart
 * or unready the coordinator. DOWN when any endpoint is DOWN; UP with no endpoints configured.
 */
@HealthGroup(MilvusHealthCheck.GROUP)
@ApplicationScoped
public class MilvusHealthCheck implements HealthCheck {
  public static final String GROUP = "milvus";

  @Inject
  MilvusEndpoints endpoints;

  @Override
  public HealthCheckResponse call() {
    final HealthCheckResponseBuilder b = HealthCheckResponse.named("milvus");
    final var monitor = endpoints.monitor();
    if (monitor.isEmpty()) {
      return b.up().withData("endpoints", "none configured (baton.milvus.endpoints)").build();
    }
    boolean up = true;
    for (MilvusEndpointMonitor.EndpointHealth h : monitor.get().health().values()) {
      b.withData(h.endpoint(), h.state() == MilvusEndpointMonitor.EndpointState.UP ? "UP" : h.state() + ": " + h.detail());
      up &= h.state() != MilvusEndpointMonitor.EndpointState.DOWN;
    }
    return b.status(up).build();
  }
}
