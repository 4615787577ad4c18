package io.baton.ha;

import io.baton.raft.BatonException;
import io.baton.raft.KeyValue;
import io.baton.raft.Leadership;
import io.baton.raft.MonotonicClock;
import io.baton.raft.NotLeaderException;
import io.baton.raft.RaftNode;
import io.baton.raft.ReadConsistency;
import io.baton.raft.Watch;
import io.baton.raft.WatchEvent;
import io.baton.raft.WatchListener;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.function.Consumer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Members (workers such as Milvus query and data nodes) and their failure detection.
 *
 * <p>The member <b>table</b> is replicated: {@link #register} writes {@code baton/members/<id>}
 * through the log, so every node, and so a new active, knows every member at once.
 * <b>Heartbeats</b> go to the active node only (not through the log); its {@link FailureDetector},
 * on the injected clock, turns silence into SUSPECT then DOWN. When this node becomes leader it
 * starts the detector from the whole table, every member ALIVE as of that moment (a grace period of
 * {@code suspectAfter}), so a takeover never declares a healthy member dead.
 *
 * <p>{@link #evaluate()} is driven by the owner's timer (and by tests with a scripted clock).
 * Transitions go to {@code sink} (the role manager hands them to active role handlers).
 * [Thread-safe]
 */
public final class MemberMonitor implements AutoCloseable {
  private static final Logger LOG = LoggerFactory.getLogger(MemberMonitor.class);
  /** Where the member table lives. */
  public static final String MEMBER_PREFIX = "baton/members/";

  private final RaftNode node;
  private final MonotonicClock clock;
  private final Duration suspectAfter;
  private final Duration downAfter;
  private final Consumer<MemberTransition> sink;
  private FailureDetector detector;
  private long detectorEpoch;
  private Watch tableWatch;

  public MemberMonitor(RaftNode node, MonotonicClock clock, Duration suspectAfter, Duration downAfter,
      Consumer<MemberTransition> sink) {
    this.node = node;
    this.clock = clock;
    this.suspectAfter = suspectAfter;
    this.downAfter = downAfter;
    this.sink = sink;
    new FailureDetector(clock, suspectAfter, downAfter); // validates the thresholds now
  }

  /** Registers (or re-registers) a member with its address; replicated. */
  public CompletableFuture<Long> register(String member, String address) {
    requireId(member);
    return node.metadata().put(MEMBER_PREFIX + member, address.getBytes(StandardCharsets.UTF_8));
  }

  /** Removes a member from the table; replicated. */
  public CompletableFuture<Long> deregister(String member) {
    requireId(member);
    return node.metadata().delete(MEMBER_PREFIX + member);
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
   * @throws NotLeaderException when this node is not the active one (send it to the known leader)
   * @throws IllegalArgumentException when the member is not registered
   */
  public void heartbeat(String member) {
    final FailureDetector d = detectorForCurrentEpoch();
    if (d == null) {
      throw new NotLeaderException("node " + node.nodeId() + " is not active: send heartbeats to the leader",
          node.status().leader());
    }
    if (d.state(member) == null) {
      // registered since the detector started? the local replica has applied every acknowledged write
      if (node.metadata().get(MEMBER_PREFIX + member, ReadConsistency.STALE).join().kvs().isEmpty()) {
        throw new IllegalArgumentException("member '" + member + "' is not registered: register it first");
      }
    }
    publish(d.heartbeat(member));
  }

  /** Moves silent members to SUSPECT or DOWN; call it on a timer. Does nothing unless active. */
  public void evaluate() {
    final FailureDetector d = detectorForCurrentEpoch();
    if (d != null) {
      d.evaluate().forEach(this::publish);
    }
  }

  /** The members and their states as this node sees them (empty unless active). */
  public synchronized Map<String, MemberState> states() {
    return detector == null ? Map.of() : detector.states();
  }

  private void publish(MemberTransition t) {
    if (t != null) {
      LOG.info("node {} epoch={}: member {} {} -> {} after {} ms of silence", node.nodeId(), detectorEpoch, t.member(),
          t.from(), t.to(), t.silenceMillis());
      sink.accept(t);
    }
  }

  /** The detector of the current epoch, started from the table when this node took over; null if not leader. */
  private synchronized FailureDetector detectorForCurrentEpoch() {
    final Leadership now = node.leadership();
    if (!now.leader()) {
      if (detector != null) {
        stopDetector();
      }
      return null;
    }
    if (detector == null || detectorEpoch != now.epoch()) {
      startDetector(now.epoch());
    }
    return detector;
  }

  private void startDetector(long epoch) {
    stopDetector();
    detector = new FailureDetector(clock, suspectAfter, downAfter);
    detectorEpoch = epoch;
    final var table = node.metadata().range(MEMBER_PREFIX, ReadConsistency.STALE).join();
    for (KeyValue kv : table.kvs()) {
      detector.heartbeat(kv.key().substring(MEMBER_PREFIX.length()));
    }
    LOG.info("node {} epoch={}: watching {} members from the replicated table", node.nodeId(), epoch, table.kvs().size());
    final FailureDetector mine = detector;
    tableWatch = node.metadata().watch(MEMBER_PREFIX, table.revision() + 1, new WatchListener() {
      @Override
      public void onEvent(WatchEvent e) {
        final String member = e.key().substring(MEMBER_PREFIX.length());
        synchronized (MemberMonitor.this) {
          if (detector != mine) {
            return;
          }
          if (e.type() == WatchEvent.Type.DELETE) {
            mine.remove(member);
            return;
          }
        }
        if (mine.state(member) == null) {
          publish(mine.heartbeat(member)); // registered: ALIVE from now on
        }
      }

      @Override
      public void onError(BatonException error) {
        LOG.warn("node {}: member table watch ended: {}", node.nodeId(), error.getMessage());
      }
    });
  }

  private void stopDetector() {
    if (tableWatch != null) {
      tableWatch.close();
      tableWatch = null;
    }
    detector = null;
    detectorEpoch = 0;
  }

  @Override
  public synchronized void close() {
    stopDetector();
  }

  /** Member ids in the replicated table (any node; stale read of the local replica). */
  public List<String> registered() {
    return node.metadata().range(MEMBER_PREFIX, ReadConsistency.STALE).join().kvs().stream()
        .map(kv -> kv.key().substring(MEMBER_PREFIX.length())).toList();
  }
}
