package io.baton.health;

import static org.assertj.core.api.Assertions.assertThat;

import io.baton.ha.NodeStatus;
import io.baton.ha.Placement;
import io.baton.ha.RatisBackend;
import io.baton.ha.RoleContext;
import io.baton.ha.RoleHandler;
import io.baton.ha.RoleManager;
import io.baton.ha.RoleState;
import io.baton.ha.RoleStatus;
import io.baton.ha.StandbyMode;
import io.baton.raft.RaftNode;
import io.baton.testkit.TestCluster;
import io.baton.testkit.Timing;
import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import org.eclipse.microprofile.health.HealthCheckResponse.Status;
import org.eclipse.microprofile.health.HealthCheckResponse;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * Health decisions on a real 3-node cluster with roles, through the node status; the checks' own
 * time is a scripted clock, so grace periods pass only when the test says so.
 */
@Timeout(value = 90, unit = TimeUnit.SECONDS)
class NodeHealthTest {
  private static final List<String> ROLES = List.of("rootcoord", "querycoord");
  private final ExecutorService executor = Executors.newCachedThreadPool();
  private final AtomicLong now = new AtomicLong();
  private final Map<String, RoleManager> managers = new HashMap<>();
  private final Map<String, NodeHealth> health = new HashMap<>();
  private TestCluster cluster;

  /** Roles that do nothing: only their states matter here. */
  private static final RoleHandler IDLE = new RoleHandler() {
    @Override
    public void onActive(RoleContext context) {
    }

    @Override
    public void onStandby(String role, String activeNode) {
    }
  };

  @AfterEach
  void tearDown() {
    managers.values().forEach(RoleManager::close);
    if (cluster != null) {
      cluster.close();
    }
    executor.shutdownNow();
  }

  private void start() {
    cluster = new TestCluster(3).start();
    for (RaftNode n : cluster.running()) {
      final RatisBackend backend = new RatisBackend(n);
      final RoleManager m = new RoleManager(backend, ROLES.stream().map(role -> new RoleManager.RoleSpec(role, IDLE,
          StandbyMode.WARM)).toList(), executor, Placement.leader());
      m.start();
      managers.put(n.nodeId(), m);
      health.put(n.nodeId(), new NodeHealth(() -> new NodeStatus(n.nodeId(), "ratis", "leader",
          NodeStatus.Lifecycle.STARTED, m.statuses(), Map.of(), backend.raftStatus()),
          timeout -> Optional.of("not asked on ratis"), now::get, 1000, Duration.ofSeconds(30), Duration.ofSeconds(3)));
    }
  }

  private static boolean up(HealthCheckResponse r) {
    return r.getStatus() == Status.UP;
  }

  private String awaitActiveEverywhere() {
    return Timing.waitFor("one node active for every role", Duration.ofSeconds(20), () -> {
      for (RaftNode n : cluster.running()) {
        if (up(health.get(n.nodeId()).allRolesActive())) {
          return n.nodeId();
        }
      }
      return null;
    });
  }

  @Test
  void roleGroupsAreUpOnlyOnTheActiveAndLivenessStaysUpThroughATakeover() {
    start();
    final String active = awaitActiveEverywhere();
    for (RaftNode n : cluster.running()) {
      final NodeHealth h = health.get(n.nodeId());
      assertThat(up(h.liveness())).isTrue();
      assertThat(up(h.startup())).isTrue();
      Timing.waitUntil(n.nodeId() + " ready", Duration.ofSeconds(10), () -> up(h.readiness()));
      for (String role : ROLES) {
        final HealthCheckResponse group = h.roleActive(role);
        assertThat(up(group)).as(role + " on " + n.nodeId()).isEqualTo(n.nodeId().equals(active));
        if (!up(group)) {
          assertThat(group.getData().orElseThrow().get("reason").toString()).contains("STANDBY");
        }
      }
    }

    cluster.crash(active);
    managers.remove(active).close();
    // through the takeover, the survivors stay live and (within the leader grace) ready
    final String next = Timing.waitFor("a new active", Duration.ofSeconds(20), () -> {
      for (RaftNode n : cluster.running()) {
        final NodeHealth h = health.get(n.nodeId());
        assertThat(up(h.liveness())).as("liveness of " + n.nodeId() + " during the takeover").isTrue();
        assertThat(up(h.readiness())).as("readiness of " + n.nodeId() + " during the takeover").isTrue();
      }
      for (RaftNode n : cluster.running()) {
        if (up(health.get(n.nodeId()).roleActive("rootcoord"))) {
          return n.nodeId();
        }
      }
      return null;
    });
    assertThat(next).isNotEqualTo(active);
    assertThat(up(health.get(next).allRolesActive())).isTrue();
  }

  @Test
  void aNodeCutOffFromItsQuorumStaysLiveButIsNotReadyOnceTheGracePasses() {
    start();
    final String active = awaitActiveEverywhere();
    final String keeper = cluster.running().stream().map(RaftNode::nodeId).filter(id -> !id.equals(active))
        .findFirst().orElseThrow();
    final NodeHealth h = health.get(keeper);
    Timing.waitUntil("ready", Duration.ofSeconds(10), () -> up(h.readiness()));
    for (RaftNode n : List.copyOf(cluster.running())) {
      if (!n.nodeId().equals(keeper)) {
        cluster.crash(n.nodeId());
        managers.remove(n.nodeId()).close();
      }
    }
    Timing.waitUntil("the lone node knows no leader", Duration.ofSeconds(10),
        () -> cluster.node(keeper).status().leader() == null);
    assertThat(up(h.readiness())).as("an election is not an outage: within the grace").isTrue();
    now.addAndGet(Duration.ofSeconds(3).toNanos());
    final HealthCheckResponse ready = h.readiness();
    assertThat(up(ready)).isFalse();
    assertThat(ready.getData().orElseThrow().get("reason").toString()).contains("no leader known");
    now.addAndGet(Duration.ofMinutes(5).toNanos());
    assertThat(up(h.liveness())).as("nothing to apply is not a stall").isTrue();
  }

  @Test
  void onEtcdReadinessIsWhetherEtcdAnswersAndStartupIsTheLifecycle() {
    final NodeStatus.Lifecycle[] lifecycle = {NodeStatus.Lifecycle.STARTING};
    final Optional<String>[] probe = new Optional[] {Optional.empty()};
    final NodeHealth h = new NodeHealth(() -> new NodeStatus("n1", "etcd", "leader", lifecycle[0], List.of(), Map.of(),
        Optional.empty()), timeout -> probe[0], now::get, 1000, Duration.ofSeconds(30), Duration.ofSeconds(3));
    assertThat(up(h.startup())).isFalse();
    assertThat(up(h.readiness())).isFalse();
    assertThat(up(h.liveness())).as("losing etcd must not restart the coordinator").isTrue();
    lifecycle[0] = NodeStatus.Lifecycle.STARTED;
    assertThat(up(h.startup())).isTrue();
    assertThat(up(h.readiness())).isTrue();
    probe[0] = Optional.of("no answer within 1000 ms");
    final HealthCheckResponse ready = h.readiness();
    assertThat(up(ready)).isFalse();
    assertThat(ready.getData().orElseThrow().get("reason").toString()).contains("etcd does not answer: no answer");
    assertThat(up(h.liveness())).isTrue();
  }

  @Test
  void aNodeWhoseCampaignIsNotConfirmedYetIsNotReady() {
    final boolean[] campaigning = {false};
    final NodeHealth h = new NodeHealth(() -> new NodeStatus("n2", "etcd", "leader", NodeStatus.Lifecycle.STARTED,
        List.of(new RoleStatus("rootcoord", RoleState.STANDBY, 0, "n1", StandbyMode.HOT, 0, campaigning[0]),
            new RoleStatus("querycoord", RoleState.STANDBY, 0, "n1", StandbyMode.WARM, 0, true)),
        Map.of(), Optional.empty()), timeout -> Optional.empty(), now::get, 1000, Duration.ofSeconds(30),
        Duration.ofSeconds(3));
    final HealthCheckResponse notYet = h.readiness();
    assertThat(up(notYet)).isFalse();
    assertThat(notYet.getData().orElseThrow().get("reason").toString())
        .isEqualTo("node n2 is not (yet) a candidate for [rootcoord]: its session or campaign in etcd is not confirmed,"
            + " so it could not take that role over");
    assertThat(up(h.liveness())).isTrue();
    campaigning[0] = true;
    assertThat(up(h.readiness())).isTrue();
  }
}
