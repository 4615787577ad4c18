package io.baton.raft;

/**
 * Whether this node may act as leader right now, and for which epoch (the Raft term).
 * {@code leader} is true only while a majority has acknowledged this node within the leader lease.
 */
public record Leadership(boolean leader, long epoch) {
  public static final Leadership NONE = new Leadership(false, 0);
}
