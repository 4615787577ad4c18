package io.baton.raft;

import io.baton.store.RequestLimits;

/**
 * Checks a command against the node's limits before it may enter the log: the store contract's
 * {@link RequestLimits}, plus the whole request's encoded size and the minimum lease TTL. Run by
 * the client before sending and again by the leader on whatever bytes arrive, so that nothing
 * invalid is ever committed. Failures are {@link IllegalArgumentException}s that name the key and
 * the limit.
 */
final class RequestValidator {
  private final RequestLimits limits;
  private final int maxRequestBytes;
  private final long minLeaseTtlMillis;

  RequestValidator(RequestLimits limits, int maxRequestBytes, long minLeaseTtlMillis) {
    this.limits = limits;
    this.maxRequestBytes = maxRequestBytes;
    this.minLeaseTtlMillis = minLeaseTtlMillis;
  }

  static RequestValidator of(RaftNodeOptions o) {
    return new RequestValidator(new RequestLimits(o.maxValueBytes()), o.maxRequestBytes(),
        o.electionTimeoutMax().toMillis());
  }

  int maxRequestBytes() {
    return maxRequestBytes;
  }

  long minLeaseTtlMillis() {
    return minLeaseTtlMillis;
  }

  /** Validates {@code command} whose encoding is {@code encodedBytes} long. */
  void validate(Command command, int encodedBytes) {
    if (encodedBytes > maxRequestBytes) {
      throw new IllegalArgumentException("request is " + encodedBytes + " bytes, above the limit of "
          + maxRequestBytes + " bytes (maxRequestBytes); split the batch");
    }
    if (command instanceof Command.TxnCommand t) {
      limits.validate(t.txn());
    } else if (command instanceof Command.TxnBatch batch) {
      batch.txns().forEach(t -> limits.validate(t.txn()));
    } else if (command instanceof Command.LeaseGrant g) {
      if (g.ttlMillis() < minLeaseTtlMillis) {
        throw new IllegalArgumentException("lease TTL " + g.ttlMillis() + " ms is below the minimum of "
            + minLeaseTtlMillis + " ms (the election timeout): a leader change alone could expire it");
      }
    } else if (command instanceof Command.LeaseKeepAlive k) {
      RequestLimits.requireLeaseId(k.leaseId());
    } else if (command instanceof Command.LeaseRevoke r) {
      RequestLimits.requireLeaseId(r.leaseId());
    } else if (command instanceof Command.LeaseExpire e) {
      RequestLimits.requireLeaseId(e.leaseId());
    } else if (command instanceof Command.ReadBatch batch) {
      batch.reads().forEach(r -> validate(r, 0));
    } else if (command instanceof Command.Get g) {
      RequestLimits.requireKey(g.key(), "key");
    } else if (command instanceof Command.Range r) {
      RequestLimits.requireKeyLength(r.prefix(), "prefix");
    }
  }
}
