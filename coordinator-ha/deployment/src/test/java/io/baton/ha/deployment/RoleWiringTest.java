package io.baton.ha.deployment;

import static org.assertj.core.api.Assertions.assertThat;

import io.baton.ha.Baton;
import io.baton.ha.BatonRole;
import io.baton.ha.RoleChanged;
import io.baton.ha.RoleState;
import io.baton.ha.RoleStatus;
import io.baton.ha.StandbyMode;
import io.quarkus.test.QuarkusUnitTest;
import jakarta.inject.Inject;
import java.time.Duration;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.RegisterExtension;

/** A single-node cluster: handler beans become active, CDI events fire, the store is reachable. */
@Timeout(value = 60, unit = TimeUnit.SECONDS)
class RoleWiringTest {
  private static final String DATA = Ports.tempDir();

  @RegisterExtension
  static final QuarkusUnitTest APP = new QuarkusUnitTest()
      .withApplicationRoot(jar -> jar.addClasses(TestRoles.class, TestRoles.RootCoord.class,
          TestRoles.QueryCoord.class, TestRoles.Events.class, Ports.class))
      .overrideConfigKey("baton.node-id", "n1")
      .overrideConfigKey("baton.peers", Ports.singleNodePeers())
      .overrideConfigKey("baton.data-dir", DATA)
      .overrideConfigKey("baton.roles.querycoord.standby-mode", "warm");

  @Inject
  Baton baton;

  @Inject
  @BatonRole("rootcoord")
  TestRoles.RootCoord rootCoord;

  @Inject
  @BatonRole("querycoord")
  TestRoles.QueryCoord queryCoord;

  @Inject
  TestRoles.Events events;

  @AfterAll
  static void cleanUp() {
    Ports.deleteQuietly(DATA);
  }

  private static void waitUntil(String what, java.util.function.BooleanSupplier condition) throws InterruptedException {
    final long deadline = System.nanoTime() + Duration.ofSeconds(20).toNanos();
    while (!condition.getAsBoolean()) {
      if (System.nanoTime() > deadline) {
        throw new AssertionError("timed out waiting for " + what);
      }
      Thread.sleep(10);
    }
  }

  @Test
  void handlerBeansBecomeActiveOffRaftThreadsWithFencedStoresAndEvents() throws Exception {
    waitUntil("rootcoord active", () -> !rootCoord.activations.isEmpty());
    waitUntil("querycoord active", () -> !queryCoord.activations.isEmpty());
    final long epoch = rootCoord.activations.get(0).epoch();
    assertThat(epoch).isPositive().isEqualTo(baton.node().leadership().epoch());
    assertThat(rootCoord.threads).allMatch(t -> t.startsWith("baton-role-callback"));
    waitUntil("CDI events", () -> events.seen.stream().filter(e -> e.state() == RoleState.ACTIVE).count() == 2);
    assertThat(events.seen).contains(new RoleChanged("rootcoord", RoleState.ACTIVE, epoch, "n1"));
    assertThat(baton.roles()).extracting(RoleStatus::role, RoleStatus::state, RoleStatus::standbyMode)
        .containsExactlyInAnyOrder(
            org.assertj.core.groups.Tuple.tuple("rootcoord", RoleState.ACTIVE, StandbyMode.HOT),
            org.assertj.core.groups.Tuple.tuple("querycoord", RoleState.ACTIVE, StandbyMode.WARM));
    final var context = rootCoord.activations.get(0);
    assertThat(context.store().put(context.statePrefix() + "k", "v").get(5, TimeUnit.SECONDS)).isPositive();
    assertThat(baton.metadata().get(context.statePrefix() + "k").get(5, TimeUnit.SECONDS).first())
        .hasValueSatisfying(kv -> assertThat(kv.valueAsString()).isEqualTo("v"));
  }
}
