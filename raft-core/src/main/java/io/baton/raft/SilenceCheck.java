package io.baton.raft;

import java.util.function.LongUnaryOperator;

/**
 * When a follower has heard nothing from its leader for long enough to elect. Raft's rule, as Ratis
 * states it: silence of at least a random election timeout in {@code [min, max]}. Ratis checks it
 * only at the end of each timeout-long sleep and against that sleep's own timeout, so a sleep that
 * began before the last heartbeat never passes and silence is noticed 1 to 2 timeouts after it
 * (1 to 4 s with Baton's defaults). Checked often instead ({@link RaftNode} asks every 20
 * milliseconds), the same rule notices it within {@code [min, max]} of the last heartbeat: one
 * random timeout is drawn per silence (each new heartbeat starts a new one), so the followers still
 * spread out and rarely split a vote. It never elects sooner than {@code min} after a heartbeat,
 * so the leader lease's bound ({@link RaftNodeOptions#leaderLease()}) holds as before; the
 * election itself still runs Raft's pre-vote. [Not thread-safe: one caller, the node's timer.]
 */
final class SilenceCheck {
  private final long minNanos;
  private final long spanNanos;
  private final LongUnaryOperator random;
  private long heardAtNanos = Long.MIN_VALUE;
  private long timeoutNanos;

  /**
   * @param minNanos the election timeout's lower bound
   * @param maxNanos its upper bound (above {@code minNanos})
   * @param random   given n > 0, a uniformly random value in {@code [0, n)}
   */
  SilenceCheck(long minNanos, long maxNanos, LongUnaryOperator random) {
    if (minNanos <= 0 || maxNanos <= minNanos) {
      throw new IllegalArgumentException("need 0 < min < max, got " + minNanos + " and " + maxNanos);
    }
    this.minNanos = minNanos;
    this.spanNanos = maxNanos - minNanos;
    this.random = random;
  }

  /**
   * Whether the silence that began at {@code heardAtNanos} (the last RPC from the leader, exactly
   * as Ratis keeps it) has lasted this silence's timeout at {@code nowNanos}. A later
   * {@code heardAtNanos} than the last call's starts a new silence with a new random timeout; an
   * earlier one is ignored (the crash path, {@code RaftNode.electWithout}, moves Ratis' last RPC
   * time back so that it grants pre-votes, and staggers the followers' elections itself: this
   * check must not start them all at once).
   */
  boolean overdue(long heardAtNanos, long nowNanos) {
    if (this.heardAtNanos == Long.MIN_VALUE || heardAtNanos - this.heardAtNanos > 0) {
      restart(heardAtNanos);
    }
    return nowNanos - this.heardAtNanos >= timeoutNanos;
  }

  /**
   * Counts the silence from {@code nowNanos} with a new random timeout (a new heartbeat; after an
   * election that could not start, so that the next try comes one timeout later, as with Ratis' own
   * timer, not at the next check).
   */
  void restart(long nowNanos) {
    heardAtNanos = nowNanos;
    timeoutNanos = minNanos + random.applyAsLong(spanNanos + 1);
  }

  /** This silence's timeout (for the log line of the election it starts). */
  long timeoutNanos() {
    return timeoutNanos;
  }
}
