package io.baton.raft;

import java.util.HashSet;
import java.util.Set;

/**
 * Checks a command against the node's limits before it may enter the log. Run by the client
 * before sending and again by the leader on whatever bytes arrive, so that nothing invalid is ever
 * committed. Failures are {@link IllegalArgumentException}s that name the key and the limit.
 */
final class RequestValidator {
  static final int MAX_KEY_BYTES = 8 * 1024;

  private final int maxValueBytes;
  private final int maxRequestBytes;
  private final long minLeaseTtlMillis;

  RequestValidator(int maxValueBytes, int maxRequestBytes, long minLeaseTtlMillis) {
    this.maxValueBytes = maxValueBytes;
    this.maxRequestBytes = maxRequestBytes;
    this.minLeaseTtlMillis = minLeaseTtlMillis;
  }

  static RequestValidator of(RaftNodeOptions o) {
    return new RequestValidator(o.maxValueBytes(), o.maxRequestBytes(), o.electionTimeoutMax().toMillis());
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
      validateTxn(t.txn());
    } else if (command instanceof Command.LeaseGrant g) {
      if (g.ttlMillis() < minLeaseTtlMillis) {
        throw new IllegalArgumentException("lease TTL " + g.ttlMillis() + " ms is below the minimum of "
            + minLeaseTtlMillis + " ms (the election timeout): a leader change alone could expire it");
      }
    } else if (command instanceof Command.LeaseKeepAlive k) {
      requireLeaseId(k.leaseId());
    } else if (command instanceof Command.LeaseRevoke r) {
      requireLeaseId(r.leaseId());
    } else if (command instanceof Command.LeaseExpire e) {
      requireLeaseId(e.leaseId());
    } else if (command instanceof Command.Get g) {
      requireKey(g.key(), "key");
    } else if (command instanceof Command.Range r) {
      requireKeyLength(r.prefix(), "prefix");
    }
  }

  private void validateTxn(Txn txn) {
    for (Compare c : txn.compares()) {
      requireKey(c.key(), "compare key");
    }
    final Set<String> written = new HashSet<>();
    for (Op op : txn.ops()) {
      if (op instanceof Op.Put p) {
        requireKey(p.key(), "key");
        if (p.value().length > maxValueBytes) {
          throw new IllegalArgumentException("value for key '" + abbreviate(p.key()) + "' is " + p.value().length
              + " bytes, above the limit of " + maxValueBytes + " bytes (maxValueBytes)");
        }
        if (p.leaseId() < 0) {
          throw new IllegalArgumentException("lease id " + p.leaseId() + " for key '" + abbreviate(p.key())
              + "' is negative");
        }
        requireUnique(written, p.key());
      } else if (op instanceof Op.Delete d) {
        requireKey(d.key(), "key");
        requireUnique(written, d.key());
      } else if (op instanceof Op.DeletePrefix d) {
        requireKeyLength(d.prefix(), "prefix");
      }
    }
  }

  private static void requireUnique(Set<String> written, String key) {
    if (!written.add(key)) {
      throw new IllegalArgumentException("key '" + abbreviate(key) + "' is written twice in one transaction");
    }
  }

  private static void requireLeaseId(long id) {
    if (id <= 0) {
      throw new IllegalArgumentException("lease id " + id + " is not positive");
    }
  }

  private static void requireKey(String key, String what) {
    if (key.isEmpty()) {
      throw new IllegalArgumentException(what + " is empty");
    }
    requireKeyLength(key, what);
  }

  private static void requireKeyLength(String key, String what) {
    if (key.length() > MAX_KEY_BYTES) {
      throw new IllegalArgumentException(what + " '" + abbreviate(key) + "' is longer than "
          + MAX_KEY_BYTES + " characters");
    }
  }

  static String abbreviate(String key) {
    return key.length() <= 64 ? key : key.substring(0, 61) + "...";
  }
}
