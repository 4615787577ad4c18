package io.baton.raft;

/**
 * A snapshot of one node's Raft state, for status endpoints and tests.
 *
 * @param role      this node's Raft role
 * @param term      the current term ({@link Role#NONE}: 0)
 * @param leader    the node id of the known leader, or null
 * @param revision  the store revision of the local replica, or -1 when not known (a remote status)
 */
public record RaftStatus(String node, Role role, long term, String leader, long commitIndex,
    long appliedIndex, long revision) {

  /** A node's role in its Raft group. */
  public enum Role {
    LEADER, CANDIDATE, FOLLOWER, LISTENER,
    /** The Raft server is not running (not started yet, or closed). */
    NONE;

    /** Ratis' name of a role (LEADER, FOLLOWER, ...), or NONE for anything else. */
    static Role of(String ratisRole) {
      for (Role r : values()) {
        if (r.name().equals(ratisRole)) {
          return r;
        }
      }
      return NONE;
    }
  }

  /** Whether this node is the Raft leader (its lease may still have lapsed: see {@link RaftNode#leadership()}). */
  public boolean isLeader() {
    return role == Role.LEADER;
  }
}
