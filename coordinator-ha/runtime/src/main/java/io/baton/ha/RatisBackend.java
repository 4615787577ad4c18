package io.baton.ha;

import io.baton.raft.Peer;
import io.baton.raft.RaftNode;
import io.baton.raft.RaftNodeOptions;
import io.baton.raft.RaftStatus;
import io.baton.raft.Rehearsal;
import io.baton.store.MetadataStore;
import io.baton.store.MonotonicClock;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Objects;
import java.util.Optional;
import java.util.concurrent.CancellationException;
import java.util.concurrent.CompletableFuture;
import org.jboss.logging.Logger;

/**
 * The embedded Ratis backend: one {@link RaftNode} per node. Offers the leader placement (every
 * role on the Raft leader, {@link LeaderElector}) and the spread placement (role leases in the
 * replicated store, {@link LeaseElector}).
 */
public final class RatisBackend implements Backend {
  private static final Logger LOG = Logger.getLogger(RatisBackend.class);
  /** The practice cluster's handovers and the writes each of its leaders makes (see {@link #rehearse}). */
  private static final int REHEARSAL_HANDOVERS = 4;
  private static final int REHEARSAL_WRITES = 20;

  private final RaftNode node;
  private volatile Rehearsal rehearsal;
  private volatile boolean rehearsing;

  /** Over a started node; {@link #close()} closes it. */
  public RatisBackend(RaftNode node) {
    this.node = Objects.requireNonNull(node, "node");
  }

  /** The Raft node. */
  public RaftNode node() {
    return node;
  }

  @Override
  public String name() {
    return "ratis";
  }

  @Override
  public String nodeId() {
    return node.nodeId();
  }

  @Override
  public MetadataStore store() {
    return node.metadata();
  }

  @Override
  public boolean running() {
    return node.state() == RaftNode.State.STARTED;
  }

  @Override
  public Elector elector(List<String> roles, Placement placement, Duration checkInterval, MonotonicClock clock) {
    final RaftNodeOptions o = node.options();
    final Duration moveTimeout = o.requestTimeout().multipliedBy(2);
    if (placement instanceof Placement.Spread spread) {
      if (spread.sessionTtl().compareTo(o.electionTimeoutMax()) < 0) {
        throw new IllegalArgumentException("session TTL " + spread.sessionTtl().toMillis() + " ms is below the"
            + " maximum election timeout (" + o.electionTimeoutMax().toMillis() + " ms): a Raft election alone could"
            + " expire every session");
      }
      requireAtMost(checkInterval, spread.sessionTtl().dividedBy(8), "1/8 of the session TTL ("
          + spread.sessionTtl().toMillis() + " ms), so that a lapsed session is noticed before the role lease can"
          + " expire on the leader");
      final LeaseElector elector = new LeaseElector(node.nodeId(), node.metadata(), roles, spread, checkInterval,
          moveTimeout.plus(spread.sessionTtl().multipliedBy(2)), clock);
      onNodeGone(elector::nodeGone);
      return elector;
    }
    final Duration margin = o.electionTimeoutMin().minus(o.leaderLease());
    requireAtMost(checkInterval, margin.dividedBy(2), "half of electionTimeoutMin - leaderLease (" + margin.toMillis()
        + " ms), so that a lost lease is noticed before another node can be elected");
    return new LeaderElector(node, roles, moveTimeout, clock);
  }

  private static void requireAtMost(Duration checkInterval, Duration max, String what) {
    if (checkInterval.isZero() || checkInterval.isNegative()) {
      throw new IllegalArgumentException("checkInterval " + checkInterval.toMillis() + " ms must be positive");
    }
    if (checkInterval.compareTo(max) > 0) {
      throw new IllegalArgumentException("checkInterval " + checkInterval.toMillis() + " ms must be at most " + what);
    }
  }

  /** A third of the margin between the leader lease and the election timeout (at least 1 ms). */
  @Override
  public Duration checkInterval(Placement placement) {
    final RaftNodeOptions o = node.options();
    final long marginNanos = o.electionTimeoutMin().minus(o.leaderLease()).toNanos();
    return Duration.ofNanos(Math.max(1_000_000, marginNanos / 3));
  }

  /** Hands the Raft leadership to the most up-to-date follower, if this node leads. */
  @Override
  public CompletableFuture<Void> handOver() {
    if (!node.status().isLeader()) {
      return CompletableFuture.completedFuture(null);
    }
    return node.handOverLeadership().thenCompose(handedOver -> handedOver ? CompletableFuture.completedFuture(null)
        : CompletableFuture.failedFuture(new IllegalStateException("node " + node.nodeId()
            + " leads the Raft group and has no follower to hand the leadership to")));
  }

  @Override
  public CompletableFuture<io.baton.raft.Backup.Info> backup(java.io.OutputStream out) {
    return node.backup(out);
  }

  @Override
  public void onNodeGone(java.util.function.Consumer<String> listener) {
    node.addPeerGoneListener(listener);
  }

  @Override
  public Optional<NodeStatus.Raft> raftStatus() {
    final RaftStatus s = node.status();
    final boolean member = node.members().stream().map(Peer::id).anyMatch(node.nodeId()::equals);
    return Optional.of(new NodeStatus.Raft(s.role().name(), s.term(), s.leader(), s.commitIndex(), s.appliedIndex(),
        node.serverAlive(), member, node.leaderChanges(), node.logFailure(), rehearsing));
  }

  @Override
  public long raftTerm() {
    return node.term();
  }

  /**
   * Runs a {@link Rehearsal} in the background, once, with its storage in {@code dir}: the first
   * takeover of a new process then runs warm code. {@link NodeStatus.Raft#rehearsing()} is true
   * until it ends (at most {@link Rehearsal#DEADLINE}); readiness waits for that. Its outcome is one
   * log line; a failure costs only that speed.
   *
   * @throws IllegalStateException when called twice
   */
  public synchronized void rehearse(Path dir) {
    if (rehearsal != null) {
      throw new IllegalStateException("node " + node.nodeId() + " rehearses once");
    }
    final Rehearsal r = new Rehearsal(dir);
    rehearsal = r;
    rehearsing = true; // before the thread starts: a status read right after this call shows it
    final Thread t = new Thread(() -> {
      try {
        final Duration took = r.run(REHEARSAL_HANDOVERS, REHEARSAL_WRITES);
        LOG.infof("node %s role=- epoch=-: rehearsed %d leader handovers in a practice cluster in %d ms (the code of a"
            + " takeover is now warm in this process)", node.nodeId(), REHEARSAL_HANDOVERS, took.toMillis());
      } catch (CancellationException stopped) {
        LOG.debugf("node %s: rehearsal stopped by shutdown", node.nodeId());
      } catch (Exception e) {
        LOG.warnf("node %s role=- epoch=-: the practice cluster failed (%s); the first takeover in this process will"
            + " run cold code, nothing else is affected", node.nodeId(), e);
      } finally {
        rehearsing = false;
      }
    }, "baton-rehearsal");
    t.setDaemon(true);
    t.start();
  }

  /** Stops a rehearsal still running, then the node. */
  @Override
  public void close() {
    final Rehearsal r = rehearsal;
    if (r != null) {
      r.close();
    }
    node.close();
  }
}
