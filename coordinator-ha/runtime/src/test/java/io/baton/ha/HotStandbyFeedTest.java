package io.baton.ha;

import static org.assertj.core.api.Assertions.assertThat;

import io.baton.raft.RaftNode;
import io.baton.store.ForwardingMetadataStore;
import io.baton.store.MetadataStore;
import io.baton.store.MonotonicClock;
import io.baton.store.NoQuorumException;
import io.baton.store.ReadConsistency;
import io.baton.store.ReadResult;
import io.baton.store.Watch;
import io.baton.store.WatchListener;
import io.baton.testkit.TestCluster;
import io.baton.testkit.Timing;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * A HOT standby keeps going when its store does not answer for a while (on etcd: the feed's
 * watch fails with "no leader", reads meet a member that does not answer). A feed that ends while
 * the store cannot be read is started again once it can, and the standby can then take the role
 * over with every change in its handler; a standby whose reads fail just when it is elected
 * activates once they succeed. Before, the failed reload left the ended watch in place and the
 * standby waited for it for good, and a failed read at the activation ended the attempts (the
 * watchdog queues an epoch once): in both cases no takeover ever came.
 */
@Timeout(value = 90, unit = TimeUnit.SECONDS)
class HotStandbyFeedTest {
  private static final String ROLE = "rootcoord";
  private final ExecutorService executor = Executors.newCachedThreadPool();
  private final Map<String, RoleManager> managers = new HashMap<>();
  private final Map<String, RecordingHandler> handlers = new HashMap<>();
  private final Map<String, FaultyStore> stores = new HashMap<>();
  private TestCluster cluster;

  @AfterEach
  void tearDown() {
    managers.values().forEach(RoleManager::close);
    if (cluster != null) {
      cluster.close();
    }
    executor.shutdownNow();
  }

  @Test
  void aStandbyWhoseStoreDoesNotAnswerAtTheTakeoverActivatesOnceItDoes() throws Exception {
    final RoleContext context = activeWithState();
    final RaftNode active = cluster.node(context.node());
    for (String id : standbys(active)) {
      stores.get(id).failReads.set(4); // the reads before the activation fail
    }
    managers.remove(active.nodeId()).close();
    cluster.crash(active.nodeId());
    final RaftNode next = awaitActive(active);
    assertThat(stores.get(next.nodeId()).failReads.get()).as("the failed reads were met").isZero();
    assertThat(handlers.get(next.nodeId()).current().epoch()).isGreaterThan(context.epoch());
    assertThat(handlers.get(next.nodeId()).stateAtActivation).containsEntry(context.statePrefix() + "a", "1");
  }

  private void startRoles() {
    cluster = new TestCluster(3).start();
    for (RaftNode n : cluster.running()) {
      final RecordingHandler h = new RecordingHandler(n.nodeId());
      final FaultyStore store = new FaultyStore(n.metadata());
      handlers.put(n.nodeId(), h);
      stores.put(n.nodeId(), store);
      final RoleManager m = new RoleManager(new FaultyBackend(new RatisBackend(n), store),
          List.of(new RoleManager.RoleSpec(ROLE, h, StandbyMode.HOT)), executor, Placement.leader());
      managers.put(n.nodeId(), m);
      m.start();
    }
  }

  @Test
  void aFeedThatEndsWhileTheStoreCannotBeReadComesBackAndTheStandbyTakesOverWithEveryChange() throws Exception {
    final RoleContext context = activeWithState();
    final RaftNode active = cluster.node(context.node());

    // on both standbys: the next three reads fail, then the feed's watch ends
    final List<String> standbys = standbys(active);
    for (String id : standbys) {
      stores.get(id).failReads.set(3);
      stores.get(id).endWatches();
    }
    // a change the ended feeds did not deliver
    context.store().put(context.statePrefix() + "b", "2".getBytes(StandardCharsets.UTF_8)).get(10, TimeUnit.SECONDS);
    for (String id : standbys) {
      Timing.waitUntil(id + " read the state again", Duration.ofSeconds(10), () -> stores.get(id).failReads.get() == 0);
    }

    managers.remove(active.nodeId()).close();
    cluster.crash(active.nodeId());
    final RaftNode next = awaitActive(active);
    assertThat(handlers.get(next.nodeId()).current().epoch()).isGreaterThan(context.epoch());
    assertThat(handlers.get(next.nodeId()).stateAtActivation)
        .as("the restarted feed handed the standby every change, including the one made while it was down")
        .containsEntry(context.statePrefix() + "a", "1").containsEntry(context.statePrefix() + "b", "2");
  }

  /** Starts the roles on three nodes; the active has written key "a" of its state and each standby's feed runs. */
  private RoleContext activeWithState() throws Exception {
    startRoles();
    final RaftNode active = awaitActive(null);
    final RoleContext context = handlers.get(active.nodeId()).current();
    context.store().put(context.statePrefix() + "a", "1".getBytes(StandardCharsets.UTF_8)).get(10, TimeUnit.SECONDS);
    for (String id : standbys(active)) {
      Timing.waitUntil(id + "'s HOT feed is running", Duration.ofSeconds(10), () -> stores.get(id).watches.size() > 0);
    }
    return context;
  }

  private List<String> standbys(RaftNode active) {
    return cluster.running().stream().filter(n -> n != active).map(RaftNode::nodeId).toList();
  }

  private RaftNode awaitActive(RaftNode not) {
    return Timing.waitFor(ROLE + " active", Duration.ofSeconds(20), () -> cluster.running().stream()
        .filter(n -> n != not && handlers.get(n.nodeId()).isActive()).findFirst().orElse(null));
  }

  /** Reads that fail on demand (as a silent etcd member's do) and watches the test can end with an error. */
  private static final class FaultyStore extends ForwardingMetadataStore {
    final AtomicInteger failReads = new AtomicInteger();
    final List<Map.Entry<Watch, WatchListener>> watches = new CopyOnWriteArrayList<>();

    FaultyStore(MetadataStore delegate) {
      super(delegate);
    }

    @Override
    public CompletableFuture<ReadResult> range(String prefix, ReadConsistency consistency) {
      if (failReads.getAndUpdate(n -> Math.max(0, n - 1)) > 0) {
        return CompletableFuture.failedFuture(new NoQuorumException("no answer within 2000 ms (injected)", null));
      }
      return super.range(prefix, consistency);
    }

    @Override
    public Watch watch(String prefix, long fromRevision, WatchListener listener) {
      final Watch w = super.watch(prefix, fromRevision, listener);
      watches.add(Map.entry(w, listener));
      return w;
    }

    /** Ends every watch as a failed etcd watch ends: closed, with one error to its listener. */
    void endWatches() {
      for (Map.Entry<Watch, WatchListener> e : watches) {
        e.getKey().close();
        e.getValue().onError(new NoQuorumException("etcd watch failed: etcdserver: no leader (injected)", null));
      }
      watches.clear();
    }
  }

  /** A backend whose roles read and watch through {@code store}; its elector is the real one's. */
  private record FaultyBackend(RatisBackend real, MetadataStore store) implements Backend {
    @Override
    public String name() {
      return real.name();
    }

    @Override
    public String nodeId() {
      return real.nodeId();
    }

    @Override
    public boolean running() {
      return real.running();
    }

    @Override
    public Elector elector(List<String> roles, Placement placement, Duration checkInterval, MonotonicClock clock) {
      return real.elector(roles, placement, checkInterval, clock);
    }

    @Override
    public Duration checkInterval(Placement placement) {
      return real.checkInterval(placement);
    }

    @Override
    public CompletableFuture<Void> handOver() {
      return real.handOver();
    }

    @Override
    public void onNodeGone(java.util.function.Consumer<String> listener) {
      real.onNodeGone(listener);
    }

    @Override
    public Optional<NodeStatus.Raft> raftStatus() {
      return real.raftStatus();
    }

    @Override
    public void close() {
      real.close();
    }
  }
}
