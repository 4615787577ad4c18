package io.baton.ha;

import io.baton.store.WatchEvent;
import jakarta.enterprise.event.Event;
import java.util.List;
import java.util.Objects;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.function.Consumer;
import java.util.function.Supplier;
import org.jboss.logging.Logger;

/**
 * Tells the application of role changes on this node, after the handler's {@code onActive} or
 * {@code onStandby} returned: the {@link RoleChanged} CDI event and the listeners of
 * {@link Baton#onRoleChange}, on the role's callback thread.
 */
final class RoleEvents {
  private static final Logger LOG = Logger.getLogger(RoleEvents.class);

  private final String nodeId;
  private final Event<RoleChanged> cdi;
  private final List<Consumer<RoleStatus>> listeners = new CopyOnWriteArrayList<>();
  private volatile Supplier<List<RoleStatus>> statuses = List::of;

  RoleEvents(String nodeId, Event<RoleChanged> cdi) {
    this.nodeId = nodeId;
    this.cdi = cdi;
  }

  /** Where the current role statuses come from (the role manager, once it exists). */
  void statusesFrom(Supplier<List<RoleStatus>> source) {
    this.statuses = Objects.requireNonNull(source, "source");
  }

  /** Adds a listener; returns what removes it. */
  Runnable subscribe(Consumer<RoleStatus> listener) {
    listeners.add(Objects.requireNonNull(listener, "listener"));
    return () -> listeners.remove(listener);
  }

  /** {@code handler}, followed by the events of each of its role changes. */
  RoleHandler wrap(String role, RoleHandler handler) {
    return new RoleHandler() {
      @Override
      public void onActive(RoleContext context) {
        handler.onActive(context); // a throw gives the role up: no ACTIVE event then
        cdi.fire(new RoleChanged(role, RoleState.ACTIVE, context.epoch(), context.node()));
        notifyListeners(role);
      }

      @Override
      public void onStandby(String roleName, String activeNode) {
        try {
          handler.onStandby(roleName, activeNode);
        } finally {
          cdi.fire(new RoleChanged(role, RoleState.STANDBY, 0, nodeId));
          notifyListeners(role);
        }
      }

      @Override
      public void onStateChange(WatchEvent event) {
        handler.onStateChange(event);
      }

      @Override
      public void onStateReset() {
        handler.onStateReset();
      }

      @Override
      public void onMemberChange(MemberTransition transition) {
        handler.onMemberChange(transition);
      }
    };
  }

  private void notifyListeners(String role) {
    for (RoleStatus status : statuses.get()) {
      if (status.role().equals(role)) {
        for (Consumer<RoleStatus> l : listeners) {
          try {
            l.accept(status);
          } catch (RuntimeException e) {
            LOG.warnf("node %s role=%s epoch=%d: a role listener threw: %s", nodeId, role, status.epoch(), e.toString());
          }
        }
      }
    }
  }
}
