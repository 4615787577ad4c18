package io.baton.raft;

/**
 * What travels through the Raft log (writes) or to a replica's query handler (reads). Encoded by
 * {@link Codec}; applied deterministically by {@link KvState}.
 */
sealed interface Command {

  /** Commands that go through the log. */
  sealed interface Write extends Command {}

  /** Commands answered from a replica's state without touching the log. */
  sealed interface Read extends Command {}

  record TxnCommand(Txn txn) implements Write {}

  record LeaseGrant(long ttlMillis) implements Write {}

  record LeaseKeepAlive(long leaseId) implements Write {}

  /** Revoked by a client. */
  record LeaseRevoke(long leaseId) implements Write {}

  /** Proposed by the leader when a lease's TTL ran out on its clock. */
  record LeaseExpire(long leaseId) implements Write {}

  record Get(String key) implements Read {}

  record Range(String prefix) implements Read {}
}
