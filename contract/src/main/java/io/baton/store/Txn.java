package io.baton.store;

import java.util.List;
import java.util.Objects;

/**
 * An atomic batch: if every compare holds, every op is applied at one new revision; otherwise
 * nothing is. A fenced transaction ({@code fence != null}) is additionally rejected with
 * {@link StaleEpochException} unless its {@link Fence} still holds (its key exists and was last
 * written at the fence's revision): the epoch that issued it is still current.
 *
 * @param fence the epoch this transaction acts for, or null
 */
public record Txn(List<Compare> compares, List<Op> ops, Fence fence) {
  public Txn {
    compares = List.copyOf(Objects.requireNonNull(compares, "compares"));
    ops = List.copyOf(Objects.requireNonNull(ops, "ops"));
    if (fence != null) {
      for (Op op : ops) {
        if (op.touches(fence.key())) {
          throw new IllegalArgumentException("a transaction fenced by '" + fence.key()
              + "' must not write its own fence key");
        }
      }
    }
  }

  public static Txn of(List<Compare> compares, List<Op> ops) {
    return new Txn(compares, ops, null);
  }

  /** This transaction, fenced by the epoch key {@code key} last written at revision {@code epoch}. */
  public Txn fencedBy(String key, long epoch) {
    return fencedBy(new Fence(key, epoch));
  }

  /** This transaction, fenced by {@code fence}. */
  public Txn fencedBy(Fence fence) {
    return new Txn(compares, ops, Objects.requireNonNull(fence, "fence"));
  }
}
