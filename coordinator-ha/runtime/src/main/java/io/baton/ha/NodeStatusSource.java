package io.baton.ha;

import java.time.Duration;
import java.util.Optional;

/**
 * Where a node's status comes from: what the health checks and metrics read (implemented by
 * {@link Baton}). [Thread-safe]
 */
public interface NodeStatusSource {
  /** This node's status now. */
  NodeStatus status();

  /**
   * Asks the backend for a linearizable read, waiting at most {@code timeout}: empty when it
   * answered, else why not (on etcd: whether etcd answers; on Ratis: whether the cluster has a
   * working majority).
   */
  Optional<String> probeBackend(Duration timeout);
}
