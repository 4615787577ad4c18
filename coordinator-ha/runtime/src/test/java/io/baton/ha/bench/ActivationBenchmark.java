package io.baton.ha.bench;

import io.baton.ha.RoleContext;
import io.baton.ha.RoleHandler;
import io.baton.ha.RoleManager;
import io.baton.ha.RoleStateMirror;
import io.baton.ha.StandbyMode;
import io.baton.raft.RaftNode;
import io.baton.store.KeyValue;
import io.baton.store.Op;
import io.baton.store.Txn;
import io.baton.store.WatchEvent;
import io.baton.testkit.TestCluster;
import io.baton.testkit.Timing;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;

/**
 * Activation cost of HOT and WARM standbys with a large role state (a command, not a test):
 * 3 nodes in this JVM, one role whose active writes {@code --keys} keys of state, then the active
 * is crashed; for the new active it measures onActive → state ready (HOT: already in its
 * {@link RoleStateMirror}; WARM: {@code loadState()} read and indexed) and crash → state ready.
 * Arguments: {@code [--keys 10000] [--rounds 5]}.
 */
public final class ActivationBenchmark {
  private ActivationBenchmark() {
  }

  /** A handler that records when it became active and when its state was ready. */
  static final class Timed implements RoleHandler {
    final StandbyMode mode;
    final RoleStateMirror mirror = new RoleStateMirror();
    volatile RoleContext context;
    volatile long activeAt;
    volatile long readyAt;
    volatile int readyKeys;

    Timed(StandbyMode mode) {
      this.mode = mode;
    }

    @Override
    public void onActive(RoleContext ctx) {
      activeAt = System.nanoTime();
      context = ctx;
      if (mode == StandbyMode.HOT) {
        readyKeys = mirror.size();
        readyAt = System.nanoTime();
      } else {
        ctx.loadState().thenAccept(state -> {
          final Map<String, KeyValue> loaded = new HashMap<>();
          state.kvs().forEach(kv -> loaded.put(kv.key(), kv));
          readyKeys = loaded.size();
          readyAt = System.nanoTime();
        });
      }
    }

    @Override
    public void onStandby(String role, String activeNode) {
      context = null;
    }

    @Override
    public void onStateChange(WatchEvent event) {
      mirror.apply(event);
    }

    @Override
    public void onStateReset() {
      mirror.reset();
    }
  }

  public static void main(String[] args) throws Exception {
    int keys = 10_000;
    int rounds = 5;
    for (int i = 0; i < args.length; i++) {
      switch (args[i]) {
        case "--keys" -> keys = Integer.parseInt(args[++i]);
        case "--rounds" -> rounds = Integer.parseInt(args[++i]);
        default -> throw new IllegalArgumentException("unknown argument " + args[i]);
      }
    }
    System.out.printf("Activation cost with %d keys of role state (~100-byte values), 3 nodes in one JVM, %d rounds%n",
        keys, rounds);
    System.out.println("mode  onActive->ready p50 ms  max ms   crash->ready p50 ms  max ms");
    for (StandbyMode mode : StandbyMode.values()) {
      run(mode, keys, rounds);
    }
    System.exit(0);
  }

  private static void run(StandbyMode mode, int keys, int rounds) throws Exception {
    final ExecutorService executor = Executors.newCachedThreadPool();
    final Map<String, Timed> handlers = new HashMap<>();
    final Map<String, RoleManager> managers = new HashMap<>();
    final List<Double> activation = new ArrayList<>();
    final List<Double> takeover = new ArrayList<>();
    try (TestCluster cluster = new TestCluster(3, b -> b.snapshotThreshold(100_000)).start()) {
      for (RaftNode n : cluster.running()) {
        start(n, mode, executor, handlers, managers);
      }
      final String value = "x".repeat(100);
      RaftNode active = awaitActive(cluster, handlers, 0);
      final RoleContext first = handlers.get(active.nodeId()).context;
      for (int i = 0; i < keys; i += 500) {
        final List<Op> ops = new ArrayList<>();
        for (int j = i; j < Math.min(keys, i + 500); j++) {
          ops.add(Op.put(first.statePrefix() + String.format("collection/%06d", j), value));
        }
        first.store().txn(Txn.of(List.of(), ops)).get(30, TimeUnit.SECONDS);
      }
      for (int round = 0; round < rounds; round++) {
        final long epoch = handlers.get(active.nodeId()).context.epoch();
        if (mode == StandbyMode.HOT) {
          final RaftNode current = active;
          final int expected = keysOf(current);
          Timing.waitUntil("HOT standbys mirror " + expected + " keys", Duration.ofSeconds(60),
              () -> cluster.running().stream().filter(n -> n != current)
                  .allMatch(n -> handlers.get(n.nodeId()).mirror.size() == expected));
        }
        final String victim = active.nodeId();
        managers.remove(victim).close();
        final long crashedAt = System.nanoTime();
        cluster.crash(victim);
        active = awaitActive(cluster, handlers, epoch);
        final Timed h = handlers.get(active.nodeId());
        Timing.waitUntil("the new active's state", Duration.ofSeconds(60), () -> h.readyAt > h.activeAt);
        if (h.readyKeys != keys) {
          throw new IllegalStateException(mode + ": the new active had " + h.readyKeys + " keys, not " + keys);
        }
        activation.add((h.readyAt - h.activeAt) / 1e6);
        takeover.add((h.readyAt - crashedAt) / 1e6);
        start(cluster.start(victim), mode, executor, handlers, managers);
      }
    } finally {
      managers.values().forEach(RoleManager::close);
      executor.shutdownNow();
    }
    Collections.sort(activation);
    Collections.sort(takeover);
    System.out.printf("%-4s  %22.2f  %6.2f   %19.0f  %6.0f%n", mode, activation.get(activation.size() / 2),
        activation.get(activation.size() - 1), takeover.get(takeover.size() / 2), takeover.get(takeover.size() - 1));
  }

  private static int keysOf(RaftNode node) {
    return node.metadata().range(io.baton.ha.Keys.roleState("bench"), io.baton.store.ReadConsistency.STALE).join().kvs().size();
  }

  private static void start(RaftNode node, StandbyMode mode, ExecutorService executor, Map<String, Timed> handlers,
      Map<String, RoleManager> managers) {
    final Timed h = new Timed(mode);
    handlers.put(node.nodeId(), h);
    final RoleManager m = new RoleManager(new io.baton.ha.RatisBackend(node), List.of(new RoleManager.RoleSpec("bench", h, mode)),
        executor, io.baton.ha.Placement.leader());
    managers.put(node.nodeId(), m);
    m.start();
  }

  private static RaftNode awaitActive(TestCluster cluster, Map<String, Timed> handlers, long afterEpoch)
      throws InterruptedException {
    final long deadline = System.nanoTime() + Duration.ofSeconds(30).toNanos();
    while (System.nanoTime() < deadline) {
      for (RaftNode n : cluster.running()) {
        final RoleContext c = handlers.get(n.nodeId()).context;
        if (c != null && c.epoch() > afterEpoch) {
          return n;
        }
      }
      Thread.sleep(1);
    }
    throw new IllegalStateException("no activation after epoch " + afterEpoch + " within 30 s");
  }
}
