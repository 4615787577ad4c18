package io.baton.health;

import io.baton.ha.ActivationTiming;
import io.baton.ha.Baton;
import io.baton.ha.MemberState;
import io.baton.ha.NodeStatus;
import io.baton.ha.RoleState;
import io.baton.ha.RoleStatus;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Tags;
import io.micrometer.core.instrument.Timer;
import io.quarkus.runtime.StartupEvent;
import jakarta.annotation.Priority;
import jakarta.enterprise.event.Observes;
import jakarta.inject.Inject;
import jakarta.inject.Singleton;
import jakarta.interceptor.Interceptor;
import java.util.Optional;
import java.util.function.ToDoubleFunction;

/**
 * Baton's metrics (Micrometer; Prometheus names in brackets), registered only when the application
 * has Micrometer. Every meter carries the tag {@code node}.
 *
 * <ul>
 *   <li>per role (tag {@code role}): {@code baton.role.active} [baton_role_active] 1 where ACTIVE,
 *       else 0; {@code baton.role.state} [baton_role_state] 0 STARTING, 1 STANDBY, 2 ACTIVE,
 *       3 STOPPED; {@code baton.role.epoch}; {@code baton.role.activations}
 *       [baton_role_activations_total]; timers {@code baton.role.takeover} and
 *       {@code baton.role.activation} [_seconds_count/_sum/_max] (see {@link ActivationTiming})</li>
 *   <li>Raft (not on etcd): {@code baton.raft.term}, {@code baton.raft.leader} (1 on the leader),
 *       {@code baton.raft.leader.changes} [baton_raft_leader_changes_total],
 *       {@code baton.raft.commit.index}, {@code baton.raft.applied.index},
 *       {@code baton.raft.apply.lag}</li>
 *   <li>members: {@code baton.members} (tag {@code state}: ALIVE, SUSPECT, DOWN) on the node active
 *       for the members' role (0 elsewhere)</li>
 *   <li>metadata: timer {@code baton.metadata.operations} (tags {@code operation} and
 *       {@code outcome}: ok, stale_epoch, no_quorum, not_leader, or the error's name)</li>
 * </ul>
 */
@Singleton
public class BatonMetrics {
  @Inject
  Baton baton;

  @Inject
  MeterRegistry registry;

  /** After Baton's own start-up (default priority), so that the node and roles exist. */
  void register(@Observes @Priority(Interceptor.Priority.APPLICATION + 1000) StartupEvent event) {
    final Tags node = Tags.of("node", baton.nodeId());
    for (RoleStatus r : baton.status().roles()) {
      final String role = r.role();
      final Tags tags = node.and("role", role);
      registry.gauge("baton.role.active", tags, this, m -> m.role(role).map(s -> s.state() == RoleState.ACTIVE ? 1.0
          : 0.0).orElse(0.0));
      registry.gauge("baton.role.state", tags, this, m -> m.role(role).map(s -> (double) stateCode(s.state()))
          .orElse(0.0));
      registry.gauge("baton.role.epoch", tags, this, m -> m.role(role).map(s -> (double) s.epoch()).orElse(0.0));
      Counter.builder("baton.role.activations").tags(tags).description("activations of the role on this node")
          .register(registry);
      timer("baton.role.takeover", tags, "no active node seen -> onActive returned here");
      timer("baton.role.activation", tags, "epoch confirmed -> onActive returned here");
    }
    if (baton.status().raft().isPresent()) { // absent on etcd
      raftGauge("baton.raft.term", node, NodeStatus.Raft::term);
      raftGauge("baton.raft.commit.index", node, NodeStatus.Raft::commitIndex);
      raftGauge("baton.raft.applied.index", node, NodeStatus.Raft::appliedIndex);
      raftGauge("baton.raft.apply.lag", node, s -> s.commitIndex() - s.appliedIndex());
      raftGauge("baton.raft.leader", node, s -> s.isLeader() ? 1 : 0);
      registry.more().counter("baton.raft.leader.changes", node, this,
          m -> m.raft().map(s -> (double) s.leaderChanges()).orElse(0.0));
    }
    for (MemberState state : MemberState.values()) {
      registry.gauge("baton.members", node.and("state", state.name()), this,
          m -> m.baton.status().members().values().stream().filter(s -> s == state).count());
    }
    baton.onMetadataOperation((operation, nanos, failure) -> Timer.builder("baton.metadata.operations")
        .tags(node.and("operation", operation, "outcome", outcome(failure)))
        .register(registry).record(nanos, java.util.concurrent.TimeUnit.NANOSECONDS));
  }

  /** Counts and times each activation (a CDI event from the extension). */
  void activated(@Observes ActivationTiming timing) {
    final Tags tags = Tags.of("node", timing.node(), "role", timing.role());
    registry.counter("baton.role.activations", tags).increment();
    timer("baton.role.takeover", tags, null).record(timing.takeover());
    timer("baton.role.activation", tags, null).record(timing.activation());
  }

  private Timer timer(String name, Tags tags, String description) {
    return Timer.builder(name).tags(tags).description(description).register(registry);
  }

  private void raftGauge(String name, Tags tags, ToDoubleFunction<NodeStatus.Raft> value) {
    registry.gauge(name, tags, this, m -> m.raft().map(value::applyAsDouble).orElse(0.0));
  }

  private Optional<RoleStatus> role(String role) {
    return baton.roles().stream().filter(r -> r.role().equals(role)).findFirst();
  }

  private Optional<NodeStatus.Raft> raft() {
    return baton.status().raft().filter(NodeStatus.Raft::serverRunning);
  }

  private static int stateCode(RoleState state) {
    return switch (state) {
      case STARTING -> 0;
      case STANDBY -> 1;
      case ACTIVE -> 2;
      case STOPPED -> 3;
    };
  }

  static String outcome(Throwable failure) {
    if (failure == null) {
      return "ok";
    } else if (failure instanceof io.baton.store.StaleEpochException) {
      return "stale_epoch";
    } else if (failure instanceof io.baton.store.NoQuorumException) {
      return "no_quorum";
    } else if (failure instanceof io.baton.store.NotLeaderException) {
      return "not_leader";
    }
    return failure.getClass().getSimpleName();
  }
}
