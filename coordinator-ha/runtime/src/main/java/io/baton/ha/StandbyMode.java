package io.baton.ha;

/** How a standby node keeps a role's state. */
public enum StandbyMode {
  /**
   * The standby is fed the role's state changes from the replicated log while it waits
   * ({@link RoleHandler#onStateChange}), so activation loads nothing.
   */
  HOT,
  /** The standby keeps nothing; the new active loads the state at activation ({@link RoleContext#loadState()}). */
  WARM
}
