package io.baton.ha;

import io.baton.raft.Leadership;
import io.baton.raft.LeadershipListener;
import io.baton.raft.RaftNode;
import io.baton.store.Compare;
import io.baton.store.Futures;
import io.baton.store.KeyValue;
import io.baton.store.MetadataStore;
import io.baton.store.MonotonicClock;
import io.baton.store.Op;
import io.baton.store.ReadConsistency;
import io.baton.store.ReadResult;
import io.baton.store.Txn;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Executor;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * {@link Placement.Leader} on the Ratis backend: every role is active on the Raft leader while its
 * leader lease holds ({@link RaftNode#leadership()}).
 *
 * <p><b>Epochs.</b> A leader claims the roles it has no confirmed epoch for with one transaction
 * that writes each role's epoch key {@link Keys#holder} (value: its node id), compared against the
 * revision it last saw there; the revision of that write is the roles' new epoch, and the fence of
 * their writes (as with every placement and backend: {@link io.baton.store.Fence}). A claim
 * counts only in the term it was made in and only while the leader lease holds. When an
 * activation ends (its lease lapsed, say, during a pause) the claim is given up; if this node
 * still leads once its lease holds again it claims anew, so every activation has a new epoch and
 * no election is needed.
 */
final class LeaderElector implements Elector {
  private static final Logger LOG = LoggerFactory.getLogger(LeaderElector.class);

  private record Claim(long term, long epoch) {}

  private final RaftNode node;
  private final MetadataStore store;
  private final List<String> roles;
  private final MonotonicClock clock;
  private final long moveTimeoutNanos;
  private final Map<String, Claim> claims = new ConcurrentHashMap<>();
  private final RoleMoves moves = new RoleMoves();
  private volatile Map<String, String> holders = Map.of();
  private volatile boolean closed;
  private final ElectorLoop loop;
  private Runnable wake;
  private LeadershipListener listener;
  /** Loop-thread state: a read or a claim in flight, and the term whose claim failure was logged. */
  private boolean readInFlight;
  private boolean claimInFlight;
  private long claimFailureLoggedInTerm;

  /** @param moveTimeout how long a transfer or handover may take before it counts as failed */
  LeaderElector(RaftNode node, List<String> roles, Duration moveTimeout, MonotonicClock clock) {
    this.node = Objects.requireNonNull(node, "node");
    this.store = node.metadata();
    this.roles = List.copyOf(roles);
    this.clock = Objects.requireNonNull(clock, "clock");
    this.moveTimeoutNanos = moveTimeout.toNanos();
    this.loop = new ElectorLoop(node.nodeId());
  }

  @Override
  public void start(Executor loop, Runnable wake) {
    this.loop.start(loop);
    this.wake = wake;
    listener = new LeadershipListener() {
      @Override
      public void isLeader(long term) {
        wake.run();
      }

      @Override
      public void notLeader() {
        wake.run();
      }
    };
    node.addLeadershipListener(listener, Runnable::run);
  }

  @Override
  public void tick() {
    if (closed || readInFlight) {
      return;
    }
    readInFlight = true;
    final Map<String, CompletableFuture<ReadResult>> reads = new LinkedHashMap<>();
    for (String role : roles) {
      reads.put(role, store.get(Keys.holder(role), ReadConsistency.STALE)); // this node's replica
    }
    CompletableFuture.allOf(reads.values().toArray(CompletableFuture[]::new)).whenComplete((v, e) -> loop.run(() -> {
      readInFlight = false;
      if (e != null) {
        LOG.warn("node {}: reading the role holder keys from this node's replica failed: {}", node.nodeId(),
            Futures.unwrap(e).toString());
        return;
      }
      final Map<String, KeyValue> seen = new HashMap<>();
      final Map<String, String> names = new HashMap<>();
      reads.forEach((role, read) -> read.join().first().ifPresent(kv -> {
        seen.put(role, kv);
        names.put(role, kv.valueAsString());
      }));
      holders = Map.copyOf(names);
      claimWhatIsMissing(seen);
      moves.check(clock.nanoTime(), this::holderOf);
    }));
  }

  /** As leader, claims in one transaction every role without a claim of the current term. */
  private void claimWhatIsMissing(Map<String, KeyValue> seen) {
    final Leadership now = node.leadership();
    if (!now.leader() || claimInFlight) {
      return;
    }
    final List<Compare> compares = new ArrayList<>();
    final List<Op> ops = new ArrayList<>();
    final List<String> claimed = new ArrayList<>();
    final byte[] me = node.nodeId().getBytes(StandardCharsets.UTF_8);
    for (String role : roles) {
      final Claim c = claims.get(role);
      final KeyValue kv = seen.get(role);
      if (c != null && c.term() == now.epoch() && kv != null && kv.modRevision() == c.epoch()) {
        continue; // held, and nobody wrote the key since
      }
      if (c != null) {
        claims.remove(role, c);
      }
      compares.add(Compare.modRevision(Keys.holder(role), kv == null ? 0 : kv.modRevision()));
      ops.add(Op.put(Keys.holder(role), me));
      claimed.add(role);
    }
    if (claimed.isEmpty()) {
      return;
    }
    claimInFlight = true;
    final long term = now.epoch();
    store.txn(Txn.of(compares, ops)).whenComplete((r, e) -> loop.run(() -> {
      claimInFlight = false;
      if (e != null) {
        if (claimFailureLoggedInTerm != term) {
          claimFailureLoggedInTerm = term;
          LOG.warn("node {} role={} term={}: claiming as leader failed (retrying every check): {}", node.nodeId(),
              claimed, term, Futures.unwrap(e).toString());
        }
        return;
      }
      if (!r.succeeded()) {
        return; // a holder key changed since it was read: read again and retry
      }
      if (closed || node.leadership().epoch() != term) {
        return; // leadership moved on meanwhile; the write fences nothing of a later term's claim
      }
      for (String role : claimed) {
        claims.put(role, new Claim(term, r.revision()));
      }
      LOG.info("node {} role={} epoch={}: claimed as leader of term {}", node.nodeId(), claimed, r.revision(), term);
      wake.run();
    }));
  }

  @Override
  public long confirmedEpoch(String role) {
    final Claim c = claims.get(role);
    if (c == null || closed) {
      return 0;
    }
    final Leadership now = node.leadership();
    return now.leader() && now.epoch() == c.term() ? c.epoch() : 0;
  }

  @Override
  public MetadataStore fence(MetadataStore base, String role, long epoch) {
    return base.fencedBy(Keys.holder(role), epoch);
  }

  @Override
  public String activeNode(String role) {
    return holders.get(role);
  }

  private String holderOf(String role) {
    final String holder = holders.get(role);
    return holder != null && holder.equals(node.nodeId()) && confirmedEpoch(role) == 0 ? null : holder;
  }

  /** The epoch is given up for good: if this node still leads, it claims a new one. */
  @Override
  public void released(String role, long epoch) {
    claims.computeIfPresent(role, (r, c) -> c.epoch() == epoch ? null : c);
  }

  /** Every role moves with the Raft leadership: hands it to {@code target}, then waits until it claimed {@code role}. */
  @Override
  public CompletableFuture<Void> transfer(String role, String target) {
    if (target.equals(node.nodeId()) && confirmedEpoch(role) > 0) {
      return CompletableFuture.completedFuture(null);
    }
    final long deadline = clock.nanoTime() + moveTimeoutNanos;
    final CompletableFuture<Void> arrived = loop.call(() -> moves.to(role, target, deadline));
    // whether Ratis says the transfer worked is not the answer (in Ratis 3.3.0 a transfer can be
    // answered TIMED_OUT by an earlier transfer's timer while it goes through): the role arriving
    // on the target is; a request Ratis refuses for good fails at once
    return node.transferLeadership(target).handle((v, e) -> e).thenCompose(e -> {
      if (e != null && Futures.unwrap(e) instanceof IllegalArgumentException bad) {
        return CompletableFuture.failedFuture(bad);
      }
      return arrived.exceptionallyCompose(notMoved -> {
        if (e != null) {
          notMoved.addSuppressed(Futures.unwrap(e));
        }
        return CompletableFuture.failedFuture(Futures.unwrap(notMoved));
      });
    });
  }

  @Override
  public CompletableFuture<Void> handOver() {
    final List<String> held = roles.stream().filter(r -> confirmedEpoch(r) > 0).toList();
    if (held.isEmpty()) {
      return CompletableFuture.completedFuture(null);
    }
    final long deadline = clock.nanoTime() + moveTimeoutNanos;
    return node.handOverLeadership().thenCompose(handedOver -> {
      if (!handedOver) {
        return CompletableFuture.failedFuture(new RoleMoveException(held.get(0), "roles " + held
            + " not handed over: node " + node.nodeId() + " has no follower to hand the Raft leadership to"));
      }
      return loop.call(() -> CompletableFuture.allOf(held.stream()
          .map(r -> moves.awayFrom(r, node.nodeId(), deadline)).toArray(CompletableFuture[]::new)));
    });
  }

  @Override
  public void close() {
    closed = true;
    claims.clear();
    if (listener != null) {
      node.removeLeadershipListener(listener);
    }
    moves.failAll("node " + node.nodeId() + " is closing");
  }

}
