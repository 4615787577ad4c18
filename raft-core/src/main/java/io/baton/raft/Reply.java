package io.baton.raft;

import io.baton.store.ReadResult;
import java.util.List;

/** The answer to a {@link Command}, encoded by {@link Codec}. */
sealed interface Reply {

  record TxnDone(boolean succeeded, long revision) implements Reply {}

  record Read(ReadResult result) implements Reply {}

  record LeaseGranted(long leaseId, long ttlMillis) implements Reply {}

  /** A lease keep-alive, revoke or expiry was applied; {@code revision} is the store revision after. */
  record LeaseDone(long revision) implements Reply {}

  /** The replies to a {@link Command.TxnBatch} or a {@link Command.ReadBatch}, in its order. */
  record Batch(List<Reply> replies) implements Reply {
    public Batch {
      replies = List.copyOf(replies);
    }
  }

  /** A deterministic refusal decided while applying. */
  record Failure(Code code, long detail, String message) implements Reply {}

  enum Code {
    /** A fenced write of an epoch older than the entry's term; detail = the current epoch. */
    STALE_EPOCH,
    /** The lease does not exist (expired or revoked); detail = the lease id. */
    LEASE_NOT_FOUND,
    /** The request is invalid in itself. */
    INVALID
  }
}
