package io.baton.milvus;

import io.quarkus.runtime.annotations.ConfigPhase;
import io.quarkus.runtime.annotations.ConfigRoot;
import io.smallrye.config.ConfigMapping;
import io.smallrye.config.WithDefault;
import java.time.Duration;
import java.util.List;
import java.util.Optional;

/** The Milvus endpoints a node watches, and how. */
@ConfigMapping(prefix = "baton.milvus")
@ConfigRoot(phase = ConfigPhase.RUN_TIME)
public interface MilvusConfig {
  /** Milvus endpoints as URIs ({@code http://host:19530}), comma-separated; none by default. */
  Optional<List<String>> endpoints();

  /** How long one endpoint may take to connect and answer a health check. */
  @WithDefault("1s")
  Duration timeout();

  /** How often every endpoint is health-checked. */
  @WithDefault("1s")
  Duration probeInterval();

  /**
   * An endpoint without a healthy answer for this long is SUSPECT. Must exceed
   * {@code probe-interval + timeout}, or a slow but healthy endpoint would flap.
   */
  @WithDefault("3s")
  Duration suspectAfter();

  /** An endpoint without a healthy answer for this long is DOWN. Must exceed {@code suspect-after}. */
  @WithDefault("10s")
  Duration downAfter();
}
