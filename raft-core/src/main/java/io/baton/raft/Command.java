package io.baton.raft;

import io.baton.store.Txn;
import java.util.List;

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

  /**
   * A transaction. {@code legacyTermFence} is non-zero only in log entries written before fences
   * became key fences (then a transaction could be fenced by the Raft term it entered the log in);
   * they are still applied as they were when replayed. Nothing creates such entries now.
   */
  record TxnCommand(Txn txn, long legacyTermFence) implements Write {
    TxnCommand(Txn txn) {
      this(txn, 0);
    }
  }

  /**
   * Transactions from different callers in one log entry, applied one after the other as if each
   * were its own entry (each its own revision, its own compares and fence, its own reply). Only
   * transactions: a lease grant takes its id from its entry's index, which a batch would share.
   */
  record TxnBatch(List<TxnCommand> txns) implements Write {
    public TxnBatch {
      txns = List.copyOf(txns);
      if (txns.isEmpty()) {
        throw new IllegalArgumentException("an empty batch");
      }
    }
  }

  record LeaseGrant(long ttlMillis) implements Write {}

  record LeaseKeepAlive(long leaseId) implements Write {}

  /** Revoked by a client. */
  record LeaseRevoke(long leaseId) implements Write {}

  /** Proposed by the leader when a lease's TTL ran out on its clock. */
  record LeaseExpire(long leaseId) implements Write {}

  /** Linearizable reads from different callers in one query, answered from one state. */
  record ReadBatch(List<Read> reads) implements Read {
    public ReadBatch {
      reads = List.copyOf(reads);
      if (reads.isEmpty() || reads.stream().anyMatch(r -> r.stale() || r instanceof ReadBatch)) {
        throw new IllegalArgumentException("a batch of reads holds one or more linearizable gets and ranges");
      }
    }

    @Override
    public boolean stale() {
      return false;
    }
  }

  record Get(String key, boolean stale) implements Read {}

  record Range(String prefix, boolean stale) implements Read {}
}
