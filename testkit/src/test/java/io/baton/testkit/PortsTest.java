package io.baton.testkit;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.HashSet;
import java.util.Set;
import org.junit.jupiter.api.Test;

class PortsTest {
  @Test
  void neverHandsOutTheSamePortTwice() {
    // 2 000 draws from ~22 000 ports: without the bookkeeping a repeat is all but certain
    final Set<Integer> seen = new HashSet<>();
    for (int i = 0; i < 2_000; i++) {
      assertThat(seen.add(Ports.free())).as("port handed out twice after %d ports", i).isTrue();
    }
  }

  @Test
  void portsComeFromBelowTheEphemeralRange() {
    final int start = Ports.ephemeralStart();
    for (int i = 0; i < 200; i++) {
      assertThat(Ports.free()).isBetween(Ports.LOWEST, start - 1);
    }
  }
}
