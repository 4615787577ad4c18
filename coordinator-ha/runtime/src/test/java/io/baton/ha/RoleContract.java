package io.baton.ha;

import static io.baton.raft.Timing.await;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.baton.raft.KeyValue;
import io.baton.raft.StaleEpochException;
import io.baton.raft.Timing;
import java.time.Duration;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * What roles guarantee on every backend, written once and run against each: the Ratis backend
 * ({@code RatisRoleContractTest}) and the etcd backend ({@code EtcdRoleContractTest}). Three
 * nodes, role {@code rootcoord} with HOT standbys and {@code querycoord} with WARM ones.
 */
public abstract class RoleContract {
  protected static final Map<String, StandbyMode> ROLES = Map.of("rootcoord", StandbyMode.HOT,
      "querycoord", StandbyMode.WARM);
  protected final ExecutorService executor = Executors.newCachedThreadPool();
  private final Map<String, RoleManager> managers = new LinkedHashMap<>();
  private final Map<String, Map<String, RecordingHandler>> handlers = new HashMap<>();

  /** Starts the backend for three nodes; returns their ids. */
  protected abstract List<String> startBackend() throws Exception;

  /** The (not yet started) role manager of node {@code id} on the backend. */
  protected abstract RoleManager newManager(String id, List<RoleManager.RoleSpec> roles);

  /** Node {@code id} dies: its backend side stops without a goodbye (the contract then closes its manager). */
  protected abstract void crash(String id) throws Exception;

  /** Stops whatever {@link #startBackend()} started. */
  protected abstract void stopBackend();

  /** How long a takeover after a crash may take on this backend. */
  protected abstract Duration takeoverWithin();

  @BeforeEach
  void startNodes() throws Exception {
    for (String id : startBackend()) {
      final Map<String, RecordingHandler> byRole = new HashMap<>();
      final List<RoleManager.RoleSpec> specs = ROLES.entrySet().stream().sorted(Map.Entry.comparingByKey()).map(e -> {
        final RecordingHandler h = new RecordingHandler(id);
        byRole.put(e.getKey(), h);
        return new RoleManager.RoleSpec(e.getKey(), h, e.getValue());
      }).toList();
      final RoleManager m = newManager(id, specs);
      managers.put(id, m);
      handlers.put(id, byRole);
      m.start();
    }
  }

  @AfterEach
  void stopNodes() {
    managers.values().forEach(RoleManager::close);
    stopBackend();
    executor.shutdownNow();
  }

  private RecordingHandler handler(String node, String role) {
    return handlers.get(node).get(role);
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

  @Test
  void everyRoleHasOneActiveAndACrashedActiveIsReplacedWithAHigherEpoch() throws Exception {
    final String active = awaitActive("rootcoord", Duration.ofSeconds(30));
    final long epoch = handler(active, "rootcoord").current().epoch();
    awaitActive("querycoord", Duration.ofSeconds(30));
    for (String id : managers.keySet()) {
      final RoleStatus s = managers.get(id).statuses().stream().filter(r -> r.role().equals("rootcoord")).findFirst()
          .orElseThrow();
      assertThat(s.state()).isEqualTo(id.equals(active) ? RoleState.ACTIVE : RoleState.STANDBY);
    }
    crash(active);
    managers.remove(active).close();
    final String next = awaitActive("rootcoord", takeoverWithin());
    assertThat(next).isNotEqualTo(active);
    assertThat(handler(next, "rootcoord").current().epoch()).isGreaterThan(epoch);
  }

  @Test
  void aPlannedHandoverDeposesTheOldEpochWhoseFencedWritesAreRejected() {
    final String old = awaitActive("rootcoord", Duration.ofSeconds(30));
    final RoleContext oldContext = handler(old, "rootcoord").current();
    await(oldContext.store().put(oldContext.statePrefix() + "owner", old));
    await(managers.get(old).handOver());
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
    managers.remove(active).close();
    final String next = awaitActive("rootcoord", takeoverWithin());
    assertThat(handler(next, "rootcoord").stateAtActivation).as("HOT: the state is there at onActive, nothing loaded")
        .isEqualTo(expected);
  }
}
