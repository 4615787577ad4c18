package io.baton.raft;

/**
 * Told when this node becomes leader and when it stops being leader. Calls are made one at a time,
 * in order, on the executor given at registration, never on a Raft thread.
 *
 * <p><b>These notifications race with reality.</b> By the time {@link #isLeader(long)} runs,
 * leadership may already be gone; {@link #notLeader()} may arrive after another node has been
 * elected. Anything that must not happen twice has to be fenced with the epoch (see
 * {@link Txn#fenced(long)}) or checked with {@link RaftNode#leadership()} just before acting.
 */
public interface LeadershipListener {
  /**
   * This node became leader for {@code epoch} and has applied every entry of earlier epochs.
   */
  void isLeader(long epoch);

  /** This node is no longer leader (stepped down, lost its quorum, or is closing). */
  void notLeader();
}
