package io.baton.ha;

import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.Objects;
import java.util.concurrent.CompletableFuture;
import java.util.function.Function;

/**
 * The futures of requested role moves (transfers, handovers) of one elector: each completes once
 * its role is seen where it was sent, or fails with {@link RoleMoveException} at its deadline.
 * [Thread-safe]
 */
final class RoleMoves {
  private record Move(String role, String target, String from, long deadline, CompletableFuture<Void> done) {
    boolean arrived(String holder) {
      return holder != null && (target != null ? holder.equals(target) : !holder.equals(from));
    }
  }

  private final List<Move> moves = new ArrayList<>();

  /** A future that completes once {@code role} is held by {@code target}. */
  synchronized CompletableFuture<Void> to(String role, String target, long deadlineNanos) {
    return add(new Move(role, Objects.requireNonNull(target, "target"), null, deadlineNanos, new CompletableFuture<>()));
  }

  /** A future that completes once {@code role} is held by any node other than {@code from}. */
  synchronized CompletableFuture<Void> awayFrom(String role, String from, long deadlineNanos) {
    return add(new Move(role, null, Objects.requireNonNull(from, "from"), deadlineNanos, new CompletableFuture<>()));
  }

  private CompletableFuture<Void> add(Move move) {
    moves.add(move);
    return move.done;
  }

  /**
   * Completes the moves whose role arrived ({@code holderOf}: the node holding a role now, or
   * null), and fails those past their deadline.
   */
  synchronized void check(long nowNanos, Function<String, String> holderOf) {
    for (Iterator<Move> it = moves.iterator(); it.hasNext(); ) {
      final Move m = it.next();
      final String holder = holderOf.apply(m.role);
      if (m.done.isDone()) {
        it.remove();
      } else if (m.arrived(holder)) {
        m.done.complete(null);
        it.remove();
      } else if (nowNanos - m.deadline >= 0) {
        m.done.completeExceptionally(new RoleMoveException(m.role, "role " + m.role + " did not move to "
            + (m.target != null ? m.target : "another node than " + m.from) + " in time; it is held by "
            + (holder == null ? "nobody" : holder)));
        it.remove();
      }
    }
  }

  /** Fails every pending move with {@code why} (the elector is closing). */
  synchronized void failAll(String why) {
    for (Move m : moves) {
      m.done.completeExceptionally(new RoleMoveException(m.role, "role " + m.role + " did not move: " + why));
    }
    moves.clear();
  }
}
