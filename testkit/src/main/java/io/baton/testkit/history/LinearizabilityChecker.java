package io.baton.testkit.history;

import java.util.ArrayList;
import java.util.BitSet;
import java.util.Comparator;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;

/**
 * Checks that a history of puts and gets on a key-value store is linearizable: that there is one
 * order of the operations, consistent with real time (an operation that returned before another was
 * called comes first), in which every get returns the value of the latest put to its key (null
 * before any). Keys are independent registers, so each key's operations are checked on their own.
 *
 * <p>The search is Wing and Gong's, with Lowe's memoization of (set of linearized operations,
 * state), as Porcupine does it: walk the operations in order of their call and return events; try
 * to linearize the first call that the model accepts next, lifting it (and its return) out of the
 * list; when a return is reached before its operation was linearized, undo the last choice. An
 * operation with an unknown outcome returns at infinity, so it may take effect at any point after
 * its call. A search that exceeds {@code maxSteps} per key gives up: {@link Result#UNKNOWN}, never
 * a pass.
 */
public final class LinearizabilityChecker {
  /** The verdict. */
  public enum Result { LINEARIZABLE, NOT_LINEARIZABLE, UNKNOWN }

  /**
   * The verdict, the key on which it failed (or gave up), and that key's operations in call order.
   */
  public record Verdict(Result result, String key, List<KvOp> operations) {
    public boolean linearizable() {
      return result == Result.LINEARIZABLE;
    }

    @Override
    public String toString() {
      if (result == Result.LINEARIZABLE) {
        return "linearizable";
      }
      final StringBuilder b = new StringBuilder(result + " on key " + key + ", its operations in call order:");
      operations.forEach(op -> b.append("\n  ").append(op));
      return b.toString();
    }
  }

  private final long maxSteps;

  public LinearizabilityChecker(long maxSteps) {
    this.maxSteps = maxSteps;
  }

  /** A checker that gives up after 5 million steps per key. */
  public LinearizabilityChecker() {
    this(5_000_000);
  }

  public Verdict check(List<KvOp> history) {
    final Map<String, List<KvOp>> byKey = new LinkedHashMap<>();
    history.stream().sorted(Comparator.comparingLong(KvOp::call))
        .forEach(op -> byKey.computeIfAbsent(op.key(), k -> new ArrayList<>()).add(op));
    Verdict unknown = null;
    for (Map.Entry<String, List<KvOp>> e : byKey.entrySet()) {
      final Result r = checkKey(e.getValue());
      if (r == Result.NOT_LINEARIZABLE) {
        return new Verdict(r, e.getKey(), e.getValue());
      }
      if (r == Result.UNKNOWN && unknown == null) {
        unknown = new Verdict(r, e.getKey(), e.getValue());
      }
    }
    return unknown != null ? unknown : new Verdict(Result.LINEARIZABLE, null, List.of());
  }

  /** A call or return event in the doubly linked list of one key's events. */
  private static final class Entry {
    final int id;
    final boolean call;
    final KvOp op;
    final long time;
    Entry match; // the call's return, the return's call
    Entry prev;
    Entry next;

    Entry(int id, boolean call, KvOp op, long time) {
      this.id = id;
      this.call = call;
      this.op = op;
      this.time = time;
    }
  }

  private record Memo(BitSet linearized, String state) {
  }

  private record Frame(Entry entry, String state) {
  }

  private Result checkKey(List<KvOp> ops) {
    final List<Entry> events = new ArrayList<>();
    for (int i = 0; i < ops.size(); i++) {
      final KvOp op = ops.get(i);
      final Entry call = new Entry(i, true, op, op.call());
      final Entry ret = new Entry(i, false, op, op.ret());
      call.match = ret;
      ret.match = call;
      events.add(call);
      events.add(ret);
    }
    // by time; at equal times calls first (they overlap: the more permissive reading)
    events.sort(Comparator.comparingLong((Entry e) -> e.time).thenComparing(e -> !e.call));
    final Entry head = new Entry(-1, false, null, Long.MIN_VALUE);
    Entry last = head;
    for (Entry e : events) {
      last.next = e;
      e.prev = last;
      last = e;
    }

    String state = null; // the register's value: null while absent
    final BitSet linearized = new BitSet(ops.size());
    final Set<Memo> cache = new HashSet<>();
    final List<Frame> stack = new ArrayList<>();
    Entry entry = head.next;
    long steps = 0;
    while (head.next != null) {
      if (++steps > maxSteps) {
        return Result.UNKNOWN;
      }
      if (entry.call) {
        final String next = step(state, entry.op);
        if (next != INVALID) {
          final BitSet with = (BitSet) linearized.clone();
          with.set(entry.id);
          if (cache.add(new Memo(with, next))) {
            stack.add(new Frame(entry, state));
            state = next;
            linearized.set(entry.id);
            lift(entry);
            entry = head.next;
            continue;
          }
        }
        entry = entry.next;
      } else {
        if (stack.isEmpty()) {
          return Result.NOT_LINEARIZABLE;
        }
        final Frame top = stack.remove(stack.size() - 1);
        state = top.state();
        linearized.clear(top.entry().id);
        unlift(top.entry());
        entry = top.entry().next;
      }
    }
    return Result.LINEARIZABLE;
  }

  private static final String INVALID = new String("invalid");

  /** The register after {@code op}, or INVALID if {@code op} cannot take effect in {@code state}. */
  private static String step(String state, KvOp op) {
    if (op.kind() == KvOp.Kind.PUT) {
      return op.value();
    }
    return Objects.equals(state, op.result()) ? state : INVALID;
  }

  /** Takes a call and its return out of the list. */
  private static void lift(Entry call) {
    call.prev.next = call.next;
    if (call.next != null) {
      call.next.prev = call.prev;
    }
    final Entry ret = call.match;
    ret.prev.next = ret.next;
    if (ret.next != null) {
      ret.next.prev = ret.prev;
    }
  }

  /** Puts a lifted call and its return back, in their places. */
  private static void unlift(Entry call) {
    final Entry ret = call.match;
    ret.prev.next = ret;
    if (ret.next != null) {
      ret.next.prev = ret;
    }
    call.prev.next = call;
    if (call.next != null) {
      call.next.prev = call;
    }
  }
}
