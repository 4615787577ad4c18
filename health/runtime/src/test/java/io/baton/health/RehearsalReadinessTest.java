package io.baton.health;

import static org.assertj.core.api.Assertions.assertThat;

import io.baton.ha.NodeStatus;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.atomic.AtomicReference;
import org.eclipse.microprofile.health.HealthCheckResponse;
import org.junit.jupiter.api.Test;

/**
 * A node that still rehearses (its practice cluster warms up the takeover code) is started and live
 * but not ready, so that a rolling update waits before it stops the next node.
 */
class RehearsalReadinessTest {
  private static NodeStatus status(boolean rehearsing) {
    return new NodeStatus("n2", "ratis", "leader", NodeStatus.Lifecycle.STARTED, List.of(), Map.of(),
        Optional.of(new NodeStatus.Raft("FOLLOWER", 3, "n1", 40, 40, true, true, 2, Optional.empty(), rehearsing)));
  }

  @Test
  void readinessWaitsForTheRehearsalLivenessAndStartupDoNot() {
    final AtomicReference<NodeStatus> now = new AtomicReference<>(status(true));
    final NodeHealth health = new NodeHealth(now::get, timeout -> Optional.empty(), () -> 0L, 1000,
        Duration.ofSeconds(30), Duration.ofSeconds(3));
    final HealthCheckResponse rehearsing = health.readiness();
    assertThat(rehearsing.getStatus()).isEqualTo(HealthCheckResponse.Status.DOWN);
    assertThat(rehearsing.getData().orElseThrow().get("reason").toString()).contains("rehearsing")
        .contains("baton.raft.rehearse=false");
    assertThat(health.liveness().getStatus()).isEqualTo(HealthCheckResponse.Status.UP);
    assertThat(health.startup().getStatus()).isEqualTo(HealthCheckResponse.Status.UP);

    now.set(status(false));
    assertThat(health.readiness().getStatus()).isEqualTo(HealthCheckResponse.Status.UP);
  }
}
