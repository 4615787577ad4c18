package io.baton.ha;

import io.baton.store.MetadataStore;
import io.baton.store.MonotonicClock;
import java.time.Duration;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;

/**
 * What decides and replicates for one node: the embedded Ratis node ({@link RatisBackend}) or an
 * etcd cluster ({@link EtcdBackend}). A {@link RoleManager} runs roles over it; everything else in
 * Baton (placements, members, fencing) uses only its {@link #store()}.
 */
public interface Backend extends AutoCloseable {
  /** {@code ratis} or {@code etcd}. */
  String name();

  /** This node's id. */
  String nodeId();

  /** The metadata store, through this node. */
  MetadataStore store();

  /** Whether the backend is up on this node (role checks pause while it is not). */
  boolean running();

  /**
   * The elector of {@code placement} on this backend.
   *
   * @throws IllegalArgumentException when this backend does not offer the placement, or
   *     {@code checkInterval} is too long for it to be safe; the message names the problem
   */
  Elector elector(List<String> roles, Placement placement, Duration checkInterval, MonotonicClock clock);

  /** How often a role manager should ask the placement whether active roles still hold. */
  Duration checkInterval(Placement placement);

  /**
   * Hands over what the backend itself leads on this node (the Raft leadership), after the roles
   * were handed over and before the node stops, so that the shutdown causes no election.
   * Completes at once when there is nothing to hand over.
   */
  CompletableFuture<Void> handOver();

  /**
   * Tells {@code listener} (it must only enqueue) the id of each other node whose process is
   * known to be gone: its connection was closed by its host's kernel and a new one is refused. A
   * node that is only silent (partitioned, paused) is never reported. Backends that cannot tell
   * (etcd: nodes do not know each other's addresses) report nothing.
   */
  default void onNodeGone(java.util.function.Consumer<String> listener) {
  }

  /**
   * Writes a backup of the store to {@code out} (Ratis: {@link io.baton.raft.RaftNode#backup}).
   * The etcd backend fails with {@link UnsupportedOperationException}: etcd's own
   * {@code etcdctl snapshot save} backs up an etcd cluster.
   */
  default CompletableFuture<io.baton.raft.Backup.Info> backup(java.io.OutputStream out) {
    return CompletableFuture.failedFuture(new UnsupportedOperationException("the " + name()
        + " backend has no Baton backup: back up its etcd cluster with 'etcdctl snapshot save'"));
  }

  /** The Raft part of the node status; absent on backends without Raft. */
  Optional<NodeStatus.Raft> raftStatus();

  /** The Raft term this node is in (0 without Raft): what {@link #raftStatus()} reports, without building it all. */
  default long raftTerm() {
    return raftStatus().map(NodeStatus.Raft::term).orElse(0L);
  }

  /** Stops this node's side of the backend (the Raft node; the etcd client). Idempotent. */
  @Override
  void close();
}
