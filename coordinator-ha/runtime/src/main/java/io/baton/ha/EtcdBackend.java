package io.baton.ha;

import io.baton.etcd.EtcdMetadataStore;
import io.baton.raft.Peer;
import io.baton.store.MetadataStore;
import io.baton.store.MonotonicClock;
import java.time.Duration;
import java.util.List;
import java.util.Objects;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;

/**
 * The etcd backend: an existing etcd cluster, through jetcd. Offers the leader placement (each role
 * is an etcd election, by etcd's own recipe: {@link EtcdElector}) and the spread placement (role
 * leases, {@link LeaseElector}, with etcd leases as sessions).
 */
public final class EtcdBackend implements Backend {
  /** etcd's smallest lease TTL. */
  public static final Duration MIN_LEASE_TTL = Duration.ofSeconds(2);

  private final EtcdMetadataStore store;
  private final String nodeId;
  private final Duration leaseTtl;
  private final Duration requestTimeout;
  private final Peer probe;
  private volatile boolean closed;

  /**
   * @param leaseTtl       the session lease of the leader placement's elections, at least 2 s
   * @param requestTimeout how long one etcd request may take (as given to the store)
   */
  public EtcdBackend(EtcdMetadataStore store, String nodeId, Duration leaseTtl, Duration requestTimeout) {
    this(store, nodeId, leaseTtl, requestTimeout, null);
  }

  /**
   * @param probe where the other nodes reach this node's process to tell its crash from silence
   *              ({@link EtcdElector}), or null
   */
  public EtcdBackend(EtcdMetadataStore store, String nodeId, Duration leaseTtl, Duration requestTimeout, Peer probe) {
    this.probe = probe;
    this.store = Objects.requireNonNull(store, "store");
    this.nodeId = Objects.requireNonNull(nodeId, "nodeId");
    this.leaseTtl = requireTtl(leaseTtl, "lease TTL");
    this.requestTimeout = Objects.requireNonNull(requestTimeout, "requestTimeout");
  }

  private static Duration requireTtl(Duration ttl, String what) {
    if (ttl.compareTo(MIN_LEASE_TTL) < 0) {
      throw new IllegalArgumentException(what + " " + ttl.toMillis() + " ms is below etcd's minimum of 2 s");
    }
    return ttl;
  }

  @Override
  public String name() {
    return "etcd";
  }

  @Override
  public String nodeId() {
    return nodeId;
  }

  @Override
  public MetadataStore store() {
    return store;
  }

  @Override
  public boolean running() {
    return !closed;
  }

  @Override
  public Elector elector(List<String> roles, Placement placement, Duration checkInterval, MonotonicClock clock) {
    if (checkInterval.isZero() || checkInterval.isNegative()) {
      throw new IllegalArgumentException("checkInterval " + checkInterval.toMillis() + " ms must be positive");
    }
    if (placement instanceof Placement.Spread spread) {
      requireTtl(spread.sessionTtl(), "session TTL");
      if (checkInterval.multipliedBy(8).compareTo(spread.sessionTtl()) > 0) {
        throw new IllegalArgumentException("checkInterval " + checkInterval.toMillis() + " ms must be at most 1/8 of"
            + " the session TTL (" + spread.sessionTtl().toMillis() + " ms)");
      }
      return new LeaseElector(nodeId, store, roles, spread, checkInterval,
          requestTimeout.multipliedBy(2).plus(spread.sessionTtl().multipliedBy(2)), clock);
    }
    return new EtcdElector(store, nodeId, "election", roles, leaseTtl,
        requestTimeout.multipliedBy(2).plus(leaseTtl), clock, probe);
  }

  /** A twentieth of the TTL, between 10 and 100 ms. */
  @Override
  public Duration checkInterval(Placement placement) {
    final Duration ttl = placement instanceof Placement.Spread spread ? spread.sessionTtl() : leaseTtl;
    return Duration.ofMillis(Math.max(10, Math.min(100, ttl.toMillis() / 20)));
  }

  @Override
  public CompletableFuture<Void> handOver() {
    return CompletableFuture.completedFuture(null);
  }

  @Override
  public Optional<NodeStatus.Raft> raftStatus() {
    return Optional.empty();
  }

  @Override
  public void close() {
    closed = true;
    store.close();
  }
}
