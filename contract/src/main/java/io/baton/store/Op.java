package io.baton.store;

import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.Objects;

/** A write inside a {@link Txn}. */
public sealed interface Op {

  /** Whether this op writes {@code key}. */
  boolean touches(String key);

  /** Sets {@code key} to {@code value}, bound to lease {@code leaseId} (0: no lease). */
  record Put(String key, byte[] value, long leaseId) implements Op {
    public Put {
      Objects.requireNonNull(key, "key");
      Objects.requireNonNull(value, "value");
    }

    @Override
    public boolean touches(String other) {
      return key.equals(other);
    }

    @Override
    public boolean equals(Object o) {
      return o instanceof Put p && key.equals(p.key) && Arrays.equals(value, p.value) && leaseId == p.leaseId;
    }

    @Override
    public int hashCode() {
      return key.hashCode() * 31 + Arrays.hashCode(value) + Long.hashCode(leaseId);
    }

    @Override
    public String toString() {
      return "put " + key + " (" + value.length + " bytes" + (leaseId != 0 ? ", lease " + leaseId : "") + ")";
    }
  }

  /** Removes {@code key} if present. */
  record Delete(String key) implements Op {
    public Delete {
      Objects.requireNonNull(key, "key");
    }

    @Override
    public boolean touches(String other) {
      return key.equals(other);
    }
  }

  /** Removes every key that starts with {@code prefix}. */
  record DeletePrefix(String prefix) implements Op {
    public DeletePrefix {
      Objects.requireNonNull(prefix, "prefix");
    }

    @Override
    public boolean touches(String other) {
      return other.startsWith(prefix);
    }
  }

  static Op put(String key, byte[] value) {
    return new Put(key, value, 0);
  }

  static Op put(String key, String value) {
    return new Put(key, value.getBytes(StandardCharsets.UTF_8), 0);
  }

  static Op delete(String key) {
    return new Delete(key);
  }

  static Op deletePrefix(String prefix) {
    return new DeletePrefix(prefix);
  }
}
