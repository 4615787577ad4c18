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

/** A node whose Raft log failed (full disk) is not live: a restart is what recovers it. */
class LogFailureLivenessTest {
  private static NodeStatus status(Optional<String> logFailure) {
    return new NodeStatus("n2", "ratis", "leader", NodeStatus.Lifecycle.STARTED, List.of(), Map.of(),
        Optional.of(new NodeStatus.Raft("FOLLOWER", 3, "n1", 40, 40, true, true, 2, logFailure, false)));
  }

  @Test
  void livenessIsDownWithTheReasonOnceTheLogFailed() {
    final AtomicReference<NodeStatus> now = new AtomicReference<>(status(Optional.empty()));
    final NodeHealth health = new NodeHealth(now::get, timeout -> Optional.empty(), () -> 0L, 1000,
        Duration.ofSeconds(30), Duration.ofSeconds(3));
    assertThat(health.liveness().getStatus()).isEqualTo(HealthCheckResponse.Status.UP);

    now.set(status(Optional.of("IOException: No space left on device (writing log index 22)")));
    final HealthCheckResponse down = health.liveness();
    assertThat(down.getStatus()).isEqualTo(HealthCheckResponse.Status.DOWN);
    assertThat(down.getData().orElseThrow().get("reason").toString())
        .contains("Raft log cannot be written").contains("No space left on device").contains("restarted");
  }
}
