package io.baton.ha;

import io.baton.store.WatchEvent;

/**
 * Implemented by the service for each role it runs. Calls for one role are made one at a time, in
 * order, on the role's executor (never on a Raft thread).
 *
 * <p><b>These notifications race with reality</b>, as Curator's {@code LeaderLatchListener} does:
 * by the time {@link #onActive} runs, the activation may already be lost. Check
 * {@link RoleContext#lost()} or write through the fenced {@link RoleContext#store()}, which
 * rejects a deposed epoch.
 */
public interface RoleHandler {
  /** This node is now active for the role. Return promptly; do long work asynchronously. */
  void onActive(RoleContext context);

  /**
   * This node is standby for the role: at start-up, and after every lost activation.
   *
   * @param activeNode the node id now believed active, or null when unknown
   */
  void onStandby(String role, String activeNode);

  /**
   * A change of the role's state (a key under its state prefix), delivered in revision order while
   * this node is a HOT standby, so that it holds the state when it becomes active. Not called for
   * WARM standbys. The default does nothing.
   */
  default void onStateChange(WatchEvent event) {
  }

  /**
   * A HOT standby's view starts over: forget the role state; the whole current state follows as
   * PUT events through {@link #onStateChange}. Called when a HOT standby starts, and when its
   * node skipped past the kept history (e.g. it installed a snapshot). The default does nothing.
   */
  default void onStateReset() {
  }

  /**
   * A member (a worker that heartbeats to the active coordinator) changed state: registered
   * (ALIVE), SUSPECT, DOWN, or ALIVE again. Called only while this node is active for the role.
   * The default does nothing.
   */
  default void onMemberChange(MemberTransition transition) {
  }
}
