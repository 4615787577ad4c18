package io.baton.ha;

/**
 * One role as this node sees it.
 *
 * @param epoch  the epoch of this node's current or last activation (0: never active here)
 * @param active the node id of the active node, when known
 * @param activatedAtMillis wall-clock time (ms since the epoch) when the handler's onActive of that
 *        activation returned, 0 if never: for takeover measurements across processes, not for
 *        timing decisions
 * @param candidate whether this node can be chosen for the role now (it takes part in its election:
 *        {@link Elector#candidate}); a standby that is not cannot take over
 */
public record RoleStatus(String role, RoleState state, long epoch, String active, StandbyMode standbyMode,
    long activatedAtMillis, boolean candidate) {
}
