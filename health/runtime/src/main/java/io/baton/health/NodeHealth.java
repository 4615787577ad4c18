package io.baton.health;

import io.baton.ha.RoleState;
import io.baton.ha.RoleStatus;
import io.baton.raft.MonotonicClock;
import io.baton.raft.RaftNode;
import io.baton.raft.RaftStatus;
import java.time.Duration;
import java.util.List;
import java.util.Objects;
import java.util.function.Supplier;
import org.eclipse.microprofile.health.HealthCheckResponse;
import org.eclipse.microprofile.health.HealthCheckResponseBuilder;

/**
 * Decides a node's health for the checks of this module. Every DOWN says why in its data
 * ({@code reason}). Time enters through the clock only (stall and grace periods are measured
 * between calls), so the decisions are testable without sleeping. Thread-safe.
 *
 * <ul>
 *   <li><b>liveness</b>: the node's own machinery works: its Raft server runs, and its apply
 *       thread is not wedged (committed entries waiting while the applied index has not moved for
 *       {@code applyStallAfter}). It does not depend on leadership or on other nodes, so it stays
 *       UP on a healthy standby during a takeover: a liveness probe must never kill a node for
 *       taking part in a failover.</li>
 *   <li><b>readiness</b>: the node has joined the cluster, knows a leader (or lost it less than
 *       {@code leaderGrace} ago: an election is not an outage), and its replica has applied all
 *       but at most {@code maxApplyLag} of the entries it knows are committed.</li>
 *   <li><b>startup</b>: storage opened, snapshot restored and log replayed (the node started).</li>
 *   <li><b>role groups</b>: UP only where the role is ACTIVE.</li>
 * </ul>
 */
public final class NodeHealth {
  private final Supplier<RaftNode> node;
  private final Supplier<List<RoleStatus>> roles;
  private final MonotonicClock clock;
  private final long maxApplyLag;
  private final long applyStallNanos;
  private final long leaderGraceNanos;

  /** The etcd backend (no Raft node): null when etcd answered a probe read, else why not. */
  private final Supplier<String> etcdProbe;

  private long lastApplied = -1;
  private long appliedMovedAt;
  private long leaderSeenAt;
  private boolean leaderEverSeen;

  /**
   * @param node  the node, or null before it started (a supplier: the node exists only after start-up)
   * @param roles this node's roles
   */
  public NodeHealth(Supplier<RaftNode> node, Supplier<List<RoleStatus>> roles, MonotonicClock clock, long maxApplyLag,
      Duration applyStallAfter, Duration leaderGrace) {
    this(node, roles, clock, maxApplyLag, applyStallAfter, leaderGrace, null);
  }

  /**
   * For the etcd backend ({@code node} supplies null): liveness is this process (the jetcd client
   * reconnects by itself, and losing etcd must not restart the coordinator), readiness is
   * {@code etcdProbe} (null when etcd answered, else why not), startup is the roles having started.
   */
  public NodeHealth(Supplier<RaftNode> node, Supplier<List<RoleStatus>> roles, MonotonicClock clock, long maxApplyLag,
      Duration applyStallAfter, Duration leaderGrace, Supplier<String> etcdProbe) {
    this.etcdProbe = etcdProbe;
    this.node = Objects.requireNonNull(node, "node");
    this.roles = Objects.requireNonNull(roles, "roles");
    this.clock = Objects.requireNonNull(clock, "clock");
    if (maxApplyLag < 0) {
      throw new IllegalArgumentException("maxApplyLag must not be negative");
    }
    this.maxApplyLag = maxApplyLag;
    this.applyStallNanos = applyStallAfter.toNanos();
    this.leaderGraceNanos = leaderGrace.toNanos();
  }

  public synchronized HealthCheckResponse liveness() {
    final HealthCheckResponseBuilder b = HealthCheckResponse.named("baton-liveness");
    final RaftNode n = node.get();
    if (n == null && etcdProbe != null) {
      return b.up().withData("backend", "etcd").build();
    }
    if (n == null) {
      return b.up().withData("raft", "not started yet").build(); // startup decides until then
    }
    if (!n.serverAlive()) {
      return down(b, "the Raft server is not running (state " + n.state() + ")");
    }
    final RaftStatus s = n.status();
    final long now = clock.nanoTime();
    if (s.appliedIndex() != lastApplied) {
      lastApplied = s.appliedIndex();
      appliedMovedAt = now;
    }
    b.withData("role", s.role()).withData("term", s.term()).withData("commitIndex", s.commitIndex())
        .withData("appliedIndex", s.appliedIndex());
    final long stalledFor = now - appliedMovedAt;
    if (s.commitIndex() > s.appliedIndex() && stalledFor >= applyStallNanos) {
      return down(b, "the apply thread is stuck: " + (s.commitIndex() - s.appliedIndex())
          + " committed entries wait and the applied index has not moved for " + stalledFor / 1_000_000 + " ms");
    }
    return b.up().build();
  }

  public synchronized HealthCheckResponse readiness() {
    final HealthCheckResponseBuilder b = HealthCheckResponse.named("baton-readiness");
    final RaftNode n = node.get();
    if (n == null && etcdProbe != null) {
      final String problem = etcdProbe.get();
      return problem == null ? b.up().withData("backend", "etcd").build()
          : down(b.withData("backend", "etcd"), "etcd does not answer: " + problem);
    }
    if (n == null || n.state() != RaftNode.State.STARTED) {
      return down(b, "the node has not started");
    }
    final RaftStatus s = n.status();
    final long now = clock.nanoTime();
    b.withData("role", s.role()).withData("term", s.term()).withData("leader", String.valueOf(s.leader()))
        .withData("applyLag", s.commitIndex() - s.appliedIndex());
    final boolean member = n.members().stream().anyMatch(p -> p.id().equals(n.nodeId()));
    if (!member) {
      return down(b, "node " + n.nodeId() + " is not a voting member of the cluster (yet)");
    }
    if (s.leader() != null) {
      leaderSeenAt = now;
      leaderEverSeen = true;
    } else if (!leaderEverSeen || now - leaderSeenAt >= leaderGraceNanos) {
      return down(b, "no leader known" + (leaderEverSeen ? " for " + (now - leaderSeenAt) / 1_000_000 + " ms" : " yet")
          + ": the cluster has no quorum, or this node cannot reach it");
    }
    final long lag = s.commitIndex() - s.appliedIndex();
    if (lag > maxApplyLag) {
      return down(b, "the replica is " + lag + " entries behind (at most " + maxApplyLag + " allowed)");
    }
    return b.up().build();
  }

  public HealthCheckResponse startup() {
    final HealthCheckResponseBuilder b = HealthCheckResponse.named("baton-startup");
    final RaftNode n = node.get();
    if (n == null && etcdProbe != null) {
      return b.status(!roles.get().isEmpty()).withData("backend", "etcd").build();
    }
    if (n == null || n.state() == RaftNode.State.LATENT) {
      return down(b, "storage not opened yet");
    }
    final RaftStatus s = n.status();
    return b.status(n.state() == RaftNode.State.STARTED).withData("appliedIndex", s.appliedIndex())
        .withData("state", n.state().name()).build();
  }

  /** UP only on the node where {@code role} is ACTIVE. */
  public HealthCheckResponse roleActive(String role) {
    final HealthCheckResponseBuilder b = HealthCheckResponse.named("baton-role-" + role);
    for (RoleStatus r : roles.get()) {
      if (r.role().equals(role)) {
        b.withData("state", r.state().name()).withData("epoch", r.epoch())
            .withData("active", String.valueOf(r.active()));
        return r.state() == RoleState.ACTIVE ? b.up().build()
            : down(b, "role " + role + " is " + r.state() + " here; the active node is " + r.active());
      }
    }
    return down(b, "this node does not run role " + role);
  }

  /** UP only when every role of this node is ACTIVE here (with the leader placement: on the leader). */
  public HealthCheckResponse allRolesActive() {
    final HealthCheckResponseBuilder b = HealthCheckResponse.named("baton-roles-active");
    final List<RoleStatus> all = roles.get();
    boolean up = !all.isEmpty();
    for (RoleStatus r : all) {
      b.withData(r.role(), r.state().name());
      up &= r.state() == RoleState.ACTIVE;
    }
    return up ? b.up().build() : down(b, "not every role is active on this node");
  }

  private static HealthCheckResponse down(HealthCheckResponseBuilder b, String reason) {
    return b.down().withData("reason", reason).build();
  }
}
