package io.baton.store;

import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.Objects;

/**
 * A guard of a {@link Txn}: the transaction applies its operations only if every compare holds at
 * the moment it is applied. A missing key has value {@code null}, and revisions and version 0.
 */
public record Compare(String key, Target target, byte[] value, long number) {
  /** What of the key is compared. */
  public enum Target { VALUE, MOD_REVISION, CREATE_REVISION, VERSION }

  public Compare {
    Objects.requireNonNull(key, "key");
    Objects.requireNonNull(target, "target");
    if (target == Target.VALUE) {
      Objects.requireNonNull(value, "value");
    }
  }

  /** The key's value equals {@code expected}. */
  public static Compare value(String key, byte[] expected) {
    return new Compare(key, Target.VALUE, expected, 0);
  }

  public static Compare value(String key, String expected) {
    return value(key, expected.getBytes(StandardCharsets.UTF_8));
  }

  /** The key was last modified at {@code revision} (0: the key is absent). */
  public static Compare modRevision(String key, long revision) {
    return new Compare(key, Target.MOD_REVISION, null, revision);
  }

  /** The key was created at {@code revision} (0: the key is absent). */
  public static Compare createRevision(String key, long revision) {
    return new Compare(key, Target.CREATE_REVISION, null, revision);
  }

  /** The key has been modified {@code version} times since creation (0: the key is absent). */
  public static Compare version(String key, long version) {
    return new Compare(key, Target.VERSION, null, version);
  }

  /** The key does not exist. */
  public static Compare absent(String key) {
    return version(key, 0);
  }

  /** Whether this compare holds against {@code kv} (null when the key is absent). */
  public boolean holds(KeyValue kv) {
    return switch (target) {
      case VALUE -> kv != null && Arrays.equals(kv.value(), value);
      case MOD_REVISION -> (kv == null ? 0 : kv.modRevision()) == number;
      case CREATE_REVISION -> (kv == null ? 0 : kv.createRevision()) == number;
      case VERSION -> (kv == null ? 0 : kv.version()) == number;
    };
  }

  @Override
  public boolean equals(Object o) {
    return o instanceof Compare c && key.equals(c.key) && target == c.target
        && Arrays.equals(value, c.value) && number == c.number;
  }

  @Override
  public int hashCode() {
    return Objects.hash(key, target, number) + Arrays.hashCode(value);
  }

  @Override
  public String toString() {
    return key + "." + target + "==" + (target == Target.VALUE ? value.length + " bytes" : number);
  }
}
