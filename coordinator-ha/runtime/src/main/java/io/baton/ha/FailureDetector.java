package io.baton.ha;

import io.baton.store.MonotonicClock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;

/**
 * A threshold failure detector for members (workers that heartbeat to the active coordinator):
 * a member silent for {@code suspectAfter} becomes SUSPECT, for {@code downAfter} DOWN; any
 * heartbeat makes it ALIVE again. Thresholds rather than phi-accrual: a coordinator needs
 * decisions an operator can predict from two durations, and member heartbeats arrive at a fixed
 * interval, where phi adds little.
 *
 * <p>Time comes only from the injected {@link MonotonicClock}, so tests script it.
 * {@link #evaluate()} is called by the owner (on a timer in production), never by this class.
 * [Thread-safe]
 */
public final class FailureDetector {
  private final MonotonicClock clock;
  private final long suspectAfterNanos;
  private final long downAfterNanos;
  private final Map<String, Entry> members = new LinkedHashMap<>();

  private static final class Entry {
    long lastHeartbeat;
    MemberState state = MemberState.ALIVE;

    Entry(long now) {
      lastHeartbeat = now;
    }
  }

  public FailureDetector(MonotonicClock clock, Duration suspectAfter, Duration downAfter) {
    this.clock = Objects.requireNonNull(clock, "clock");
    if (suspectAfter.isNegative() || suspectAfter.isZero()) {
      throw new IllegalArgumentException("suspectAfter must be positive, got " + suspectAfter);
    }
    if (downAfter.compareTo(suspectAfter) <= 0) {
      throw new IllegalArgumentException("downAfter (" + downAfter.toMillis() + " ms) must exceed suspectAfter ("
          + suspectAfter.toMillis() + " ms)");
    }
    this.suspectAfterNanos = suspectAfter.toNanos();
    this.downAfterNanos = downAfter.toNanos();
  }

  /**
   * Records a heartbeat; a new member starts ALIVE. Returns the transition back to ALIVE when the
   * member was SUSPECT or DOWN, else null.
   */
  public synchronized MemberTransition heartbeat(String member) {
    final long now = clock.nanoTime();
    final Entry e = members.get(member);
    if (e == null) {
      members.put(member, new Entry(now));
      return new MemberTransition(member, null, MemberState.ALIVE, 0);
    }
    final long silence = now - e.lastHeartbeat;
    e.lastHeartbeat = now;
    if (e.state == MemberState.ALIVE) {
      return null;
    }
    final MemberState from = e.state;
    e.state = MemberState.ALIVE;
    return new MemberTransition(member, from, MemberState.ALIVE, silence / 1_000_000);
  }

  /** Forgets a member (it deregistered). */
  public synchronized void remove(String member) {
    members.remove(member);
  }

  /**
   * Moves silent members to SUSPECT or DOWN and returns what changed, in registration order. A
   * member silent past {@code downAfter} at once goes straight to DOWN.
   */
  public synchronized List<MemberTransition> evaluate() {
    final long now = clock.nanoTime();
    final List<MemberTransition> changes = new ArrayList<>();
    members.forEach((member, e) -> {
      final long silence = now - e.lastHeartbeat;
      final MemberState next = silence >= downAfterNanos ? MemberState.DOWN
          : silence >= suspectAfterNanos ? MemberState.SUSPECT : MemberState.ALIVE;
      if (next.ordinal() > e.state.ordinal()) {
        changes.add(new MemberTransition(member, e.state, next, silence / 1_000_000));
        e.state = next;
      }
    });
    return changes;
  }

  public synchronized MemberState state(String member) {
    final Entry e = members.get(member);
    return e == null ? null : e.state;
  }

  /** Every known member and its state, in registration order. */
  public synchronized Map<String, MemberState> states() {
    final Map<String, MemberState> out = new LinkedHashMap<>();
    members.forEach((m, e) -> out.put(m, e.state));
    return out;
  }
}
