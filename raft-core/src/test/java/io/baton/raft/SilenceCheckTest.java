package io.baton.raft;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.ArrayDeque;
import java.util.Deque;
import java.util.List;
import org.junit.jupiter.api.Test;

/** The follower's silence rule on a scripted clock and scripted random draws. */
class SilenceCheckTest {
  private static final long MS = 1_000_000L;
  private static final long MIN = 1000 * MS;
  private static final long MAX = 2000 * MS;

  /** Draws the given offsets into [min, max], in order, and records the bounds it was asked for. */
  private final Deque<Long> draws = new ArrayDeque<>();
  private long askedBound;

  private SilenceCheck check(Long... offsets) {
    draws.addAll(List.of(offsets));
    return new SilenceCheck(MIN, MAX, n -> {
      askedBound = n;
      return draws.removeFirst();
    });
  }

  @Test
  void neverBeforeTheLowerBoundEvenWithTheShortestDraw() {
    final SilenceCheck c = check(0L);
    final long heard = 5_000 * MS;
    assertThat(c.overdue(heard, heard + MIN - 1)).isFalse();
    assertThat(c.overdue(heard, heard + MIN)).isTrue();
    assertThat(askedBound).as("draws over the whole span, max included").isEqualTo(MAX - MIN + 1);
  }

  @Test
  void overdueAtThisSilencesDrawnTimeoutAndNotAtTheEndOfSomeSleep() {
    final SilenceCheck c = check(300 * MS);
    final long heard = 0;
    assertThat(c.overdue(heard, 1299 * MS)).isFalse();
    assertThat(c.overdue(heard, 1300 * MS)).isTrue();
    assertThat(c.timeoutNanos()).isEqualTo(1300 * MS);
  }

  @Test
  void aHeartbeatStartsANewSilenceWithANewDraw() {
    final SilenceCheck c = check(0L, 900 * MS);
    assertThat(c.overdue(0, 900 * MS)).isFalse();
    // a heartbeat at 950 ms: the silence starts again, its timeout now 1900 ms
    assertThat(c.overdue(950 * MS, 1950 * MS)).isFalse();
    assertThat(c.overdue(950 * MS, 2849 * MS)).isFalse();
    assertThat(c.overdue(950 * MS, 2850 * MS)).isTrue();
    assertThat(draws).isEmpty();
  }

  @Test
  void theSameHeartbeatKeepsItsSilenceAndAnyLaterRpcStartsANewOne() {
    final SilenceCheck c = check(500 * MS, 0L);
    assertThat(c.overdue(10 * MS, 100 * MS)).isFalse();
    assertThat(c.overdue(10 * MS, 1510 * MS)).as("the same heartbeat, read again").isTrue();
    assertThat(c.overdue(10 * MS + 1, 1010 * MS)).as("an RPC a nanosecond later is a new one").isFalse();
    assertThat(c.overdue(10 * MS + 1, 1010 * MS + 1)).isTrue();
  }

  @Test
  void aLastRpcTimeMovedBackIsIgnored() {
    // the crash path moves Ratis' last RPC time back by the election timeout; its own staggered elections
    // start the followers one after the other, and this check must not start them all at once
    final SilenceCheck c = check(0L);
    assertThat(c.overdue(3000 * MS, 3100 * MS)).isFalse();
    assertThat(c.overdue(1100 * MS, 3110 * MS)).isFalse();
    assertThat(c.overdue(1100 * MS, 4000 * MS)).as("counted from the real heartbeat").isTrue();
  }

  @Test
  void aRestartCountsTheSilenceAgainFromThenWithANewDraw() {
    final SilenceCheck c = check(0L, 500 * MS, 0L);
    assertThat(c.overdue(0, 1000 * MS)).isTrue();
    c.restart(1000 * MS); // the election could not start
    assertThat(c.overdue(0, 1020 * MS)).as("not at the next check").isFalse();
    assertThat(c.overdue(0, 2499 * MS)).isFalse();
    assertThat(c.overdue(0, 2500 * MS)).as("one new timeout (1500 ms) after the restart").isTrue();
    assertThat(c.overdue(2600 * MS, 2700 * MS)).as("a heartbeat after it starts a silence of its own").isFalse();
  }

  @Test
  void refusesBoundsThatAreNotARange() {
    assertThatThrownBy(() -> new SilenceCheck(0, MAX, n -> 0)).isInstanceOf(IllegalArgumentException.class);
    assertThatThrownBy(() -> new SilenceCheck(MIN, MIN, n -> 0)).isInstanceOf(IllegalArgumentException.class);
  }
}
