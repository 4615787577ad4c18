package io.baton.raft;

/**
 * What travels through the Raft log (writes) or to a replica's query handler (reads). Encoded by
 * {@link Codec}; applied deterministically by {@link KvState}.
 */
sealed interface Command {

  /** Commands that go through the log. */
  sealed interface Write extends Command {}

  /**
   * Commands answered from a replica's state without touching the log. A {@code stale} read is
   * served as the replica is; otherwise only by a leader whose lease holds.
   */
  sealed interface Read extends Command {
    boolean stale();
  }

  record TxnCommand(Txn txn) implements Write {}

  record LeaseGrant(long ttlMillis) implements Write {}

  record LeaseKeepAlive(long leaseId) implements Write {}

  /** Revoked by a client. */
  record LeaseRevoke(long leaseId) implements Write {}

  /** Proposed by the leader when a lease's TTL ran out on its clock. */
  record LeaseExpire(long leaseId) implements Write {}

  record Get(String key, boolean stale) implements Read {}

  record Range(String prefix, boolean stale) implements Read {}
}
