package io.baton.store;

import java.util.Objects;

/**
 * The fencing token of a role's epoch, as a condition on the store: a write fenced by
 * {@code Fence(key, revision)} applies only if {@code key} exists and was last written at store
 * revision {@code revision}; otherwise it fails with {@link StaleEpochException} and nothing of it
 * is applied. Every activation of a role writes (or creates) its epoch key, and the revision of that
 * write is the epoch, so a newer activation makes every older epoch's fence fail. The same
 * condition exists on every backend (on etcd it is a compare of the key's mod revision).
 *
 * <p>A fenced write must not itself write its fence key (that would fence it out); such a
 * transaction is refused as invalid.
 *
 * @param key      the epoch key (for a role: its holder or election key)
 * @param revision the epoch: the store revision at which the key was last written
 */
public record Fence(String key, long revision) {
  public Fence {
    Objects.requireNonNull(key, "fence key");
    if (key.isEmpty()) {
      throw new IllegalArgumentException("fence key must not be empty");
    }
    if (revision <= 0) {
      throw new IllegalArgumentException("fence revision (epoch) must be positive, got " + revision);
    }
  }
}
