package io.baton.milvus;

import static org.assertj.core.api.Assertions.assertThat;

import io.baton.milvus.MilvusEndpointMonitor.EndpointChange;
import io.baton.milvus.MilvusEndpointMonitor.EndpointState;
import io.baton.testkit.MilvusTestDouble;
import io.baton.testkit.Ports;
import io.baton.testkit.ScriptedClock;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * The endpoint failure detector against Milvus test doubles, on a scripted clock (the probes'
 * timeout is real time: 2 s, far above a healthy answer even on a loaded machine).
 */
@Timeout(value = 60, unit = TimeUnit.SECONDS)
class MilvusEndpointMonitorTest {
  private final ScriptedClock clock = new ScriptedClock();
  private final MilvusTestDouble m1 = MilvusTestDouble.start("m1");
  private final MilvusTestDouble m2 = MilvusTestDouble.start("m2");
  private final String dead = "http://127.0.0.1:" + Ports.free();
  private final MilvusEndpointMonitor monitor = new MilvusEndpointMonitor(List.of(m1.uri(), m2.uri(), dead),
      Duration.ofSeconds(2), Duration.ofSeconds(3), Duration.ofSeconds(10), clock, null);

  /** The first Milvus client of a JVM loads the SDK's classes: do that before anything is timed. */
  @BeforeAll
  static void warmUp() {
    try (MilvusTestDouble d = MilvusTestDouble.start("warm-up")) {
      final io.milvus.v2.client.MilvusClientV2 client = new io.milvus.v2.client.MilvusClientV2(
          io.milvus.v2.client.ConnectConfig.builder().uri(d.uri()).build());
      client.checkHealth();
      client.close();
    }
  }

  @AfterEach
  void close() {
    monitor.close();
    m1.close();
    m2.close();
  }

  private EndpointState state(MilvusTestDouble d) {
    return monitor.health().get(d.uri()).state();
  }

  @Test
  void aStoppedEndpointTurnsSuspectThenDownAndUpAgainWhenItAnswers() {
    assertThat(monitor.health().get(m1.uri()).detail()).isEqualTo("not probed yet");
    final List<EndpointChange> first = monitor.probeAll();
    assertThat(first).extracting(EndpointChange::to).containsExactly(EndpointState.UP, EndpointState.UP, EndpointState.DOWN);
    assertThat(monitor.health().get(dead).detail()).startsWith("no answer: ");

    m1.stop();
    clock.advance(Duration.ofSeconds(2));
    assertThat(monitor.probeAll()).isEmpty(); // silent for 2 s: not yet suspect
    clock.advance(Duration.ofSeconds(1));
    assertThat(monitor.probeAll()).containsExactly(new EndpointChange(m1.uri(), EndpointState.UP, EndpointState.SUSPECT,
        monitor.health().get(m1.uri()).detail()));
    assertThat(state(m2)).isEqualTo(EndpointState.UP);
    clock.advance(Duration.ofSeconds(7));
    assertThat(monitor.probeAll()).extracting(EndpointChange::to).containsExactly(EndpointState.DOWN);

    m1.restart();
    assertThat(monitor.probeAll()).extracting(EndpointChange::endpoint, EndpointChange::to)
        .containsExactly(org.assertj.core.groups.Tuple.tuple(m1.uri(), EndpointState.UP));
  }

  @Test
  void anUnhealthyAnswerIsNoHeartbeat() {
    monitor.probeAll();
    m2.unhealthy("querynode 3 is down");
    clock.advance(Duration.ofSeconds(3));
    monitor.probeAll();
    assertThat(state(m2)).isEqualTo(EndpointState.SUSPECT);
    assertThat(monitor.health().get(m2.uri()).detail()).isEqualTo("unhealthy: [querynode 3 is down]");
    m2.heal();
    monitor.probeAll();
    assertThat(state(m2)).isEqualTo(EndpointState.UP);
  }
}
