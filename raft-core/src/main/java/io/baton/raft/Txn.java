package io.baton.raft;

import java.util.List;
import java.util.Objects;

/**
 * An atomic batch: if every compare holds, every op is applied at one new revision; otherwise
 * nothing is. A fenced transaction ({@code fenceEpoch > 0}) is additionally rejected with
 * {@link StaleEpochException} unless it is appended to the log in Raft term {@code fenceEpoch},
 * i.e. by the leader of that epoch.
 */
public record Txn(List<Compare> compares, List<Op> ops, long fenceEpoch) {
  public Txn {
    compares = List.copyOf(Objects.requireNonNull(compares, "compares"));
    ops = List.copyOf(Objects.requireNonNull(ops, "ops"));
    if (fenceEpoch < 0) {
      throw new IllegalArgumentException("fence epoch " + fenceEpoch + " is negative");
    }
  }

  public static Txn of(List<Compare> compares, List<Op> ops) {
    return new Txn(compares, ops, 0);
  }

  /** This transaction, fenced by {@code epoch}. */
  public Txn fenced(long epoch) {
    if (epoch <= 0) {
      throw new IllegalArgumentException("fence epoch must be positive, got " + epoch);
    }
    return new Txn(compares, ops, epoch);
  }
}
