package io.baton.ha;

import static io.baton.testkit.Timing.await;
import static org.assertj.core.api.Assertions.assertThat;

import io.baton.raft.RaftNode;
import io.baton.testkit.TestCluster;
import io.baton.testkit.Timing;
import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * What only the leader placement does: every role on exactly the Raft leader with epoch = term, and
 * step-down on a lost lease. The backend-neutral role behaviour is in {@link RoleContract}.
 */
@Timeout(value = 90, unit = TimeUnit.SECONDS)
class RoleManagerTest {
  private final ExecutorService executor = Executors.newCachedThreadPool();
  private final Map<String, RoleManager> managers = new HashMap<>();
  private final Map<String, Map<String, RecordingHandler>> handlers = new HashMap<>();
  private TestCluster cluster;

  @AfterEach
  void tearDown() {
    managers.values().forEach(RoleManager::close);
    if (cluster != null) {
      cluster.close();
    }
    executor.shutdownNow();
  }

  private void startRoles(RaftNode node, StandbyMode mode) {
    final Map<String, RecordingHandler> byRole = new HashMap<>();
    final List<RoleManager.RoleSpec> specs = List.of("rootcoord", "querycoord").stream().map(role -> {
      final RecordingHandler h = new RecordingHandler(node.nodeId());
      byRole.put(role, h);
      return new RoleManager.RoleSpec(role, h, mode);
    }).toList();
    final RoleManager m = new RoleManager(new RatisBackend(node), specs, executor, Placement.leader());
    managers.put(node.nodeId(), m);
    handlers.put(node.nodeId(), byRole);
    m.start();
  }

  private RecordingHandler handler(RaftNode node, String role) {
    return handlers.get(node.nodeId()).get(role);
  }

  private RaftNode awaitActive(String role) {
    return Timing.waitFor(role + " active somewhere", Duration.ofSeconds(15), () -> cluster.running().stream()
        .filter(n -> handler(n, role).isActive()).findFirst().orElse(null));
  }

  private void startCluster(StandbyMode mode) {
    cluster = new TestCluster(3).start();
    cluster.running().forEach(n -> startRoles(n, mode));
  }

  @Test
  void everyRoleIsActiveOnExactlyTheLeaderAndTakenOverWithAHigherEpochWhenItDies() {
    startCluster(StandbyMode.WARM);
    final RaftNode active = awaitActive("rootcoord");
    assertThat(awaitActive("querycoord")).isSameAs(active);
    final long epoch = handler(active, "rootcoord").current().epoch();
    assertThat(epoch).isEqualTo(active.leadership().epoch());
    for (RaftNode n : cluster.running()) {
      final RoleStatus s = managers.get(n.nodeId()).statuses().get(0);
      assertThat(s.state()).isEqualTo(n == active ? RoleState.ACTIVE : RoleState.STANDBY);
      if (n != active) {
        assertThat(handler(n, "rootcoord").calls).containsExactly("standby");
      }
    }
    managers.remove(active.nodeId()).close();
    cluster.crash(active.nodeId());
    final RaftNode next = awaitActive("rootcoord");
    assertThat(next).isNotSameAs(active);
    assertThat(handler(next, "rootcoord").current().epoch()).isGreaterThan(epoch);
    assertThat(awaitActive("querycoord")).isSameAs(next);
  }

  @Test
  void anActiveThatLosesItsQuorumGivesItsRolesUpAndTheyComeBackWithAHigherEpoch() {
    startCluster(StandbyMode.WARM);
    final RaftNode active = awaitActive("rootcoord");
    final RoleContext context = handler(active, "rootcoord").current();
    final java.util.List<String> down = new java.util.ArrayList<>();
    for (RaftNode n : cluster.running()) {
      if (n != active) {
        managers.remove(n.nodeId()).close();
        cluster.crash(n.nodeId());
        down.add(n.nodeId());
      }
    }
    Timing.waitUntil("the isolated active gives up", Duration.ofSeconds(5),
        () -> context.lost().toCompletableFuture().isDone());
    Timing.waitUntil("standby again", Duration.ofSeconds(5),
        () -> managers.get(active.nodeId()).statuses().get(0).state() == RoleState.STANDBY);
    assertThat(context.isActive()).isFalse();

    for (String id : down) {
      startRoles(cluster.start(id), StandbyMode.WARM);
    }
    final RaftNode again = awaitActive("rootcoord");
    final long newEpoch = handler(again, "rootcoord").current().epoch();
    assertThat(newEpoch).as("an activation never reuses an epoch").isGreaterThan(context.epoch());
    assertThat(cluster.running().stream().filter(n -> handler(n, "rootcoord").isActive()).count())
        .as("exactly one active").isEqualTo(1);
  }

  @Test
  void aTransferAskedOnAStandbyMovesEveryRoleWithTheRaftLeadership() {
    startCluster(StandbyMode.WARM);
    final RaftNode old = awaitActive("rootcoord");
    final RoleContext oldContext = handler(old, "rootcoord").current();
    final RaftNode target = cluster.other(old);
    final RaftNode asker = cluster.running().stream().filter(n -> n != old && n != target).findFirst().orElseThrow();
    await(managers.get(asker.nodeId()).transfer("rootcoord", target.nodeId()));
    Timing.waitUntil("the old activation is lost", Duration.ofSeconds(10),
        () -> oldContext.lost().toCompletableFuture().isDone());
    assertThat(awaitActive("rootcoord")).isSameAs(target);
    assertThat(awaitActive("querycoord")).as("every role follows the leadership").isSameAs(target);
    assertThat(handler(target, "rootcoord").current().epoch()).isGreaterThan(oldContext.epoch());
  }
}
