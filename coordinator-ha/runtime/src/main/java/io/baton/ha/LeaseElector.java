package io.baton.ha;

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
import java.util.Comparator;
import java.util.HashMap;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Executor;
import java.util.zip.CRC32C;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * {@link Placement.Spread}: roles held through role leases in the metadata store, on any backend
 * (it needs nothing but leases and transactions).
 *
 * <p>Each node keeps a <em>session</em>: a lease of {@code sessionTtl}, kept alive every sixth of
 * it, with its presence key {@link Keys#node} bound to it. A role is held by the node whose key
 * {@link Keys#holder} (value: node id, bound to its session) exists; the epoch is the revision that
 * key was written at, and the fence of the role's writes ({@link io.baton.store.Fence}). A node
 * takes a vacant role with a compare-and-set on the key's absence.
 *
 * <p><b>Safety.</b> The holder counts its session as valid for 3/4 of the TTL after the
 * <em>sending</em> of the last keep-alive that succeeded; the store expires the session no sooner
 * than a full TTL after it received that keep-alive (a new Raft leader restarts every TTL), and only
 * then can another node create the holder key. So the old holder has stopped before a new one
 * starts, given clocks that run at about the same rate.
 *
 * <p><b>Who takes a vacant role.</b> The live nodes (those with a presence key) in this order: a
 * transfer target named in {@link Keys#target} (an operator's), or else the node the last holder
 * handed the role to ({@link Keys#handover}), then by the number of roles they hold, then by a hash
 * of role and node. The first takes the role at once, the n-th after n grace periods of vacancy, so
 * a slow or lagging node does not leave a role vacant. Rebalancing: a node that holds more than its
 * share of roles hands one over per {@code rebalanceAfter} to the least loaded node that has been
 * live that long; a role moved by {@link #transfer} stays where it was sent.
 *
 * <p>All state changes run on the loop thread, and every request is asynchronous: a store that
 * does not answer (etcd down, no quorum) only delays the view, while the session deadline keeps
 * being checked. {@link #confirmedEpoch} may be called from any thread.
 */
final class LeaseElector implements Elector {
  private static final Logger LOG = LoggerFactory.getLogger(LeaseElector.class);

  /** What one tick read from the store (this node's replica on Ratis; etcd serializable reads). */
  private record View(Set<String> live, Map<String, KeyValue> holders, Map<String, String> targets,
      Map<String, String> handovers, long revision) {}

  private final MetadataStore store;
  private final String me;
  private final List<String> roles;
  private final Placement.Spread spread;
  private final MonotonicClock clock;
  private final long ttlNanos;
  private final long graceNanos;
  private final long moveTimeoutNanos;
  private final ElectorLoop loop;
  private final LeaseSession session;
  private final RoleMoves moves = new RoleMoves();

  private volatile boolean closed;
  private ChangeWake changes;
  /** Handing everything over before a shutdown: take no role any more. */
  private volatile boolean leaving;
  /** Roles this node holds, with their epochs, confirmed by its own create-and-set and still seen locally. */
  private final Map<String, Long> held = new ConcurrentHashMap<>();
  /** Roles with an activation on this node, and its epoch (guarded by this). */
  private final Map<String, Long> activated = new HashMap<>();
  /** Handovers whose release names the chosen node in the handover key (not operator transfers). */
  private final Set<String> handoverNames = ConcurrentHashMap.newKeySet();
  /** Roles being handed over: no longer confirmed; the key is deleted once the handler stopped. */
  private final Map<String, String> handingOverTo = new ConcurrentHashMap<>();
  /** Holder keys to delete if still written at their epoch, with the node to name as the next holder (or ""). */
  private final Map<String, Long> toDelete = new HashMap<>();
  private final Map<String, String> toDeleteTarget = new HashMap<>();
  private final Set<String> inFlight = ConcurrentHashMap.newKeySet();
  /** Roles this node took as a transfer's target: rebalancing leaves them where the operator put them. */
  private final Set<String> pinned = ConcurrentHashMap.newKeySet();
  /** The epoch this node last released per role (its delete may not have reached the local replica yet). */
  private final Map<String, Long> released = new HashMap<>();
  /**
   * Per vacant role: since when this node has seen it vacant with this first choice (the transfer
   * target or handover node). A new first choice starts a new vacancy, so that a node that missed a
   * brief holding in between does not count its wait from an older vacancy and jump the order.
   */
  private final Map<String, Vacancy> vacantSince = new HashMap<>();

  private record Vacancy(String first, long since) {}
  private final Map<String, Long> firstSeen = new HashMap<>();
  private long lastRebalance;
  private volatile Map<String, String> holders = Map.of();
  /** Loop-thread state: a read in flight, and whether the last read failure was logged. */
  private boolean readInFlight;
  private final FailureRun readFailures = new FailureRun(LOG);

  /**
   * @param moveTimeout how long a transfer or handover may take before it counts as failed
   */
  LeaseElector(String nodeId, MetadataStore store, List<String> roles, Placement.Spread spread,
      Duration checkInterval, Duration moveTimeout, MonotonicClock clock) {
    this.me = Objects.requireNonNull(nodeId, "nodeId");
    this.store = Objects.requireNonNull(store, "store");
    this.roles = List.copyOf(new TreeSet<>(roles));
    this.spread = Objects.requireNonNull(spread, "spread");
    this.clock = Objects.requireNonNull(clock, "clock");
    this.ttlNanos = spread.sessionTtl().toNanos();
    this.graceNanos = Math.max(checkInterval.toNanos() * 4, ttlNanos / 10);
    this.moveTimeoutNanos = moveTimeout.toNanos();
    this.loop = new ElectorLoop(me);
    this.session = new LeaseSession(me, "session", store, spread.sessionTtl(), spread.sessionTtl().dividedBy(6),
        spread.sessionTtl().dividedBy(4).multipliedBy(3), clock,
        id -> store.put(Keys.node(me), me.getBytes(StandardCharsets.UTF_8), id), new LeaseSession.Listener() {
          @Override
          public void expired(long id) {
            held.clear(); // every role lease of it is gone
            handingOverTo.clear();
          }
        });
  }

  @Override
  public void start(Executor loopThread, Runnable wake) {
    loop.start(loopThread);
    session.start(loopThread);
    lastRebalance = clock.nanoTime();
    // holder, target and handover keys (not the roles' state): a released role is taken at once
    changes = new ChangeWake(store, me, Keys.ROLES, key -> {
      final String[] roleAndRest = Keys.roleAndRest(key);
      return roleAndRest != null && !roleAndRest[1].startsWith("state/");
    }, wake);
    changes.start();
  }

  @Override
  public long confirmedEpoch(String role) {
    final Long epoch = held.get(role);
    if (epoch == null || handingOverTo.containsKey(role) || !session.valid()) {
      return 0;
    }
    return epoch;
  }

  @Override
  public synchronized boolean beginActivation(String role, long epoch) {
    if (confirmedEpoch(role) != epoch) {
      return false;
    }
    activated.put(role, epoch);
    return true;
  }

  @Override
  public MetadataStore fence(MetadataStore base, String role, long epoch) {
    return base.fencedBy(Keys.holder(role), epoch);
  }

  @Override
  public String activeNode(String role) {
    final String holder = holders.get(role);
    return me.equals(holder) && confirmedEpoch(role) == 0 ? handingOverTo.get(role) : holder;
  }

  /** Whether this node's session (and so its presence key) is live and it is not handing its roles over. */
  @Override
  public boolean candidate(String role) {
    return !leaving && session.valid();
  }

  private String confirmedHolder(String role) {
    final String holder = holders.get(role);
    return me.equals(holder) && confirmedEpoch(role) == 0 ? null : holder;
  }

  // ---- the loop --------------------------------------------------------------------------

  @Override
  public void tick() {
    if (closed) {
      return;
    }
    session.tick();
    if (readInFlight) {
      return;
    }
    readInFlight = true;
    final CompletableFuture<ReadResult> nodes = store.range(Keys.NODES, ReadConsistency.STALE);
    final Map<String, List<CompletableFuture<ReadResult>>> reads = new LinkedHashMap<>();
    for (String role : roles) {
      reads.put(role, List.of(store.get(Keys.holder(role), ReadConsistency.STALE),
          store.get(Keys.target(role), ReadConsistency.STALE), store.get(Keys.handover(role), ReadConsistency.STALE)));
    }
    final List<CompletableFuture<?>> all = new ArrayList<>();
    all.add(nodes);
    reads.values().forEach(all::addAll);
    CompletableFuture.allOf(all.toArray(CompletableFuture[]::new)).whenComplete((v, e) -> loop.run(() -> {
      readInFlight = false;
      if (e != null) {
        readFailures.failed("node " + me + ": reading the role keys (the role view is stale meanwhile)", e);
        return;
      }
      readFailures.succeeded("node " + me + ": the role keys can be read again");
      final Set<String> liveNodes = new TreeSet<>();
      long revision = nodes.join().revision();
      for (KeyValue kv : nodes.join().kvs()) {
        liveNodes.add(kv.key().substring(Keys.NODES.length()));
      }
      final Map<String, KeyValue> holderKvs = new HashMap<>();
      final Map<String, String> targets = new HashMap<>();
      final Map<String, String> handovers = new HashMap<>();
      for (Map.Entry<String, List<CompletableFuture<ReadResult>>> r : reads.entrySet()) {
        final ReadResult holder = r.getValue().get(0).join();
        revision = Math.min(revision, holder.revision());
        holder.first().ifPresent(kv -> holderKvs.put(r.getKey(), kv));
        r.getValue().get(1).join().first().ifPresent(kv -> targets.put(r.getKey(), kv.valueAsString()));
        r.getValue().get(2).join().first().ifPresent(kv -> handovers.put(r.getKey(), kv.valueAsString()));
      }
      decide(new View(liveNodes, holderKvs, targets, handovers, revision));
    }));
  }

  private void decide(View view) {
    if (closed) {
      return;
    }
    final long now = clock.nanoTime();
    firstSeen.keySet().retainAll(view.live());
    for (String n : view.live()) {
      firstSeen.putIfAbsent(n, now);
    }
    final Map<String, String> seen = new HashMap<>();
    view.holders().forEach((role, kv) -> seen.put(role, kv.valueAsString()));
    holders = Map.copyOf(seen);
    final Map<String, Integer> load = loadOf(view.live(), seen);
    for (String role : roles) {
      final KeyValue holder = view.holders().get(role);
      final Long mine = held.get(role);
      // (the local replica may not have applied this node's own take-over yet: judge only once it has)
      if (mine != null && view.revision() >= mine && (holder == null || holder.modRevision() != mine)) {
        held.remove(role);
        handingOverTo.remove(role);
        LOG.info("node {} role={} epoch={}: role lease gone (session expired or key deleted)", me, role, mine);
      }
      if (holder == null) {
        final String first = firstChoice(view.targets().get(role), view.handovers().get(role), view.live());
        vacantSince.compute(role, (r, v) -> v != null && Objects.equals(v.first(), first) ? v : new Vacancy(first, now));
        maybeAcquire(role, view.targets().get(role), view.handovers().get(role), view.live(), load, now);
        continue;
      }
      vacantSince.remove(role);
      if (mine == null && me.equals(holder.valueAsString()) && !toDelete.containsKey(role) && !inFlight.contains(role)
          && released.getOrDefault(role, 0L) != holder.modRevision()) {
        // a holder key of an earlier life of this node: free the role rather than wait for that session to expire
        LOG.info("node {} role={} epoch={}: found this node's role lease from before a restart; releasing it", me,
            role, holder.modRevision());
        toDelete.put(role, holder.modRevision());
        toDeleteTarget.put(role, "");
      }
      if (mine != null && holder.modRevision() == mine && !handingOverTo.containsKey(role)) {
        final String target = view.targets().get(role);
        if (target != null && !target.equals(me) && view.live().contains(target)) {
          handOver(role, target, "transfer requested", false);
        } else if (target != null && target.equals(me)) {
          deleteTargetIfStill(role, target);
        }
      }
    }
    maybeRebalance(view.live(), load, now);
    retryDeletes();
    moves.check(now, this::confirmedHolder);
  }

  private static Map<String, Integer> loadOf(Set<String> live, Map<String, String> holderByRole) {
    final Map<String, Integer> load = new HashMap<>();
    live.forEach(n -> load.put(n, 0));
    holderByRole.values().forEach(n -> load.merge(n, 1, Integer::sum));
    return load;
  }

  /**
   * @param target   the node an operator's transfer names, or null
   * @param handover the node the last holder handed the role to, or null
   */
  private void maybeAcquire(String role, String target, String handover, Set<String> live, Map<String, Integer> load,
      long now) {
    if (leaving || !session.valid() || session.remainingNanos() < ttlNanos / 4 || inFlight.contains(role)
        || !live.contains(me)) {
      return;
    }
    final List<String> order = new ArrayList<>(live);
    final String first = firstChoice(target, handover, live);
    order.sort(Comparator.<String>comparingInt(n -> n.equals(first) ? 0 : 1)
        .thenComparingInt(n -> load.getOrDefault(n, 0))
        .thenComparingLong(n -> hash(role, n))
        .thenComparing(n -> n));
    final int rank = order.indexOf(me);
    // an operator's live target gets a whole session TTL to take the role before anyone else
    // tries (if it died meanwhile, its session ends and it is no longer live); otherwise one grace per rank
    final long wait = target != null && live.contains(target) ? Math.max(rank * graceNanos, ttlNanos)
        : rank * graceNanos;
    if (rank > 0 && now - vacantSince.get(role).since() < wait) {
      return;
    }
    inFlight.add(role);
    final long id = session.id();
    final String key = Keys.holder(role);
    final Txn txn = Txn.of(List.of(Compare.absent(key)),
        List.of(new Op.Put(key, me.getBytes(StandardCharsets.UTF_8), id), Op.delete(Keys.target(role)),
            Op.delete(Keys.handover(role))));
    store.txn(txn).whenComplete((r, e) -> loop.run(() -> {
      inFlight.remove(role);
      if (e != null) {
        LOG.info("node {} role={}: taking the vacant role lease failed, retrying on the next check: {}", me, role,
            Futures.unwrap(e).toString());
      } else if (r.succeeded() && session.id() == id && !closed) {
        held.put(role, r.revision());
        if (me.equals(target)) {
          pinned.add(role);
        } else {
          pinned.remove(role);
        }
        LOG.info("node {} role={} epoch={}: took the role lease (rank {} of {} live nodes)", me, role,
            r.revision(), rank + 1, live.size());
      } else if (r.succeeded()) {
        toDelete.put(role, r.revision()); // session replaced or closing meanwhile: free it again
        toDeleteTarget.put(role, "");
      }
    }));
  }

  /** The node a vacant role goes to first: a live transfer target, else the node it was handed to (or null). */
  private static String firstChoice(String target, String handover, Set<String> live) {
    return target != null && live.contains(target) ? target : handover;
  }

  /**
   * Hands {@code role} to {@code target}: stop confirming it now; delete the key once the handler
   * stopped ({@link #released}), or at once if the role was never activated here.
   */
  private synchronized void handOver(String role, String target, String why, boolean nameTarget) {
    final Long epoch = held.get(role);
    if (epoch == null) {
      return;
    }
    LOG.info("node {} role={} epoch={}: handing the role over to {} ({})", me, role, epoch, target, why);
    handingOverTo.put(role, target);
    if (nameTarget) {
      handoverNames.add(role);
    }
    if (!epoch.equals(activated.get(role))) {
      releaseOnLoop(role, epoch); // no activation exists, and none can start now
    }
  }

  @Override
  public void released(String role, long epoch) {
    loop.run(() -> releaseOnLoop(role, epoch));
  }

  private synchronized void releaseOnLoop(String role, long epoch) {
    activated.remove(role, epoch);
    final String handedTo = handingOverTo.remove(role);
    final String target = handoverNames.remove(role) ? handedTo : null;
    held.remove(role, epoch);
    toDelete.put(role, epoch);
    toDeleteTarget.put(role, target == null ? "" : target);
    retryDeletes();
  }

  /** Deletes released holder keys that are still at their epoch (resign only what is yours); retried until the store answers. */
  private void retryDeletes() {
    for (Iterator<Map.Entry<String, Long>> it = toDelete.entrySet().iterator(); it.hasNext(); ) {
      final Map.Entry<String, Long> e = it.next();
      final String role = e.getKey();
      final long epoch = e.getValue();
      if (inFlight.contains(role)) {
        continue;
      }
      final String target = toDeleteTarget.getOrDefault(role, "");
      final List<Op> ops = target.isEmpty() ? List.of(Op.delete(Keys.holder(role)))
          : List.of(Op.delete(Keys.holder(role)), Op.put(Keys.handover(role), target));
      inFlight.add(role);
      it.remove();
      toDeleteTarget.remove(role);
      store.txn(Txn.of(List.of(Compare.modRevision(Keys.holder(role), epoch)), ops)).whenComplete((r, err) -> loop.run(() -> {
        inFlight.remove(role);
        if (err == null) {
          released.put(role, epoch);
          LOG.info("node {} role={} epoch={}: {}", me, role, epoch, !r.succeeded()
              ? "role lease already gone or replaced: nothing to release"
              : "released the role lease" + (target.isEmpty() ? "" : " to " + target));
        } else if (!closed) {
          LOG.info("node {} role={} epoch={}: releasing the role lease failed, retrying on the next check: {}", me,
              role, epoch, Futures.unwrap(err).toString());
          toDelete.putIfAbsent(role, epoch);
          toDeleteTarget.putIfAbsent(role, target);
        }
      }));
    }
  }

  private void deleteTargetIfStill(String role, String target) {
    if (!inFlight.add(role)) {
      return;
    }
    store.txn(Txn.of(List.of(Compare.value(Keys.target(role), target)), List.of(Op.delete(Keys.target(role)))))
        .whenComplete((r, e) -> loop.run(() -> {
          inFlight.remove(role);
          if (e != null) {
            LOG.info("node {} role={}: clearing the fulfilled transfer target failed, retrying on the next check: {}",
                me, role, Futures.unwrap(e).toString());
          }
        }));
  }

  /** A node holding more than its share hands one role to the least loaded node live for rebalanceAfter. */
  private void maybeRebalance(Set<String> live, Map<String, Integer> load, long now) {
    final long after = spread.rebalanceAfter().toNanos();
    if (after == 0 || now - lastRebalance < after || !handingOverTo.isEmpty()) {
      return;
    }
    final List<String> stable = new ArrayList<>();
    for (String n : live) {
      if (n.equals(me) || now - firstSeen.getOrDefault(n, now) >= after) {
        stable.add(n);
      }
    }
    final int share = (roles.size() + stable.size() - 1) / Math.max(1, stable.size());
    final List<String> mine = new ArrayList<>();
    held.forEach((role, epoch) -> {
      if (confirmedEpoch(role) == epoch) {
        mine.add(role);
      }
    });
    if (mine.size() <= share) {
      return;
    }
    final int count = mine.size();
    mine.removeAll(pinned);
    if (mine.isEmpty()) {
      return;
    }
    String least = null;
    for (String n : stable) {
      if (!n.equals(me) && (least == null || load.getOrDefault(n, 0) < load.getOrDefault(least, 0))) {
        least = n;
      }
    }
    if (least == null || load.getOrDefault(least, 0) + 1 >= count) {
      return;
    }
    mine.sort(Comparator.comparingLong(r -> hash(r, me)));
    lastRebalance = now;
    handOver(mine.get(0), least, "rebalancing: " + count + " roles here, share " + share, true);
  }

  /**
   * Node {@code node}'s process is gone (the backend saw its connection closed and refused): ends
   * its session now (revokes the lease its presence key is bound to), so that its roles are taken
   * over at once instead of after the session TTL. A node that is only silent is never reported, and
   * keeps its roles until its session expires.
   */
  void nodeGone(String node) {
    loop.run(() -> {
      if (closed || node.equals(me)) {
        return;
      }
      store.get(Keys.node(node), ReadConsistency.STALE).thenCompose(read -> {
        final long lease = read.first().map(KeyValue::leaseId).orElse(0L);
        if (lease == 0) {
          return CompletableFuture.completedFuture(null);
        }
        LOG.info("node {}: node {}'s process is gone; ending its session {} so that its roles move now", me, node,
            Long.toHexString(lease));
        return store.revokeLease(lease);
      }).whenComplete((rev, e) -> {
        if (e != null) {
          LOG.info("node {}: ending the session of the dead node {} failed ({}); its roles move once it expires", me,
              node, Futures.unwrap(e).toString());
        }
      });
    });
  }

  // ---- transfers and handover ------------------------------------------------------------

  /** Names {@code target} in the role's target key; the holder hands the role over on its next check. */
  @Override
  public CompletableFuture<Void> transfer(String role, String target) {
    return liveNow().thenCompose(nodes -> loop.call(() -> {
      if (!nodes.contains(target)) {
        return CompletableFuture.failedFuture(new IllegalArgumentException("node '" + target
            + "' is not a live node of the cluster (live nodes: " + nodes + ")"));
      }
      final CompletableFuture<Void> arrived = moves.to(role, target, clock.nanoTime() + moveTimeoutNanos);
      return store.put(Keys.target(role), target).thenCompose(rev -> arrived);
    }));
  }

  /** The live nodes now: a linearizable read of the presence keys (a transfer or handover must not act on a stale view). */
  private CompletableFuture<Set<String>> liveNow() {
    return store.range(Keys.NODES, ReadConsistency.LINEARIZABLE).thenApply(read -> {
      final Set<String> nodes = new TreeSet<>();
      read.kvs().forEach(kv -> nodes.add(kv.key().substring(Keys.NODES.length())));
      return nodes;
    });
  }

  /**
   * Hands every held role to the least loaded other live node, and takes no role from now on;
   * completes once each is held elsewhere.
   */
  @Override
  public CompletableFuture<Void> handOver() {
    leaving = true;
    if (held.isEmpty()) {
      return CompletableFuture.completedFuture(null);
    }
    return liveNow().thenCompose(nodes -> loop.call(() -> {
      final List<String> mine = new ArrayList<>(held.keySet());
      if (mine.isEmpty()) {
        return CompletableFuture.completedFuture(null);
      }
      final Set<String> others = new TreeSet<>(nodes);
      others.remove(me);
      if (others.isEmpty()) {
        return CompletableFuture.failedFuture(new RoleMoveException(mine.get(0), "roles " + mine
            + " not handed over: no other live node to take them"));
      }
      final Map<String, Integer> load = loadOf(others, holders);
      final long deadline = clock.nanoTime() + moveTimeoutNanos;
      final List<CompletableFuture<Void>> moved = new ArrayList<>();
      for (String role : mine) {
        String least = null;
        for (String n : others) {
          if (least == null || load.get(n) < load.get(least)) {
            least = n;
          }
        }
        load.merge(least, 1, Integer::sum);
        moved.add(moves.awayFrom(role, me, deadline));
        handOver(role, least, "shutting down", true);
      }
      return CompletableFuture.allOf(moved.toArray(CompletableFuture[]::new));
    }));
  }

  @Override
  public void close() {
    closed = true;
    if (changes != null) {
      changes.close();
    }
    final long id = session.stop();
    held.clear();
    moves.failAll("node " + me + " is closing");
    if (id != 0) {
      // deletes the presence key and any role lease left: the others need not wait for the TTL
      store.revokeLease(id).whenComplete((rev, e) -> {
        if (e != null) {
          LOG.warn("node {}: revoking session {} on close failed ({}); its roles move once it expires, within {} ms",
              me, Long.toHexString(id), Futures.unwrap(e).toString(), spread.sessionTtl().toMillis());
        }
      });
    }
  }

  private static long hash(String role, String node) {
    final CRC32C crc = new CRC32C();
    crc.update((role + "\u0000" + node).getBytes(StandardCharsets.UTF_8));
    return crc.getValue();
  }
}
