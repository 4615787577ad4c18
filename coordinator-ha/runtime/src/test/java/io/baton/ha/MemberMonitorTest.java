package io.baton.ha;

import static io.baton.raft.Timing.await;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.baton.raft.NotLeaderException;
import io.baton.raft.RaftNode;
import io.baton.raft.TestCluster;
import io.baton.raft.Timing;
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
 * Members on a real 3-node cluster, their detector driven by a scripted clock: the time that
 * decides SUSPECT and DOWN never comes from sleeping.
 */
@Timeout(value = 90, unit = TimeUnit.SECONDS)
class MemberMonitorTest {
  private long now = 1_000_000_000_000L;
  private final ExecutorService executor = Executors.newCachedThreadPool();
  private final Map<String, MemberMonitor> monitors = new HashMap<>();
  private final Map<String, RoleManager> managers = new HashMap<>();
  private final Map<String, RecordingHandler> handlers = new HashMap<>();
  private TestCluster cluster;

  @AfterEach
  void tearDown() {
    monitors.values().forEach(MemberMonitor::close);
    managers.values().forEach(RoleManager::close);
    if (cluster != null) {
      cluster.close();
    }
    executor.shutdownNow();
  }

  private void advance(long ms) {
    now += TimeUnit.MILLISECONDS.toNanos(ms);
  }

  private void start() {
    cluster = new TestCluster(3).start();
    for (RaftNode n : cluster.running()) {
      final RecordingHandler h = new RecordingHandler(n.nodeId());
      final RoleManager m = new RoleManager(n, List.of(new RoleManager.RoleSpec("querycoord", h, StandbyMode.WARM)),
          executor, RoleManager.defaultCheckInterval(n));
      m.start();
      handlers.put(n.nodeId(), h);
      managers.put(n.nodeId(), m);
      monitors.put(n.nodeId(), new MemberMonitor(n, () -> now, Duration.ofSeconds(3), Duration.ofSeconds(6),
          m::memberChanged));
    }
  }

  private RaftNode awaitActive() {
    return Timing.waitFor("an active node", Duration.ofSeconds(15), () -> cluster.running().stream()
        .filter(n -> handlers.get(n.nodeId()).isActive()).findFirst().orElse(null));
  }

  @Test
  void silenceOfARegisteredMemberReachesTheActiveHandlerAsSuspectThenDown() {
    start();
    final RaftNode active = awaitActive();
    final MemberMonitor follower = monitors.get(cluster.other(active).nodeId());
    await(follower.register("querynode-1", "10.0.0.7:21123"));
    await(follower.register("datanode-1", "10.0.0.8:21124"));
    final MemberMonitor leader = monitors.get(active.nodeId());
    leader.heartbeat("querynode-1"); // starts the detector from the table: both ALIVE as of now
    assertThat(leader.states()).containsEntry("querynode-1", MemberState.ALIVE)
        .containsEntry("datanode-1", MemberState.ALIVE);

    advance(2_000);
    leader.heartbeat("querynode-1");
    advance(1_000);
    leader.evaluate(); // datanode-1: 3 s of silence
    advance(3_000);
    leader.evaluate(); // datanode-1: 6 s, querynode-1: 4 s
    final RecordingHandler h = handlers.get(active.nodeId());
    Timing.waitUntil("transitions delivered", Duration.ofSeconds(5), () -> h.members.size() >= 3);
    // one evaluate() reports in table order (the detector was seeded from the table, in key order)
    assertThat(h.members).containsExactly(
        new MemberTransition("datanode-1", MemberState.ALIVE, MemberState.SUSPECT, 3_000),
        new MemberTransition("datanode-1", MemberState.SUSPECT, MemberState.DOWN, 6_000),
        new MemberTransition("querynode-1", MemberState.ALIVE, MemberState.SUSPECT, 4_000));
    leader.heartbeat("datanode-1");
    Timing.waitUntil("revival delivered", Duration.ofSeconds(5), () -> h.members.size() >= 4);
    assertThat(h.members.get(3)).isEqualTo(new MemberTransition("datanode-1", MemberState.DOWN, MemberState.ALIVE, 6_000));
    cluster.running().stream().filter(n -> n != active)
        .forEach(n -> assertThat(handlers.get(n.nodeId()).members).as("standbys get no member events").isEmpty());
  }

  @Test
  void heartbeatsGoToTheActiveAndOnlyRegisteredMembersCount() {
    start();
    final RaftNode active = awaitActive();
    final RaftNode other = cluster.other(active);
    await(monitors.get(other.nodeId()).register("querynode-1", "10.0.0.7:21123"));
    assertThatThrownBy(() -> monitors.get(other.nodeId()).heartbeat("querynode-1"))
        .isInstanceOfSatisfying(NotLeaderException.class,
            e -> assertThat(e.knownLeader()).contains(active.nodeId()));
    assertThatThrownBy(() -> monitors.get(active.nodeId()).heartbeat("stranger"))
        .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("'stranger' is not registered");
    assertThatThrownBy(() -> monitors.get(active.nodeId()).register("bad id", "x"))
        .hasMessageContaining("member id 'bad id' is invalid");
  }

  @Test
  void aNewActiveKnowsEveryMemberAtOnceAndGivesThemAGracePeriod() {
    start();
    final RaftNode active = awaitActive();
    final MemberMonitor first = monitors.get(active.nodeId());
    await(first.register("querynode-1", "a"));
    await(first.register("querynode-2", "b"));
    first.heartbeat("querynode-1");
    advance(10_000); // long silence under the old active...
    monitors.remove(active.nodeId()).close();
    managers.remove(active.nodeId()).close();
    cluster.crash(active.nodeId());
    final RaftNode next = awaitActive();
    final MemberMonitor second = monitors.get(next.nodeId());
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
