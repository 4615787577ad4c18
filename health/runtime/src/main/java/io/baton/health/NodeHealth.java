package io.baton.health;

import io.baton.ha.NodeStatus;
import io.baton.ha.RoleState;
import io.baton.ha.RoleStatus;
import io.baton.store.MonotonicClock;
import java.time.Duration;
import java.util.List;
import java.util.Objects;
import java.util.Optional;
import java.util.function.Function;
import java.util.function.Supplier;
import org.eclipse.microprofile.health.HealthCheckResponse;
import org.eclipse.microprofile.health.HealthCheckResponseBuilder;

/**
 * Decides a node's health for the checks of this module, from the node's {@link NodeStatus}. Every
 * DOWN says why in its data ({@code reason}). Time enters through the clock only (stall and grace
 * periods are measured between calls), so the decisions are testable without sleeping.
 * Thread-safe.
 *
 * <ul>
 *   <li><b>liveness</b>: the node's own machinery works: its Raft server runs, and its apply
 *       thread is not wedged (committed entries waiting while the applied index has not moved for
 *       {@code applyStallAfter}), and its Raft log can still be written (a full disk or an I/O
 *       error fails it for good: a restart is what recovers the node). It does not depend on
 *       leadership or on other nodes, so it stays UP on a healthy standby during a takeover: a
 *       liveness probe must never kill a node for taking part in a failover. On etcd: the process (losing etcd must not restart the
 *       coordinator; the jetcd client reconnects by itself).</li>
 *   <li><b>readiness</b>: the node has started and joined the cluster, knows a leader (or lost it
 *       less than {@code leaderGrace} ago: an election is not an outage), and its replica has
 *       applied all but at most {@code maxApplyLag} of the entries it knows are committed, and its
 *       rehearsal (a practice cluster that warms up the takeover code, a few seconds after
 *       start-up) has ended, so that a rolling update stops the next node only once this one can
 *       take over at full speed. On etcd:
 *       etcd answers a linearizable read within a second. On both, the node is a candidate for
 *       every role (its etcd campaign or spread-placement session is confirmed): a node that could
 *       not take over is not ready.</li>
 *   <li><b>startup</b>: storage opened, snapshot restored, log replayed, roles started.</li>
 *   <li><b>role groups</b>: UP only where the role is ACTIVE.</li>
 * </ul>
 */
public final class NodeHealth {
  private static final Duration PROBE_TIMEOUT = Duration.ofSeconds(1);

  private final Supplier<NodeStatus> status;
  private final Function<Duration, Optional<String>> probe;
  private final MonotonicClock clock;
  private final long maxApplyLag;
  private final long applyStallNanos;
  private final long leaderGraceNanos;

  private long lastApplied = -1;
  private long appliedMovedAt;
  private long leaderSeenAt;
  private boolean leaderEverSeen;

  /**
   * @param status the node's status now
   * @param probe  asks the backend for a linearizable read within a timeout: empty when it
   *               answered, else why not (used for readiness where there is no Raft state: etcd)
   */
  public NodeHealth(Supplier<NodeStatus> status, Function<Duration, Optional<String>> probe, MonotonicClock clock,
      long maxApplyLag, Duration applyStallAfter, Duration leaderGrace) {
    this.status = Objects.requireNonNull(status, "status");
    this.probe = Objects.requireNonNull(probe, "probe");
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
    final NodeStatus s = status.get();
    b.withData("backend", s.backend());
    if (s.raft().isEmpty()) {
      return b.up().build(); // etcd, or Raft not started yet (startup decides until then)
    }
    final NodeStatus.Raft raft = s.raft().get();
    if (raft.logFailure().isPresent()) {
      return down(b, "the Raft log cannot be written (" + raft.logFailure().get() + "): the node takes no part in"
          + " replication until it is restarted; free space first, it then recovers from its storage");
    }
    if (!raft.serverRunning()) {
      return s.lifecycle() == NodeStatus.Lifecycle.STARTED ? down(b, "the Raft server is not running")
          : b.up().withData("lifecycle", s.lifecycle().name()).build();
    }
    final long now = clock.nanoTime();
    if (raft.appliedIndex() != lastApplied) {
      lastApplied = raft.appliedIndex();
      appliedMovedAt = now;
    }
    b.withData("role", raft.role()).withData("term", raft.term()).withData("commitIndex", raft.commitIndex())
        .withData("appliedIndex", raft.appliedIndex());
    final long stalledFor = now - appliedMovedAt;
    if (raft.commitIndex() > raft.appliedIndex() && stalledFor >= applyStallNanos) {
      return down(b, "the apply thread is stuck: " + (raft.commitIndex() - raft.appliedIndex())
          + " committed entries wait and the applied index has not moved for " + stalledFor / 1_000_000 + " ms");
    }
    return b.up().build();
  }

  public synchronized HealthCheckResponse readiness() {
    final HealthCheckResponseBuilder b = HealthCheckResponse.named("baton-readiness");
    final NodeStatus s = status.get();
    b.withData("backend", s.backend());
    if (s.lifecycle() != NodeStatus.Lifecycle.STARTED) {
      return down(b, "the node is " + s.lifecycle().name().toLowerCase(java.util.Locale.ROOT));
    }
    if (s.raft().isEmpty()) {
      final Optional<String> problem = probe.apply(PROBE_TIMEOUT);
      return problem.isPresent() ? down(b, s.backend() + " does not answer: " + problem.get()) : candidate(b, s);
    }
    final NodeStatus.Raft raft = s.raft().get();
    final long now = clock.nanoTime();
    b.withData("role", raft.role()).withData("term", raft.term()).withData("leader", String.valueOf(raft.leader()))
        .withData("applyLag", raft.commitIndex() - raft.appliedIndex());
    if (!raft.votingMember()) {
      return down(b, "node " + s.node() + " is not a voting member of the cluster (yet)");
    }
    if (raft.leader() != null) {
      leaderSeenAt = now;
      leaderEverSeen = true;
    } else if (!leaderEverSeen || now - leaderSeenAt >= leaderGraceNanos) {
      return down(b, "no leader known" + (leaderEverSeen ? " for " + (now - leaderSeenAt) / 1_000_000 + " ms" : " yet")
          + ": the cluster has no quorum, or this node cannot reach it");
    }
    final long lag = raft.commitIndex() - raft.appliedIndex();
    if (lag > maxApplyLag) {
      return down(b, "the replica is " + lag + " entries behind (at most " + maxApplyLag + " allowed)");
    }
    if (raft.rehearsing()) {
      return down(b, "rehearsing a takeover in a practice cluster, so that this node's first takeover runs warm code"
          + " (a few seconds after start-up; baton.raft.rehearse=false skips it)");
    }
    return candidate(b, s);
  }

  /** UP once the node takes part in every role's election, so that it could take each over. */
  private static HealthCheckResponse candidate(HealthCheckResponseBuilder b, NodeStatus s) {
    final List<String> not = s.roles().stream().filter(r -> !r.candidate()).map(RoleStatus::role).toList();
    return not.isEmpty() ? b.up().build() : down(b, "node " + s.node() + " is not (yet) a candidate for " + not
        + ": its session or campaign in " + s.backend() + " is not confirmed, so it could not take "
        + (not.size() == 1 ? "that role" : "those roles") + " over");
  }

  public HealthCheckResponse startup() {
    final HealthCheckResponseBuilder b = HealthCheckResponse.named("baton-startup");
    final NodeStatus s = status.get();
    b.withData("backend", s.backend()).withData("lifecycle", s.lifecycle().name());
    s.raft().ifPresent(raft -> b.withData("appliedIndex", raft.appliedIndex()));
    return s.lifecycle() == NodeStatus.Lifecycle.STARTED ? b.up().build()
        : down(b, s.lifecycle() == NodeStatus.Lifecycle.STARTING ? "starting: storage, log replay or roles not ready yet"
            : "stopped");
  }

  /** UP only on the node where {@code role} is ACTIVE. */
  public HealthCheckResponse roleActive(String role) {
    final HealthCheckResponseBuilder b = HealthCheckResponse.named("baton-role-" + role);
    for (RoleStatus r : status.get().roles()) {
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
    final List<RoleStatus> all = status.get().roles();
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
