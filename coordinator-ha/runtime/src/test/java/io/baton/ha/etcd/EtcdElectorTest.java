package io.baton.ha.etcd;

import static io.baton.testkit.Timing.await;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.baton.etcd.EtcdMetadataStore;
import io.baton.ha.EtcdElector;
import io.baton.ha.Placement;
import io.baton.ha.RoleContext;
import io.baton.ha.RoleHandler;
import io.baton.ha.RoleManager;
import io.baton.ha.StandbyMode;
import io.baton.store.MonotonicClock;
import io.baton.store.StaleEpochException;
import io.baton.testkit.EtcdCluster;
import io.baton.testkit.Timing;
import io.etcd.jetcd.Client;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * Roles on the etcd backend, on a real 3-member etcd cluster: one active per role through etcd's
 * election recipe, takeover after a node dies (its lease expires: no resign), fencing, interop with
 * {@code etcdctl elect} both ways, and etcd trouble (a member lost, a short and a long outage).
 */
@Timeout(value = 180, unit = TimeUnit.SECONDS)
class EtcdElectorTest {
  @RegisterExtension
  static final EtcdCluster ETCD = new EtcdCluster(3);

  private static final String ROLE = "rootcoord";
  private final ExecutorService executor = Executors.newCachedThreadPool();
  private final Map<String, EtcdMetadataStore> stores = new HashMap<>();
  private final Map<String, RoleManager> managers = new HashMap<>();
  private final Map<String, Recorder> handlers = new HashMap<>();
  private final List<Process> etcdctls = new ArrayList<>();
  private String prefix;

  /** Records activations. */
  static final class Recorder implements RoleHandler {
    final List<RoleContext> activations = new CopyOnWriteArrayList<>();

    @Override
    public void onActive(RoleContext context) {
      activations.add(context);
    }

    @Override
    public void onStandby(String role, String activeNode) {
    }

    boolean isActive() {
      return !activations.isEmpty() && !activations.get(activations.size() - 1).lost().toCompletableFuture().isDone();
    }

    RoleContext current() {
      return activations.get(activations.size() - 1);
    }
  }

  @BeforeEach
  void freshElection() {
    prefix = "/baton-test/" + UUID.randomUUID().toString().substring(0, 8);
  }

  @AfterEach
  void tearDown() {
    etcdctls.forEach(Process::destroyForcibly);
    managers.values().forEach(RoleManager::close);
    stores.values().forEach(EtcdMetadataStore::close);
    executor.shutdownNow();
  }

  private EtcdMetadataStore connect() {
    return new EtcdMetadataStore(Client.builder().endpoints(ETCD.endpoints().toArray(String[]::new)).build(),
        Duration.ofSeconds(2));
  }

  private void startNode(String id, Duration ttl) {
    final EtcdMetadataStore store = connect();
    final Recorder handler = new Recorder();
    final EtcdElector elector = new EtcdElector(store, id, prefix, List.of(ROLE), ttl, Duration.ofSeconds(10),
        MonotonicClock.SYSTEM);
    final RoleManager m = new RoleManager(id, store, () -> true, List.of(new RoleManager.RoleSpec(ROLE, handler,
        StandbyMode.WARM)), executor, Duration.ofMillis(20), Placement.leader(), elector, MonotonicClock.SYSTEM);
    stores.put(id, store);
    handlers.put(id, handler);
    managers.put(id, m);
    m.start();
  }

  private String awaitActive(Duration timeout) {
    return Timing.waitFor(ROLE + " active on one node", timeout, () -> {
      String active = null;
      for (Map.Entry<String, Recorder> e : handlers.entrySet()) {
        if (managers.containsKey(e.getKey()) && e.getValue().isActive()) {
          assertThat(active).as("two actives").isNull();
          active = e.getKey();
        }
      }
      return active;
    });
  }

  /** A crash: the node's client is gone, so nothing resigns and its lease must expire. */
  private void crash(String id) {
    stores.remove(id).close();
    managers.remove(id).close();
  }

  private Process etcdctl(String... args) throws IOException {
    final List<String> cmd = new ArrayList<>(List.of("etcdctl", "--endpoints=" + String.join(",", ETCD.endpoints())));
    cmd.addAll(List.of(args));
    final Process p = new ProcessBuilder(cmd).redirectErrorStream(true).start();
    etcdctls.add(p);
    return p;
  }

  /** The proposal of the current leader, as {@code etcdctl elect --listen} reports it. */
  private String etcdctlLeader() throws IOException {
    final Process listen = etcdctl("elect", "--listen", prefix + "/" + ROLE);
    try (BufferedReader out = new BufferedReader(new InputStreamReader(listen.getInputStream(), StandardCharsets.UTF_8))) {
      out.readLine(); // the leader's key
      return out.readLine();
    } finally {
      listen.destroyForcibly();
    }
  }

  @Test
  void oneActiveTakenOverAfterTheLeaseOfACrashedNodeExpiresAndItsWritesAreFenced() {
    for (String id : List.of("n1", "n2", "n3")) {
      startNode(id, Duration.ofSeconds(2));
    }
    final String first = awaitActive(Duration.ofSeconds(20));
    final RoleContext old = handlers.get(first).current();
    await(old.store().put(old.statePrefix() + "owner", first));
    final EtcdMetadataStore survivorStore = stores.get(first.equals("n1") ? "n2" : "n1");
    crash(first);
    final String next = awaitActive(Duration.ofSeconds(20));
    assertThat(next).isNotEqualTo(first);
    final RoleContext now = handlers.get(next).current();
    assertThat(now.epoch()).isGreaterThan(old.epoch());
    // the deposed epoch's writes fail, whoever sends them; the new one's pass
    assertThatThrownBy(() -> await(survivorStore.fencedBy(prefix + "/" + ROLE + "/whatever", old.epoch())
        .put(old.statePrefix() + "owner", "stale"))).isInstanceOf(StaleEpochException.class);
    await(now.store().put(now.statePrefix() + "owner", next));
    assertThat(await(now.loadState()).kvs().get(0).valueAsString()).isEqualTo(next);
  }

  @Test
  void interoperatesWithEtcdctlElectBothWays() throws Exception {
    // an outside candidate leads first: Baton nodes wait behind it and see its proposal
    final Process outsider = etcdctl("elect", prefix + "/" + ROLE, "outsider");
    Timing.waitUntil("etcdctl leads", Duration.ofSeconds(10), () -> {
      try {
        return "outsider".equals(etcdctlLeader());
      } catch (IOException e) {
        return false;
      }
    });
    startNode("n1", Duration.ofSeconds(2));
    startNode("n2", Duration.ofSeconds(2));
    Timing.waitUntil("Baton sees the outsider as active", Duration.ofSeconds(10),
        () -> "outsider".equals(managers.get("n1").statuses().get(0).active()));
    assertThat(handlers.values()).noneMatch(Recorder::isActive);
    outsider.destroy(); // SIGTERM: etcdctl resigns
    final String baton = awaitActive(Duration.ofSeconds(20));
    assertThat(etcdctlLeader()).isEqualTo(baton);

    // now Baton leads: a new outside candidate waits and does not become leader
    final Process second = etcdctl("elect", prefix + "/" + ROLE, "outsider-2");
    assertThat(second.waitFor(2, TimeUnit.SECONDS)).as("etcdctl still campaigning").isFalse();
    assertThat(etcdctlLeader()).isEqualTo(baton);
    assertThat(handlers.get(baton).isActive()).isTrue();
  }

  @Test
  void aLostEtcdMemberAndAShortOutageCauseNoTakeover() throws Exception {
    for (String id : List.of("n1", "n2")) {
      startNode(id, Duration.ofSeconds(5));
    }
    final String active = awaitActive(Duration.ofSeconds(20));
    final RoleContext context = handlers.get(active).current();
    ETCD.kill("e1");
    try {
      // longer than the TTL with one member gone: keep-alives go on through the other two
      Thread.sleep(6_000);
      assertThat(context.isActive()).as("still active with one etcd member lost").isTrue();
      // all of etcd frozen for 2.5 s, under TTL - margin - TTL/10 (5 - 1 - 0.5 s): no step-down
      for (String m : List.of("e2", "e3")) {
        ETCD.pause(m);
      }
      Thread.sleep(2_500);
    } finally {
      for (String m : List.of("e2", "e3")) {
        ETCD.resume(m);
      }
      ETCD.start("e1");
    }
    Thread.sleep(3_000);
    assertThat(context.lost().toCompletableFuture().isDone()).as("no step-down after a short outage").isFalse();
    assertThat(handlers.get(active).activations).hasSize(1);
  }

  @Test
  void aLongOutageMakesTheActiveStepDownAndTheRoleComesBackWithAHigherEpoch() throws Exception {
    for (String id : List.of("n1", "n2")) {
      startNode(id, Duration.ofSeconds(2));
    }
    final String active = awaitActive(Duration.ofSeconds(20));
    final RoleContext context = handlers.get(active).current();
    final long pausedAt = System.nanoTime();
    try {
      for (String m : ETCD.members()) {
        ETCD.pause(m);
      }
      Timing.waitUntil("the active steps down", Duration.ofSeconds(10),
          () -> context.lost().toCompletableFuture().isDone());
      // on its own clock, before the 2 s lease could expire on etcd (which is frozen anyway)
      assertThat(Duration.ofNanos(System.nanoTime() - pausedAt)).isLessThan(Duration.ofSeconds(2));
      Thread.sleep(2_500);
      assertThat(handlers.values()).noneMatch(Recorder::isActive);
    } finally {
      for (String m : ETCD.members()) {
        ETCD.resume(m);
      }
    }
    final String again = awaitActive(Duration.ofSeconds(30));
    assertThat(handlers.get(again).current().epoch()).isGreaterThan(context.epoch());
  }
}
