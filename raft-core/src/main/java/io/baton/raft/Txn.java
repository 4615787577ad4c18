package io.baton.raft;

import java.util.List;
import java.util.Objects;

/**
 * An atomic batch: if every compare holds, every op is applied at one new revision; otherwise
 * nothing is. A fenced transaction ({@code fenceEpoch > 0}) is additionally rejected with
 * {@link StaleEpochException} unless its epoch is still current, which is one of two things:
 * <ul>
 *   <li>without a {@code fenceKey}: it is appended to the log in Raft term {@code fenceEpoch},
 *       i.e. by the leader of that epoch;</li>
 *   <li>with a {@code fenceKey} (a role lease key): that key exists and was created at revision
 *       {@code fenceEpoch}, i.e. the lease that issued the epoch is still held.</li>
 * </ul>
 */
public record Txn(List<Compare> compares, List<Op> ops, long fenceEpoch, String fenceKey) {
  public Txn {
    compares = List.copyOf(Objects.requireNonNull(compares, "compares"));
    ops = List.copyOf(Objects.requireNonNull(ops, "ops"));
    if (fenceEpoch < 0) {
      throw new IllegalArgumentException("fence epoch " + fenceEpoch + " is negative");
    }
    if (fenceKey != null && (fenceKey.isEmpty() || fenceEpoch == 0)) {
      throw new IllegalArgumentException("a fence key needs a non-empty key and a positive fence epoch");
    }
  }

  public Txn(List<Compare> compares, List<Op> ops, long fenceEpoch) {
    this(compares, ops, fenceEpoch, null);
  }

  public static Txn of(List<Compare> compares, List<Op> ops) {
    return new Txn(compares, ops, 0);
  }

  /** This transaction, fenced by the lease key {@code key} created at revision {@code epoch}. */
  public Txn fencedBy(String key, long epoch) {
    if (epoch <= 0) {
      throw new IllegalArgumentException("fence epoch must be positive, got " + epoch);
    }
    return new Txn(compares, ops, epoch, Objects.requireNonNull(key, "fence key"));
  }

  /** This transaction, fenced by {@code epoch}. */
  public Txn fenced(long epoch) {
    if (epoch <= 0) {
      throw new IllegalArgumentException("fence epoch must be positive, got " + epoch);
    }
    return new Txn(compares, ops, epoch);
  }
}
