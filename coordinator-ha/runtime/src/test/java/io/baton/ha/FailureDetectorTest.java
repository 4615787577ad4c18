package io.baton.ha;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.time.Duration;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/** Silence turns into SUSPECT then DOWN, on a scripted clock: no sleeping. */
class FailureDetectorTest {
  private long now = 5_000_000_000L;
  private final FailureDetector detector = new FailureDetector(() -> now, Duration.ofSeconds(3), Duration.ofSeconds(6));

  private void advance(long ms) {
    now += TimeUnit.MILLISECONDS.toNanos(ms);
  }

  @Test
  void silenceBecomesSuspectThenDownAndAHeartbeatRevives() {
    assertThat(detector.heartbeat("querynode-1").to()).isEqualTo(MemberState.ALIVE);
    detector.heartbeat("datanode-1");
    advance(2_999);
    detector.heartbeat("datanode-1");
    assertThat(detector.evaluate()).isEmpty();
    advance(1);
    assertThat(detector.evaluate()).containsExactly(
        new MemberTransition("querynode-1", MemberState.ALIVE, MemberState.SUSPECT, 3_000));
    assertThat(detector.evaluate()).as("reported once").isEmpty();
    advance(3_000);
    assertThat(detector.evaluate()).containsExactly(
        new MemberTransition("querynode-1", MemberState.SUSPECT, MemberState.DOWN, 6_000),
        new MemberTransition("datanode-1", MemberState.ALIVE, MemberState.SUSPECT, 3_001));
    assertThat(detector.heartbeat("querynode-1"))
        .isEqualTo(new MemberTransition("querynode-1", MemberState.DOWN, MemberState.ALIVE, 6_000));
    assertThat(detector.states()).containsEntry("querynode-1", MemberState.ALIVE)
        .containsEntry("datanode-1", MemberState.SUSPECT);
  }

  @Test
  void aLongSilenceGoesStraightToDownAndRemovedMembersAreForgotten() {
    detector.heartbeat("m");
    advance(10_000);
    assertThat(detector.evaluate()).containsExactly(new MemberTransition("m", MemberState.ALIVE, MemberState.DOWN, 10_000));
    detector.remove("m");
    assertThat(detector.state("m")).isNull();
    assertThat(detector.heartbeat("m").from()).as("a removed member registers anew").isNull();
  }

  @Test
  void thresholdsAreValidated() {
    assertThatThrownBy(() -> new FailureDetector(() -> 0, Duration.ofSeconds(3), Duration.ofSeconds(3)))
        .hasMessageContaining("downAfter (3000 ms) must exceed suspectAfter (3000 ms)");
    assertThatThrownBy(() -> new FailureDetector(() -> 0, Duration.ZERO, Duration.ofSeconds(3)))
        .hasMessageContaining("suspectAfter must be positive");
  }
}
