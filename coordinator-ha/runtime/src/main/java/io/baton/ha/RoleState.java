package io.baton.ha;

/** A node's state for one role, as reported by {@code /baton/status}. */
public enum RoleState { STARTING, ACTIVE, STANDBY, STOPPED }
