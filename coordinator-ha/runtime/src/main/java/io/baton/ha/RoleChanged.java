package io.baton.ha;

/**
 * A CDI event fired when this node's state for a role changes; observed with
 * {@code void on(@Observes RoleChanged e)}. Fired on the role's executor, after the handler's own
 * callback, so it is as racy as the handler calls (see {@link RoleHandler}).
 */
public record RoleChanged(String role, RoleState state, long epoch, String node) {
}
