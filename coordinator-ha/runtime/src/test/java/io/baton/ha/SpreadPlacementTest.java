package io.baton.ha;

import static io.baton.testkit.Timing.await;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.baton.raft.RaftNode;
import io.baton.store.StaleEpochException;
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

/** Spread placement: roles over the live nodes through role leases; moves, transfers and fencing. */
@Timeout(value = 120, unit = TimeUnit.SECONDS)
class SpreadPlacementTest {
  private static final List<String> ROLES = List.of("datacoord", "querycoord", "rootcoord");
  private static final Placement SPREAD = Placement.spread(Duration.ofSeconds(2), Duration.ofMillis(500));
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

  private void startRoles(RaftNode node) {
    final Map<String, RecordingHandler> byRole = new HashMap<>();
    final List<RoleManager.RoleSpec> specs = ROLES.stream().map(role -> {
      final RecordingHandler h = new RecordingHandler(node.nodeId());
      byRole.put(role, h);
      return new RoleManager.RoleSpec(role, h, StandbyMode.HOT);
    }).toList();
    final RoleManager m = new RoleManager(new RatisBackend(node), specs, executor, SPREAD);
    managers.put(node.nodeId(), m);
    handlers.put(node.nodeId(), byRole);
    m.start();
  }

  private RecordingHandler handler(String node, String role) {
    return handlers.get(node).get(role);
  }

  /** Node id → the roles active there; fails if a role is active on two nodes. */
  private Map<String, String> activeByRole() {
    final Map<String, String> out = new HashMap<>();
    for (RaftNode n : cluster.running()) {
      if (!managers.containsKey(n.nodeId())) {
        continue;
      }
      for (String role : ROLES) {
        if (handler(n.nodeId(), role).isActive()) {
          final String other = out.put(role, n.nodeId());
          assertThat(other).as("role %s active on two nodes", role).isNull();
        }
      }
    }
    return out;
  }

  private Map<String, String> awaitOneRolePerNode() {
    return Timing.waitFor("one role active on each node", Duration.ofSeconds(30), () -> {
      final Map<String, String> active = activeByRole();
      return active.size() == ROLES.size() && new java.util.HashSet<>(active.values()).size() == 3 ? active : null;
    });
  }

  private long epochOf(String node, String role) {
    return handler(node, role).current().epoch();
  }

  @Test
  void rolesSpreadOverTheNodesAndADeadNodesRoleMovesWithItsStateAndAHigherEpoch() {
    cluster = new TestCluster(3).start();
    cluster.running().forEach(this::startRoles);
    final Map<String, String> placed = awaitOneRolePerNode();

    // the victim: a node that is not the Raft leader, so only its role lease decides
    final String leader = cluster.awaitStable().nodeId();
    final String victimRole = ROLES.stream().filter(r -> !placed.get(r).equals(leader)).findFirst().orElseThrow();
    final String victim = placed.get(victimRole);
    final RoleContext old = handler(victim, victimRole).current();
    final Map<String, String> state = new HashMap<>();
    for (int i = 0; i < 50; i++) {
      await(old.store().put(old.statePrefix() + "k" + i, "v" + i));
      state.put(old.statePrefix() + "k" + i, "v" + i);
    }
    final Map<String, Long> untouched = new HashMap<>();
    placed.forEach((role, node) -> {
      if (!role.equals(victimRole)) {
        untouched.put(role, epochOf(node, role));
      }
    });

    cluster.crash(victim);
    managers.remove(victim).close();
    final String next = Timing.waitFor(victimRole + " taken over", Duration.ofSeconds(15),
        () -> activeByRole().get(victimRole));
    assertThat(next).isNotEqualTo(victim);
    final RoleContext now = handler(next, victimRole).current();
    assertThat(now.epoch()).isGreaterThan(old.epoch());
    assertThat(handler(next, victimRole).stateAtActivation).as("HOT: the state is there at onActive").isEqualTo(state);
    // the deposed epoch's writes are rejected, whoever sends them
    final RaftNode survivor = cluster.node(next);
    assertThatThrownBy(() -> await(survivor.metadata().fencedBy(Keys.holder(victimRole), old.epoch())
        .put(old.statePrefix() + "k0", "stale"))).isInstanceOf(StaleEpochException.class);
    await(now.store().put(now.statePrefix() + "k0", "new"));
    // the roles of live nodes did not move
    final Map<String, String> after = activeByRole();
    untouched.forEach((role, epoch) -> assertThat(epochOf(after.get(role), role)).as(role).isEqualTo(epoch));
    final RoleStatus status = managers.get(next).statuses().stream().filter(s -> s.role().equals(victimRole))
        .findFirst().orElseThrow();
    assertThat(status.state()).isEqualTo(RoleState.ACTIVE);
    assertThat(status.epoch()).isEqualTo(now.epoch());
  }

  @Test
  void aTransferRequestedOnAnyNodeMovesOneRoleAndFencesTheOldEpoch() {
    cluster = new TestCluster(3).start();
    cluster.running().forEach(this::startRoles);
    final Map<String, String> placed = awaitOneRolePerNode();
    final String role = ROLES.get(0);
    final String from = placed.get(role);
    final String to = placed.get(ROLES.get(1));
    final String asker = placed.get(ROLES.get(2)); // neither holder nor target
    final RoleContext old = handler(from, role).current();

    await(managers.get(asker).transfer(role, to)); // done when the target holds the role lease
    Timing.waitUntil("the target is active", Duration.ofSeconds(5), () -> handler(to, role).isActive());
    assertThat(old.lost().toCompletableFuture().isDone()).isTrue();
    assertThat(handler(from, role).calls).endsWith("standby");
    assertThat(epochOf(to, role)).isGreaterThan(old.epoch());
    assertThatThrownBy(() -> await(old.store().put(old.statePrefix() + "x", "stale")))
        .isInstanceOf(StaleEpochException.class);
    // rebalancing evens the load out again, but leaves the transferred role where it was sent
    final Map<String, String> balanced = awaitOneRolePerNode();
    assertThat(balanced.get(role)).isEqualTo(to);

    assertThatThrownBy(() -> await(managers.get(asker).transfer(role, "nobody")))
        .hasMessageContaining("'nobody' is not a live node");
    assertThatThrownBy(() -> await(managers.get(asker).transfer("nosuchrole", to)))
        .hasMessageContaining("unknown role 'nosuchrole'");
  }

  @Test
  void aHolderCutOffFromTheQuorumGivesItsRolesUpAndTheyComeBackWithHigherEpochs() {
    cluster = new TestCluster(3).start();
    cluster.running().forEach(this::startRoles);
    final Map<String, String> placed = awaitOneRolePerNode();
    final String keeper = placed.get(ROLES.get(0));
    final RoleContext context = handler(keeper, ROLES.get(0)).current();
    final List<String> down = cluster.running().stream().map(RaftNode::nodeId).filter(id -> !id.equals(keeper))
        .toList();
    for (String id : down) {
      cluster.crash(id);
      managers.remove(id).close();
    }
    // no keep-alive can commit: the holder gives up after 3/4 of the 1 s TTL on its own clock
    Timing.waitUntil("the cut-off holder gives up", Duration.ofSeconds(5),
        () -> context.lost().toCompletableFuture().isDone());
    assertThat(context.isActive()).isFalse();
    for (String id : down) {
      startRoles(cluster.start(id));
    }
    final Map<String, String> again = Timing.waitFor("every role active again", Duration.ofSeconds(30), () -> {
      final Map<String, String> active = activeByRole();
      return active.size() == ROLES.size() ? active : null;
    });
    assertThat(epochOf(again.get(ROLES.get(0)), ROLES.get(0))).isGreaterThan(context.epoch());
  }
}
