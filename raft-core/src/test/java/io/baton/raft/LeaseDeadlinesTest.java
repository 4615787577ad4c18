package io.baton.raft;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/** The leader's lease clock, driven by a scripted clock: no sleeping. */
class LeaseDeadlinesTest {
  private long now = 1_000_000_000L;
  private final LeaseDeadlines deadlines = new LeaseDeadlines(() -> now);

  private void advanceMillis(long ms) {
    now += TimeUnit.MILLISECONDS.toNanos(ms);
  }

  @Test
  void expiresAfterTtlSinceLastRefreshAndIsProposedOnce() {
    deadlines.refresh(1, 1000);
    deadlines.refresh(2, 3000);
    advanceMillis(999);
    assertThat(deadlines.takeExpired()).isEmpty();
    advanceMillis(1);
    assertThat(deadlines.takeExpired()).containsExactly(1L);
    assertThat(deadlines.takeExpired()).as("not proposed twice while in flight").isEmpty();
    deadlines.proposalFailed(1);
    assertThat(deadlines.takeExpired()).as("offered again after a failed proposal").containsExactly(1L);
    deadlines.remove(1);
    advanceMillis(1500);
    assertThat(deadlines.takeExpired()).isEmpty();
    deadlines.refresh(2, 3000); // keep-alive at t=2500 ms
    advanceMillis(2999);
    assertThat(deadlines.takeExpired()).isEmpty();
    advanceMillis(1);
    assertThat(deadlines.takeExpired()).containsExactly(2L);
  }

  @Test
  void newLeaderRestartsEveryTtl() {
    deadlines.refresh(1, 1000);
    advanceMillis(900);
    deadlines.resetAll(Map.of(1L, 1000L, 7L, 2000L));
    advanceMillis(999);
    assertThat(deadlines.takeExpired()).isEmpty();
    advanceMillis(1);
    assertThat(deadlines.takeExpired()).containsExactly(1L);
    advanceMillis(1000);
    assertThat(deadlines.takeExpired()).containsExactly(7L);
    assertThat(deadlines.size()).isEqualTo(2);
  }
}
