package io.baton.health;

import io.baton.ha.NodeStatus;
import io.baton.ha.NodeStatusSource;
import io.baton.ha.RoleStatus;
import io.baton.store.MonotonicClock;
import io.quarkus.runtime.StartupEvent;
import io.smallrye.health.registry.HealthRegistries;
import jakarta.enterprise.event.Observes;
import jakarta.inject.Inject;
import jakarta.inject.Singleton;
import org.eclipse.microprofile.health.HealthCheck;
import org.jboss.logging.Logger;

/**
 * Holds the node's {@link NodeHealth} for the checks, and registers the role groups at start-up:
 * {@code /q/health/group/active-<role>} for each role, and {@code /q/health/group/active} (UP when
 * every role is active on this node), each UP only where the role is ACTIVE: point a Kubernetes
 * Service or load balancer that must reach the active node alone at one of them.
 */
@Singleton
public class BatonHealth {
  private static final Logger LOG = Logger.getLogger(BatonHealth.class);
  /** The group that is UP where every role is active. */
  public static final String ACTIVE_GROUP = "active";

  @Inject
  NodeStatusSource source;

  @Inject
  BatonHealthConfig config;

  private volatile NodeHealth health;

  /** The evaluator (created on first use, so that checks called before start-up have one). */
  public NodeHealth node() {
    NodeHealth h = health;
    if (h == null) {
      synchronized (this) {
        if (health == null) {
          health = new NodeHealth(source::status, source::probeBackend, MonotonicClock.SYSTEM,
              config.maxApplyLag(), config.applyStallAfter(), config.leaderGrace());
        }
        h = health;
      }
    }
    return h;
  }

  /** The group name of a role: {@code active-<role>}. */
  public static String groupOf(String role) {
    return ACTIVE_GROUP + "-" + role;
  }

  /** After Baton's own start-up observer (default priority), so that the roles exist. */
  void registerRoleGroups(@Observes @jakarta.annotation.Priority(jakarta.interceptor.Interceptor.Priority.APPLICATION + 1000)
      StartupEvent event) {
    final NodeHealth h = node();
    HealthRegistries.getHealthGroupRegistry(ACTIVE_GROUP).register("baton-roles-active",
        (HealthCheck) h::allRolesActive);
    final NodeStatus status = source.status();
    for (RoleStatus r : status.roles()) {
      final String role = r.role();
      HealthRegistries.getHealthGroupRegistry(groupOf(role)).register("baton-role-" + role,
          (HealthCheck) () -> h.roleActive(role));
    }
    LOG.infof("node %s: health groups %s and %s-<role> registered for roles %s", status.node(), ACTIVE_GROUP,
        ACTIVE_GROUP, status.roles().stream().map(RoleStatus::role).toList());
  }
}
