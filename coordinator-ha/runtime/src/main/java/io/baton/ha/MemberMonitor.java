package io.baton.ha;

import io.baton.store.BatonException;
import io.baton.store.Futures;
import io.baton.store.KeyValue;
import io.baton.store.MetadataStore;
import io.baton.store.MonotonicClock;
import io.baton.store.NotLeaderException;
import io.baton.store.ReadConsistency;
import io.baton.store.Watch;
import io.baton.store.WatchEvent;
import io.baton.store.WatchListener;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.Consumer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Members (workers such as Milvus query and data nodes) and their failure detection, on any backend
 * and placement: it needs only the metadata store and an {@link Authority}, the node active for the
 * members' role.
 *
 * <p>The member <b>table</b> is replicated: {@link #register} writes {@link Keys#member} through the
 * store, so every node, and so a new active, knows every member. Each node keeps a copy of the table
 * from a watch, so that nothing here waits on the network. <b>Heartbeats</b> go to the node active
 * for the members' role only (not through the store); its {@link FailureDetector}, on the injected
 * clock, turns silence into SUSPECT then DOWN. When this node becomes active it starts the detector
 * from the whole table, every member ALIVE as of that moment (a grace period of
 * {@code suspectAfter}), so a takeover never declares a healthy member dead.
 *
 * <p>{@link #evaluate()} is driven by the owner's timer (and by tests with a scripted clock).
 * Transitions go to {@code sink} (Baton hands them to the role handlers active on this node).
 * [Thread-safe]
 */
public final class MemberMonitor implements AutoCloseable {
  private static final Logger LOG = LoggerFactory.getLogger(MemberMonitor.class);

  /** Whether this node may run the failure detector: it is active for the members' role. */
  public interface Authority {
    /** The epoch of this node's confirmed activation of the members' role, or 0. */
    long epoch();

    /** The node active for the members' role as far as this node knows, or null. */
    String activeNode();

    /** An authority over {@code role} of {@code roles}. */
    static Authority of(RoleManager roles, String role) {
      roles.activation(role); // validates the role now
      return new Authority() {
        @Override
        public long epoch() {
          return roles.activation(role).map(RoleContext::epoch).orElse(0L);
        }

        @Override
        public String activeNode() {
          return roles.activeNode(role);
        }
      };
    }
  }

  private final String nodeId;
  private final MetadataStore store;
  private final Authority authority;
  private final MonotonicClock clock;
  private final Duration suspectAfter;
  private final Duration downAfter;
  private final Consumer<MemberTransition> sink;
  /** This node's copy of the member table: member id to address. */
  private final Map<String, String> table = new ConcurrentHashMap<>();
  private volatile boolean closed;
  private Watch tableWatch;
  private boolean loading;
  private FailureDetector detector;
  private long detectorEpoch;

  public MemberMonitor(String nodeId, MetadataStore store, Authority authority, MonotonicClock clock,
      Duration suspectAfter, Duration downAfter, Consumer<MemberTransition> sink) {
    this.nodeId = Objects.requireNonNull(nodeId, "nodeId");
    this.store = Objects.requireNonNull(store, "store");
    this.authority = Objects.requireNonNull(authority, "authority");
    this.clock = Objects.requireNonNull(clock, "clock");
    this.suspectAfter = suspectAfter;
    this.downAfter = downAfter;
    this.sink = Objects.requireNonNull(sink, "sink");
    new FailureDetector(clock, suspectAfter, downAfter); // validates the thresholds now
  }

  /**
   * Loads the member table and follows it. Completes once the table is loaded; a failure is logged
   * and loading is retried by {@link #evaluate()}.
   */
  public synchronized CompletableFuture<Void> start() {
    if (tableWatch != null || closed || loading) {
      return CompletableFuture.completedFuture(null);
    }
    loading = true;
    return store.range(Keys.MEMBERS, ReadConsistency.STALE).thenAccept(read -> {
      synchronized (this) {
        loading = false;
        if (closed || tableWatch != null) {
          return;
        }
        table.clear();
        for (KeyValue kv : read.kvs()) {
          table.put(kv.key().substring(Keys.MEMBERS.length()), kv.valueAsString());
        }
        tableWatch = store.watch(Keys.MEMBERS, read.revision() + 1, new TableListener());
        LOG.info("node {}: member table loaded ({} members)", nodeId, table.size());
      }
    }).whenComplete((v, e) -> {
      if (e != null) {
        synchronized (this) {
          loading = false;
        }
        LOG.warn("node {}: loading the member table failed, retrying: {}", nodeId, Futures.unwrap(e).toString());
      }
    });
  }

  private final class TableListener implements WatchListener {
    @Override
    public void onEvent(WatchEvent e) {
      final String member = e.key().substring(Keys.MEMBERS.length());
      final MemberTransition registered;
      synchronized (MemberMonitor.this) {
        if (e.type() == WatchEvent.Type.DELETE) {
          table.remove(member);
          if (detector != null) {
            detector.remove(member);
          }
          return;
        }
        table.put(member, e.kv().valueAsString());
        registered = detector != null && detector.state(member) == null ? detector.heartbeat(member) : null;
      }
      publish(registered); // registered: ALIVE from now on
    }

    @Override
    public void onError(BatonException error) {
      LOG.warn("node {}: the member table watch ended ({}); reloading the table", nodeId, error.getMessage());
      synchronized (MemberMonitor.this) {
        tableWatch = null;
      }
      start();
    }
  }

  /** Registers (or re-registers) a member with its address; replicated. */
  public CompletableFuture<Long> register(String member, String address) {
    requireId(member);
    return store.put(Keys.member(member), address.getBytes(StandardCharsets.UTF_8));
  }

  /** Removes a member from the table; replicated. */
  public CompletableFuture<Long> deregister(String member) {
    requireId(member);
    return store.delete(Keys.member(member));
  }

  private static void requireId(String member) {
    if (member == null || !member.matches("[A-Za-z0-9][A-Za-z0-9_.:-]{0,127}")) {
      throw new IllegalArgumentException("member id '" + member
          + "' is invalid: use 1-128 letters, digits, '_', '.', ':' or '-', starting with a letter or digit");
    }
  }

  /**
   * A heartbeat from {@code member}, received by this node.
   *
   * @throws NotLeaderException when this node is not active for the members' role; it names the
   *     node that is ({@link NotLeaderException#knownLeader()}) when known
   * @throws IllegalArgumentException when the member is not registered
   */
  public void heartbeat(String member) {
    final MemberTransition t;
    synchronized (this) {
      final FailureDetector d = detectorForCurrentEpoch();
      if (d == null) {
        final String active = authority.activeNode();
        throw new NotLeaderException("node " + nodeId + " is not active for the members' role: send heartbeats to "
            + (active == null || active.equals(nodeId) ? "the active node (none known yet)" : "node " + active), active);
      }
      if (d.state(member) == null && !table.containsKey(member)) {
        throw new IllegalArgumentException("member '" + member + "' is not registered: register it first");
      }
      t = d.heartbeat(member);
    }
    publish(t);
  }

  /** Moves silent members to SUSPECT or DOWN; call it on a timer. Does nothing unless active. */
  public void evaluate() {
    if (tableWatch == null && !closed) {
      start();
      return;
    }
    final List<MemberTransition> transitions;
    synchronized (this) {
      final FailureDetector d = detectorForCurrentEpoch();
      transitions = d == null ? List.of() : d.evaluate();
    }
    transitions.forEach(this::publish);
  }

  /** The members and their states as this node sees them (empty unless active). */
  public synchronized Map<String, MemberState> states() {
    return detector == null ? Map.of() : detector.states();
  }

  /** Member ids in this node's copy of the replicated table. */
  public List<String> registered() {
    return table.keySet().stream().sorted().toList();
  }

  private void publish(MemberTransition t) {
    if (t != null) {
      LOG.info("node {} epoch={}: member {} {} -> {} after {} ms of silence", nodeId, detectorEpoch, t.member(),
          t.from(), t.to(), t.silenceMillis());
      sink.accept(t);
    }
  }

  /** The detector of the current epoch, started from the table when this node took over; null if not active. */
  private FailureDetector detectorForCurrentEpoch() {
    final long epoch = closed ? 0 : authority.epoch();
    if (epoch == 0) {
      detector = null;
      detectorEpoch = 0;
      return null;
    }
    if (detector == null || detectorEpoch != epoch) {
      detector = new FailureDetector(clock, suspectAfter, downAfter);
      detectorEpoch = epoch;
      table.keySet().forEach(detector::heartbeat);
      LOG.info("node {} epoch={}: watching {} members from the replicated table", nodeId, epoch, table.size());
    }
    return detector;
  }

  @Override
  public synchronized void close() {
    closed = true;
    if (tableWatch != null) {
      tableWatch.close();
      tableWatch = null;
    }
    detector = null;
  }
}
