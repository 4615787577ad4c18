package io.baton.store;

import java.util.HashSet;
import java.util.Set;

/**
 * What every backend refuses before a request is sent: empty or over-long keys, values over
 * {@link #maxValueBytes()}, negative lease ids, a key written twice in one transaction. Failures
 * are {@link IllegalArgumentException}s that name the key, the size and the limit. Backends add
 * their own transport limits (the Ratis store's whole-request size, say) on top.
 *
 * @param maxValueBytes the largest value a put may carry
 */
public record RequestLimits(int maxValueBytes) {
  /** The longest key, in characters. */
  public static final int MAX_KEY_LENGTH = 8 * 1024;
  /** The default largest value: 1 MiB. */
  public static final int DEFAULT_MAX_VALUE_BYTES = 1024 * 1024;
  /** The limits with every default. */
  public static final RequestLimits DEFAULT = new RequestLimits(DEFAULT_MAX_VALUE_BYTES);

  public RequestLimits {
    if (maxValueBytes < 1) {
      throw new IllegalArgumentException("maxValueBytes " + maxValueBytes + " must be at least 1");
    }
  }

  /** Checks every compare and op of {@code txn}. */
  public void validate(Txn txn) {
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
    if (txn.fence() != null) {
      requireKey(txn.fence().key(), "fence key");
    }
  }

  /** A key: non-empty, at most {@link #MAX_KEY_LENGTH} characters; {@code what} names it in the error. */
  public static void requireKey(String key, String what) {
    if (key == null || key.isEmpty()) {
      throw new IllegalArgumentException(what + " is empty");
    }
    requireKeyLength(key, what);
  }

  /** A prefix (may be empty): at most {@link #MAX_KEY_LENGTH} characters. */
  public static void requireKeyLength(String key, String what) {
    if (key.length() > MAX_KEY_LENGTH) {
      throw new IllegalArgumentException(what + " '" + abbreviate(key) + "' is longer than "
          + MAX_KEY_LENGTH + " characters");
    }
  }

  /** A lease id: positive. */
  public static void requireLeaseId(long id) {
    if (id <= 0) {
      throw new IllegalArgumentException("lease id " + id + " is not positive");
    }
  }

  private static void requireUnique(Set<String> written, String key) {
    if (!written.add(key)) {
      throw new IllegalArgumentException("key '" + abbreviate(key) + "' is written twice in one transaction");
    }
  }

  /** A key shortened for error messages. */
  public static String abbreviate(String key) {
    return key.length() <= 64 ? key : key.substring(0, 61) + "...";
  }
}
