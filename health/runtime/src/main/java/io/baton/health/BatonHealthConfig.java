package io.baton.health;

import io.quarkus.runtime.annotations.ConfigPhase;
import io.quarkus.runtime.annotations.ConfigRoot;
import io.smallrye.config.ConfigMapping;
import io.smallrye.config.WithDefault;
import java.time.Duration;

/** Thresholds of Baton's health checks. */
@ConfigMapping(prefix = "baton.health")
@ConfigRoot(phase = ConfigPhase.RUN_TIME)
public interface BatonHealthConfig {
  /** Readiness: how many committed entries the local replica may have left to apply. */
  @WithDefault("1000")
  long maxApplyLag();

  /** Liveness: how long committed entries may wait while the applied index does not move before the apply thread counts as stuck. */
  @WithDefault("30s")
  Duration applyStallAfter();

  /** Readiness: how long the node may know no leader (an election) before it is not ready. */
  @WithDefault("3s")
  Duration leaderGrace();
}
