package io.baton.store;

/** How fresh a read must be. */
public enum ReadConsistency {
  /** Reflects every write acknowledged before the read started (Raft read index on the leader). */
  LINEARIZABLE,
  /**
   * Served from the local replica at once, without contacting anyone; may miss recent writes.
   * The result's revision and applied index say what it reflects.
   */
  STALE
}
