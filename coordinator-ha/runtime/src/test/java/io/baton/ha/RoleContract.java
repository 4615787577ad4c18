package io.baton.ha;

import static io.baton.testkit.Timing.await;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.baton.store.KeyValue;
import io.baton.store.NotLeaderException;
import io.baton.store.StaleEpochException;
import io.baton.testkit.Timing;
import java.time.Duration;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * What roles and members guarantee on every backend and placement, written once and run against
 * each: Ratis and etcd, leader and spread placement ({@code *RoleContractTest}). Three nodes, role
 * {@code rootcoord} with HOT standbys and {@code querycoord} with WARM ones; members belong to
 * {@code querycoord}, and their failure detectors run on a scripted clock.
 */
public abstract class RoleContract {
  protected static final Map<String, StandbyMode> ROLES = Map.of("rootcoord", StandbyMode.HOT,
      "querycoord", StandbyMode.WARM);
  private static final String MEMBERS_ROLE = "querycoord";
  protected final ExecutorService executor = Executors.newCachedThreadPool();
  private final Map<String, RoleManager> managers = new LinkedHashMap<>();
  private final Map<String, MemberMonitor> monitors = new HashMap<>();
  private final Map<String, Map<String, RecordingHandler>> handlers = new HashMap<>();
  private BackendFixture backend;
  private volatile long now = 1_000_000_000_000L;

  /** The backend of one test. */
  protected abstract BackendFixture fixture();

  /** The placement under test. */
  protected abstract Placement placement();

  @BeforeEach
  void startNodes() throws Exception {
    backend = fixture();
    for (String id : backend.start()) {
      final Map<String, RecordingHandler> byRole = new HashMap<>();
      final List<RoleManager.RoleSpec> specs = ROLES.entrySet().stream().sorted(Map.Entry.comparingByKey()).map(e -> {
        final RecordingHandler h = new RecordingHandler(id);
        byRole.put(e.getKey(), h);
        return new RoleManager.RoleSpec(e.getKey(), h, e.getValue());
      }).toList();
      final Backend b = backend.backend(id);
      final RoleManager m = new RoleManager(b, specs, executor, placement());
      managers.put(id, m);
      handlers.put(id, byRole);
      final MemberMonitor monitor = new MemberMonitor(id, b.store(), MemberMonitor.Authority.of(m, MEMBERS_ROLE),
          () -> now, Duration.ofSeconds(3), Duration.ofSeconds(6), m::memberChanged);
      monitors.put(id, monitor);
      m.start();
      await(monitor.start());
    }
    awaitFormed();
  }

  /**
   * Every role active on one node, every node agreeing which, and every node a candidate for every
   * role: the cluster a test starts from.
   */
  private void awaitFormed() {
    for (String role : ROLES.keySet()) {
      final String active = awaitActive(role, Duration.ofSeconds(30));
      Timing.waitUntil("every node sees " + role + " active on " + active, Duration.ofSeconds(10),
          () -> managers.values().stream().allMatch(m -> active.equals(m.activeNode(role))));
    }
    // a node sees who is active before its own campaign (etcd) or session (spread) is confirmed, and
    // cannot take a role over until it is
    Timing.waitUntil("every node a candidate for every role", Duration.ofSeconds(10),
        () -> managers.values().stream().allMatch(m -> m.statuses().stream().allMatch(RoleStatus::candidate)));
  }

  @AfterEach
  void stopNodes() {
    monitors.values().forEach(MemberMonitor::close);
    managers.values().forEach(RoleManager::close);
    if (backend != null) {
      backend.close();
    }
    executor.shutdownNow();
  }

  private RecordingHandler handler(String node, String role) {
    return handlers.get(node).get(role);
  }

  private void crash(String id) throws Exception {
    backend.crash(id);
    managers.remove(id).close();
    monitors.remove(id).close();
  }

  /** The node where {@code role} is active, once exactly one is; fails on two at once. */
  private String awaitActive(String role, Duration timeout) {
    return Timing.waitFor(role + " active on one node", timeout, () -> {
      String active = null;
      for (String id : managers.keySet()) {
        if (handler(id, role).isActive()) {
          assertThat(active).as(role + " active on two nodes").isNull();
          active = id;
        }
      }
      return active;
    });
  }

  private void advance(long ms) {
    now += TimeUnit.MILLISECONDS.toNanos(ms);
  }

  // ---- roles -------------------------------------------------------------------------------

  @Test
  void everyRoleHasOneActiveAndACrashedActiveIsReplacedWithAHigherEpoch() throws Exception {
    final String active = awaitActive("rootcoord", Duration.ofSeconds(30));
    final long epoch = handler(active, "rootcoord").current().epoch();
    awaitActive("querycoord", Duration.ofSeconds(30));
    Timing.waitUntil("every node reports the same active", Duration.ofSeconds(10), () -> managers.values().stream()
        .allMatch(m -> active.equals(m.activeNode("rootcoord"))));
    for (String id : managers.keySet()) {
      final RoleStatus s = managers.get(id).statuses().stream().filter(r -> r.role().equals("rootcoord")).findFirst()
          .orElseThrow();
      assertThat(s.state()).isEqualTo(id.equals(active) ? RoleState.ACTIVE : RoleState.STANDBY);
    }
    crash(active);
    final String next = awaitActive("rootcoord", backend.takeoverWithin());
    assertThat(next).isNotEqualTo(active);
    assertThat(handler(next, "rootcoord").current().epoch()).isGreaterThan(epoch);
  }

  @Test
  void aPlannedHandoverDeposesTheOldEpochWhoseFencedWritesAreRejected() {
    final String old = awaitActive("rootcoord", Duration.ofSeconds(30));
    awaitActive("querycoord", Duration.ofSeconds(30));
    final RoleContext oldContext = handler(old, "rootcoord").current();
    await(oldContext.store().put(oldContext.statePrefix() + "owner", old));
    await(managers.get(old).handOver()); // completes once every role it held is held elsewhere
    Timing.waitUntil("the old activation is lost", Duration.ofSeconds(10),
        () -> oldContext.lost().toCompletableFuture().isDone());
    assertThat(oldContext.isActive()).isFalse();
    final String next = awaitActive("rootcoord", Duration.ofSeconds(10));
    assertThat(next).as("a planned handover goes to another node").isNotEqualTo(old);
    assertThatThrownBy(() -> await(oldContext.store().put(oldContext.statePrefix() + "owner", "stale")))
        .isInstanceOf(StaleEpochException.class);
    final RoleContext now = handler(next, "rootcoord").current();
    assertThat(now.epoch()).isGreaterThan(oldContext.epoch());
    assertThat(await(now.loadState()).kvs()).extracting(KeyValue::valueAsString).containsExactly(old);
  }

  @Test
  void aTransferFromAThirdNodeReturnsOnceTheTargetsNewerEpochIsCommitted() {
    final String old = awaitActive("rootcoord", Duration.ofSeconds(30));
    awaitActive("querycoord", Duration.ofSeconds(30));
    final RoleContext oldContext = handler(old, "rootcoord").current();
    final List<String> others = managers.keySet().stream().filter(id -> !id.equals(old)).toList();
    final String target = others.get(0);
    final String asker = others.get(1);
    await(managers.get(asker).transfer("rootcoord", target));
    // what the returned future promises, at once: the target holds the role with a newer epoch
    assertThat(managers.get(asker).activeNode("rootcoord")).isEqualTo(target);
    assertThatThrownBy(() -> await(oldContext.store().put(oldContext.statePrefix() + "owner", "stale")))
        .isInstanceOf(StaleEpochException.class);
    // and then the old activation ends and the target's onActive runs
    Timing.waitUntil("the old activation is lost", Duration.ofSeconds(10),
        () -> oldContext.lost().toCompletableFuture().isDone());
    assertThat(awaitActive("rootcoord", Duration.ofSeconds(10))).isEqualTo(target);
    assertThat(handler(target, "rootcoord").current().epoch()).isGreaterThan(oldContext.epoch());
  }

  @Test
  void aTransferToANodeOutsideTheClusterOrOfAnUnknownRoleIsRefused() {
    awaitActive("rootcoord", Duration.ofSeconds(30));
    final RoleManager any = managers.values().iterator().next();
    assertThatThrownBy(() -> await(any.transfer("rootcoord", "n9")))
        .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("n9");
    assertThatThrownBy(() -> await(any.transfer("nosuchrole", managers.keySet().iterator().next())))
        .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("nosuchrole");
  }

  @Test
  void aHotStandbyHoldsTheStateWhenItBecomesActive() throws Exception {
    final String active = awaitActive("rootcoord", Duration.ofSeconds(30));
    final RoleContext context = handler(active, "rootcoord").current();
    final Map<String, String> expected = new HashMap<>();
    for (int i = 0; i < 100; i++) {
      final String key = context.statePrefix() + "collection/" + (i % 30);
      await(context.store().put(key, "replicas=" + i));
      expected.put(key, "replicas=" + i);
    }
    await(context.store().delete(context.statePrefix() + "collection/7"));
    expected.remove(context.statePrefix() + "collection/7");
    crash(active);
    final String next = awaitActive("rootcoord", backend.takeoverWithin());
    assertThat(handler(next, "rootcoord").stateAtActivation).as("HOT: the state is there at onActive, nothing loaded")
        .isEqualTo(expected);
  }

  @Test
  void anOnActiveThatThrowsGivesTheRoleUpAndItIsActivatedAgainWithANewerEpoch() {
    final String active = awaitActive("rootcoord", Duration.ofSeconds(30));
    final long epoch = handler(active, "rootcoord").current().epoch();
    final AtomicInteger failures = new AtomicInteger();
    for (String id : managers.keySet()) {
      handler(id, "rootcoord").failNextActivations(failures, 1); // the next onActive anywhere throws, once
    }
    await(managers.get(active).handOver());
    final String next = Timing.waitFor("rootcoord active after a failed activation", Duration.ofSeconds(30), () -> {
      for (String id : managers.keySet()) {
        final RecordingHandler h = handler(id, "rootcoord");
        if (h.isActive() && h.current().epoch() > epoch && failures.get() == 1) {
          return id;
        }
      }
      return null;
    });
    final List<String> calls = managers.keySet().stream().flatMap(id -> handler(id, "rootcoord").calls.stream()).toList();
    assertThat(calls).as("one activation failed").contains("failed");
    final long failedEpoch = managers.keySet().stream().flatMap(id -> handler(id, "rootcoord").failedEpochs.stream())
        .findFirst().orElseThrow();
    assertThat(handler(next, "rootcoord").current().epoch()).as("never the epoch of the failed activation")
        .isGreaterThan(failedEpoch);
    for (String id : managers.keySet()) {
      final RoleStatus s = managers.get(id).statuses().stream().filter(r -> r.role().equals("rootcoord")).findFirst()
          .orElseThrow();
      assertThat(s.state()).isEqualTo(id.equals(next) ? RoleState.ACTIVE : RoleState.STANDBY);
    }
  }

  // ---- members ------------------------------------------------------------------------------

  @Test
  void silenceOfARegisteredMemberReachesTheActiveHandlerAsSuspectThenDown() {
    final String active = awaitActive(MEMBERS_ROLE, Duration.ofSeconds(30));
    final String other = managers.keySet().stream().filter(id -> !id.equals(active)).findFirst().orElseThrow();
    await(monitors.get(other).register("querynode-1", "10.0.0.7:21123"));
    await(monitors.get(other).register("datanode-1", "10.0.0.8:21124"));
    final MemberMonitor leader = monitors.get(active);
    Timing.waitUntil("the active node's table has both members", Duration.ofSeconds(10),
        () -> leader.registered().size() == 2);
    leader.heartbeat("querynode-1"); // starts the detector from the table: both ALIVE as of now
    assertThat(leader.states()).containsEntry("querynode-1", MemberState.ALIVE)
        .containsEntry("datanode-1", MemberState.ALIVE);

    advance(2_000);
    leader.heartbeat("querynode-1");
    advance(1_000);
    leader.evaluate(); // datanode-1: 3 s of silence
    advance(3_000);
    leader.evaluate(); // datanode-1: 6 s, querynode-1: 4 s
    final RecordingHandler h = handler(active, MEMBERS_ROLE);
    Timing.waitUntil("transitions delivered", Duration.ofSeconds(5), () -> h.members.size() >= 3);
    assertThat(h.members).containsExactlyInAnyOrder(
        new MemberTransition("datanode-1", MemberState.ALIVE, MemberState.SUSPECT, 3_000),
        new MemberTransition("datanode-1", MemberState.SUSPECT, MemberState.DOWN, 6_000),
        new MemberTransition("querynode-1", MemberState.ALIVE, MemberState.SUSPECT, 4_000));
    leader.heartbeat("datanode-1");
    Timing.waitUntil("revival delivered", Duration.ofSeconds(5), () -> h.members.size() >= 4);
    assertThat(h.members.get(3)).isEqualTo(new MemberTransition("datanode-1", MemberState.DOWN, MemberState.ALIVE, 6_000));
    managers.keySet().stream().filter(id -> !id.equals(active)).forEach(id -> assertThat(handler(id, MEMBERS_ROLE).members)
        .as("standbys get no member events").isEmpty());
  }

  @Test
  void heartbeatsGoToTheActiveAndOnlyRegisteredMembersCount() {
    final String active = awaitActive(MEMBERS_ROLE, Duration.ofSeconds(30));
    final String other = managers.keySet().stream().filter(id -> !id.equals(active)).findFirst().orElseThrow();
    Timing.waitUntil(other + " knows the active node", Duration.ofSeconds(10),
        () -> active.equals(managers.get(other).activeNode(MEMBERS_ROLE)));
    await(monitors.get(other).register("querynode-1", "10.0.0.7:21123"));
    assertThatThrownBy(() -> monitors.get(other).heartbeat("querynode-1"))
        .isInstanceOfSatisfying(NotLeaderException.class, e -> {
          assertThat(e.knownLeader()).contains(active);
          assertThat(e.getMessage()).contains("send heartbeats to node " + active);
        });
    assertThatThrownBy(() -> monitors.get(active).heartbeat("stranger"))
        .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("'stranger' is not registered");
    assertThatThrownBy(() -> monitors.get(active).register("bad id", "x"))
        .hasMessageContaining("member id 'bad id' is invalid");
  }

  @Test
  void aNewActiveKnowsEveryMemberAtOnceAndGivesThemAGracePeriod() throws Exception {
    final String active = awaitActive(MEMBERS_ROLE, Duration.ofSeconds(30));
    final MemberMonitor first = monitors.get(active);
    await(first.register("querynode-1", "a"));
    await(first.register("querynode-2", "b"));
    Timing.waitUntil("every node's table has both members", Duration.ofSeconds(10),
        () -> monitors.values().stream().allMatch(m -> m.registered().size() == 2));
    first.heartbeat("querynode-1");
    advance(10_000); // long silence under the old active...
    crash(active);
    final String next = awaitActive(MEMBERS_ROLE, backend.takeoverWithin());
    final MemberMonitor second = monitors.get(next);
    second.evaluate();
    // ...but the new active starts every member ALIVE from its takeover
    assertThat(second.states()).containsEntry("querynode-1", MemberState.ALIVE)
        .containsEntry("querynode-2", MemberState.ALIVE).hasSize(2);
    advance(3_000);
    second.evaluate();
    assertThat(second.states()).containsEntry("querynode-1", MemberState.SUSPECT);
    assertThat(second.registered()).containsExactly("querynode-1", "querynode-2");
  }
}
