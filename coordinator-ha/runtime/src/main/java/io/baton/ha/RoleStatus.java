package io.baton.ha;

/**
 * One role as this node sees it.
 *
 * @param epoch  the epoch of this node's current or last activation (0: never active here)
 * @param active the node id of the active node, when known
 */
public record RoleStatus(String role, RoleState state, long epoch, String active, StandbyMode standbyMode) {
}
