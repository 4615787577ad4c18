package io.baton.ha;

import static org.assertj.core.api.Assertions.assertThat;

import io.baton.raft.RaftNode;
import io.baton.store.MetadataStore;
import io.baton.store.MonotonicClock;
import io.baton.testkit.TestCluster;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.Executor;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * The watchdog's decisions, driven by a scripted elector and explicit checks (its own timer is
 * set to an hour, so nothing here depends on timing): a lapsed epoch is given up within the very
 * check that sees it, an epoch is never activated twice, and every new epoch activates.
 */
@Timeout(value = 60, unit = TimeUnit.SECONDS)
class RoleManagerWatchdogTest {
  private static TestCluster cluster;
  private static RaftNode node;

  @BeforeAll
  static void startNode() {
    cluster = new TestCluster(1).start();
    node = cluster.awaitStable();
  }

  @AfterAll
  static void stopNode() {
    cluster.close();
  }

  /** Confirms whatever epoch the test sets. */
  private static final class ScriptedElector implements Elector {
    volatile long epoch;
    final List<Long> released = new CopyOnWriteArrayList<>();

    @Override
    public void start(Executor loop, Runnable wake) {
    }

    @Override
    public void tick() {
    }

    @Override
    public long confirmedEpoch(String role) {
      return epoch;
    }

    @Override
    public boolean beginActivation(String role, long e) {
      return epoch == e;
    }

    @Override
    public long activationRevision(String role, long e) {
      return 0;
    }

    @Override
    public MetadataStore fence(MetadataStore store, String role, long e) {
      return store.fencedBy(Keys.holder(role), e);
    }

    @Override
    public String activeNode(String role) {
      return null;
    }

    @Override
    public void released(String role, long e) {
      released.add(e);
    }

    @Override
    public CompletableFuture<Void> transfer(String role, String target) {
      return CompletableFuture.completedFuture(null);
    }

    @Override
    public CompletableFuture<Void> handOver() {
      return CompletableFuture.completedFuture(null);
    }

    @Override
    public void close() {
    }
  }

  private static RoleManager manager(RecordingHandler handler, Elector elector, Executor executor,
      MonotonicClock clock) {
    return new RoleManager(node.nodeId(), node.metadata(), () -> true, List.of(new RoleManager.RoleSpec("rootcoord",
        handler, StandbyMode.WARM)), executor, Duration.ofHours(1), Placement.leader(), elector, clock);
  }

  @Test
  void anOnActiveThatThrowsGivesTheEpochUpAndTheNextActivationWaitsForTheBackOff() {
    final ScriptedElector elector = new ScriptedElector();
    final RecordingHandler handler = new RecordingHandler(node.nodeId());
    final long[] now = {1_000_000_000L};
    handler.failNextActivations(new java.util.concurrent.atomic.AtomicInteger(), 2);
    try (RoleManager roles = manager(handler, elector, Runnable::run, () -> now[0])) {
      roles.start();
      elector.epoch = 5;
      roles.check();
      assertThat(handler.calls).containsExactly("standby", "failed", "standby");
      assertThat(elector.released).as("the failed epoch is given up for good").containsExactly(5L);
      assertThat(roles.statuses().get(0).state()).isEqualTo(RoleState.STANDBY);

      elector.epoch = 6; // the elector issued a newer epoch at once
      roles.check();
      now[0] += 999_000_000L;
      roles.check();
      assertThat(handler.calls).as("no activation within the 1 s back-off").hasSize(3);
      now[0] += 1_000_000L;
      roles.check();
      assertThat(handler.calls).containsExactly("standby", "failed", "standby", "failed", "standby");

      elector.epoch = 7; // the second failure doubles the back-off to 2 s
      now[0] += 1_999_000_000L;
      roles.check();
      assertThat(handler.calls).hasSize(5);
      now[0] += 1_000_000L;
      roles.check();
      assertThat(handler.current().epoch()).isEqualTo(7);
      assertThat(roles.statuses().get(0).state()).isEqualTo(RoleState.ACTIVE);
      assertThat(handler.failedEpochs).containsExactly(5L, 6L);
    }
  }

  @Test
  void aLapsedEpochIsGivenUpWithinTheCheckThatSeesItAndEpochsOnlyGrow() {
    final ScriptedElector elector = new ScriptedElector();
    final RecordingHandler handler = new RecordingHandler(node.nodeId());
    final Executor direct = Runnable::run; // handler calls run inside check(): deterministic
    try (RoleManager roles = manager(handler, elector, direct, MonotonicClock.SYSTEM)) {
      final List<ActivationTiming> timings = new CopyOnWriteArrayList<>();
      roles.addActivationListener(timings::add);
      roles.start();
      assertThat(handler.calls).containsExactly("standby");
      roles.check(); // no active node seen: the takeover clock starts here

      elector.epoch = 5;
      roles.check();
      final RoleContext first = handler.current();
      assertThat(first.epoch()).isEqualTo(5);
      assertThat(first.isActive()).isTrue();
      assertThat(timings).hasSize(1);
      assertThat(timings.get(0).epoch()).isEqualTo(5);
      assertThat(timings.get(0).takeover()).isGreaterThanOrEqualTo(timings.get(0).activation());

      elector.epoch = 0; // the lease lapsed
      roles.check();
      assertThat(first.lost().toCompletableFuture().isDone()).as("lost within the same check").isTrue();
      assertThat(first.isActive()).isFalse();
      assertThat(handler.calls).containsExactly("standby", "active:5", "standby");
      assertThat(elector.released).containsExactly(5L);

      elector.epoch = 5; // the same epoch confirmed again: never reused
      roles.check();
      roles.check();
      assertThat(handler.activations).hasSize(1);

      elector.epoch = 7;
      roles.check();
      assertThat(handler.current().epoch()).isEqualTo(7);
      assertThat(roles.statuses().get(0).state()).isEqualTo(RoleState.ACTIVE);

      elector.epoch = 8; // a newer epoch replaces the activation: lost, then activated again
      roles.check();
      roles.check();
      assertThat(handler.calls).containsExactly("standby", "active:5", "standby", "active:7", "standby", "active:8");
      assertThat(timings).extracting(ActivationTiming::epoch).containsExactly(5L, 7L, 8L);
    }
    assertThat(handler.current().lost().toCompletableFuture().isDone()).as("closing gives the role up").isTrue();
  }
}
