package io.baton.example.milvus;

import io.smallrye.config.ConfigMapping;
import io.smallrye.config.WithDefault;
import java.time.Duration;
import java.util.List;
import java.util.Optional;

/** The Milvus coordinator's own settings (the Milvus endpoints are {@code baton.milvus.endpoints}). */
@ConfigMapping(prefix = "milvus-coordinator")
public interface CoordinatorConfig {
  /** Collections replica-keeper keeps loaded, as {@code name:replicas}, comma-separated; none by default. */
  Optional<List<String>> collections();

  /** How often replica-keeper compares Milvus with the targets. */
  @WithDefault("2s")
  Duration reconcileInterval();
}
