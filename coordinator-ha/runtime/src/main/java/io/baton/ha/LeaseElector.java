package io.baton.ha;

import io.baton.raft.Compare;
import io.baton.raft.Futures;
import io.baton.raft.KeyValue;
import io.baton.raft.MetadataStore;
import io.baton.raft.MonotonicClock;
import io.baton.raft.Op;
import io.baton.raft.RaftNode;
import io.baton.raft.ReadConsistency;
import io.baton.raft.ReadResult;
import io.baton.raft.StaleEpochException;
import io.baton.raft.Txn;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Executor;
import java.util.concurrent.TimeUnit;
import java.util.zip.CRC32C;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * {@link Placement.Spread}: roles held through role leases in the replicated store.
 *
 * <p>Each node keeps a <em>session</em>: a lease of {@code sessionTtl}, kept alive every sixth of
 * it, with its presence key {@code baton/nodes/<node>} bound to it. A role is held by the node
 * whose key {@code baton/roles/<role>/holder} (value: node id, bound to its session) exists; the
 * epoch is that key's create revision, and the fence of the role's writes
 * ({@link io.baton.raft.Txn#fencedBy}). A node takes a vacant role with a compare-and-set on the
 * key's absence.
 *
 * <p><b>Safety.</b> The holder counts its session as valid for 3/4 of the TTL after the
 * <em>sending</em> of the last keep-alive that succeeded; the leader expires the session no sooner
 * than a full TTL after it applied that keep-alive (a new leader restarts every TTL), and only then
 * can another node create the holder key. So the old holder has stopped before a new one starts,
 * given clocks that run at about the same rate.
 *
 * <p><b>Who takes a vacant role.</b> The live nodes (those with a presence key) in this order: a
 * transfer target named in {@code baton/roles/<role>/target} (an operator's), or else the node the
 * last holder handed the role to ({@code baton/roles/<role>/handover}), then by the number of roles they hold,
 * then by a hash of role and node. The first takes the role at once, the n-th after n grace periods
 * of vacancy, so a slow or lagging node does not leave a role vacant. Rebalancing: a node that holds
 * more than its share of roles hands one over per {@code rebalanceAfter} to the least loaded node
 * that has been live that long; a role moved by {@link #transfer} stays where it was sent.
 *
 * <p>All state changes run on the loop thread; {@link #confirmedEpoch} may be called from any.
 */
final class LeaseElector implements Elector {
  private static final Logger LOG = LoggerFactory.getLogger(LeaseElector.class);
  static final String NODES = "baton/nodes/";

  private final RaftNode node;
  private final MetadataStore store;
  private final String me;
  private final List<String> roles;
  private final Placement.Spread spread;
  private final MonotonicClock clock;
  private final long ttlNanos;
  private final long graceNanos;

  private Executor loop;
  private volatile boolean closed;
  private final LeaseSession session;
  /** Roles this node holds, with their epochs, confirmed by its own create-and-set and still seen locally. */
  private final Map<String, Long> held = new ConcurrentHashMap<>();
  /** Roles with an activation on this node, and its epoch (guarded by this). */
  private final Map<String, Long> activated = new HashMap<>();
  /** Handovers whose release names the chosen node in the handover key (not operator transfers). */
  private final Set<String> handoverNames = ConcurrentHashMap.newKeySet();
  /** Roles being handed over: no longer confirmed; the key is deleted once the handler stopped. */
  private final Map<String, String> handingOverTo = new ConcurrentHashMap<>();
  /** Holder keys to delete (fenced by their epoch), with the node to name as target (or ""). */
  private final Map<String, long[]> toDelete = new HashMap<>();
  private final Map<String, String> toDeleteTarget = new HashMap<>();
  private final Set<String> inFlight = ConcurrentHashMap.newKeySet();
  /** Roles this node took as a transfer's target: rebalancing leaves them where the operator put them. */
  private final Set<String> pinned = ConcurrentHashMap.newKeySet();
  /** The epoch this node last released per role (its delete may not have reached the local replica yet). */
  private final Map<String, Long> released = new HashMap<>();
  private final Map<String, Long> vacantSince = new HashMap<>();
  private final Map<String, Long> firstSeen = new HashMap<>();
  private long lastRebalance;
  private volatile Map<String, String> holders = Map.of();
  private final List<PendingTransfer> transfers = new ArrayList<>();

  private record PendingTransfer(String role, String target, long deadline, CompletableFuture<Void> done) {
  }

  LeaseElector(RaftNode node, List<String> roles, Placement.Spread spread, Duration checkInterval,
      MonotonicClock clock) {
    this.node = node;
    this.store = node.metadata();
    this.me = node.nodeId();
    this.roles = List.copyOf(new TreeSet<>(roles));
    this.spread = spread;
    this.clock = clock;
    this.ttlNanos = spread.sessionTtl().toNanos();
    this.graceNanos = Math.max(checkInterval.toNanos() * 4, ttlNanos / 10);
    this.session = new LeaseSession(me, "session", store, spread.sessionTtl(), spread.sessionTtl().dividedBy(6),
        spread.sessionTtl().dividedBy(4).multipliedBy(3), clock,
        id -> store.put(NODES + me, me.getBytes(StandardCharsets.UTF_8), id), new LeaseSession.Listener() {
          @Override
          public void expired(long id) {
            held.clear(); // every role lease of it is gone
            handingOverTo.clear();
          }
        });
  }

  static String holderKey(String role) {
    return RoleManager.ROLE_PREFIX + role + "/holder";
  }

  /** Where {@link #transfer} names the node an operator sends a role to. */
  static String targetKey(String role) {
    return RoleManager.ROLE_PREFIX + role + "/target";
  }

  /** Where a holder handing a role over (rebalancing, shutting down) names the node it chose. */
  static String handoverKey(String role) {
    return RoleManager.ROLE_PREFIX + role + "/handover";
  }

  @Override
  public void start(Executor loop, Runnable wake) {
    this.loop = loop;
    session.start(loop);
    lastRebalance = clock.nanoTime();
  }

  @Override
  public long confirmedEpoch(String role) {
    final Long epoch = held.get(role);
    if (epoch == null || handingOverTo.containsKey(role) || !sessionValid()) {
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

  private boolean sessionValid() {
    return session.valid();
  }

  @Override
  public long activationRevision(String role, long epoch) {
    return epoch; // the replica must have applied the holder key's creation, and so all before it
  }

  @Override
  public MetadataStore fence(MetadataStore base, String role, long epoch) {
    return base.fencedBy(holderKey(role), epoch);
  }

  @Override
  public String activeNode(String role) {
    final String holder = holders.get(role);
    return me.equals(holder) && confirmedEpoch(role) == 0 ? handingOverTo.get(role) : holder;
  }

  // ---- the loop --------------------------------------------------------------------------

  @Override
  public void tick() {
    if (closed) {
      return;
    }
    final long now = clock.nanoTime();
    session.tick();
    final Set<String> live = liveNodes(now);
    final Map<String, String> seen = new HashMap<>();
    final Map<String, KeyValue> holderKvs = new HashMap<>();
    final Map<String, String> targets = new HashMap<>();
    final Map<String, String> handovers = new HashMap<>();
    long appliedRevision = Long.MAX_VALUE;
    for (String role : roles) {
      final ReadResult read = store.get(holderKey(role), ReadConsistency.STALE).join();
      appliedRevision = Math.min(appliedRevision, read.revision());
      final KeyValue holder = read.first().orElse(null);
      final KeyValue target = local(targetKey(role));
      final KeyValue handover = local(handoverKey(role));
      if (handover != null) {
        handovers.put(role, handover.valueAsString());
      }
      holderKvs.put(role, holder);
      if (holder != null) {
        seen.put(role, holder.valueAsString());
      }
      if (target != null) {
        targets.put(role, target.valueAsString());
      }
    }
    holders = Map.copyOf(seen);
    final Map<String, Integer> load = loadOf(live, seen);
    for (String role : roles) {
      final KeyValue holder = holderKvs.get(role);
      final Long mine = held.get(role);
      // (the local replica may not have applied this node's own take-over yet: judge only once it has)
      if (mine != null && appliedRevision >= mine && (holder == null || holder.createRevision() != mine)) {
        held.remove(role);
        handingOverTo.remove(role);
        LOG.info("node {} role={} epoch={}: role lease gone (session expired or key deleted)", me, role, mine);
      }
      if (holder == null) {
        vacantSince.putIfAbsent(role, now);
        maybeAcquire(role, targets.get(role), handovers.get(role), live, load, now);
        continue;
      }
      vacantSince.remove(role);
      if (mine == null && me.equals(holder.valueAsString()) && !toDelete.containsKey(role) && !inFlight.contains(role)
          && released.getOrDefault(role, 0L) != holder.createRevision()) {
        // a holder key of an earlier life of this node: free the role rather than wait for that session to expire
        LOG.info("node {} role={} epoch={}: found this node's role lease from before a restart; releasing it", me,
            role, holder.createRevision());
        toDelete.put(role, new long[] {holder.createRevision()});
        toDeleteTarget.put(role, "");
      }
      if (mine != null && holder.createRevision() == mine && !handingOverTo.containsKey(role)) {
        final String target = targets.get(role);
        if (target != null && !target.equals(me) && live.contains(target)) {
          handOver(role, target, "transfer requested", false);
        } else if (target != null && target.equals(me)) {
          deleteTargetIfStill(role, target);
        }
      }
    }
    maybeRebalance(live, load, now);
    retryDeletes();
    completeTransfers(now);
  }

  /** Nodes with a presence key, and since when this node has seen each. */
  private Set<String> liveNodes(long now) {
    final Set<String> live = new TreeSet<>();
    for (KeyValue kv : store.range(NODES, ReadConsistency.STALE).join().kvs()) {
      live.add(kv.key().substring(NODES.length()));
    }
    firstSeen.keySet().retainAll(live);
    for (String n : live) {
      firstSeen.putIfAbsent(n, now);
    }
    return live;
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
    if (!sessionValid() || session.remainingNanos() < ttlNanos / 4 || inFlight.contains(role) || !live.contains(me)) {
      return;
    }
    final List<String> order = new ArrayList<>(live);
    final String first = target != null && live.contains(target) ? target : handover;
    order.sort(Comparator.<String>comparingInt(n -> n.equals(first) ? 0 : 1)
        .thenComparingInt(n -> load.getOrDefault(n, 0))
        .thenComparingLong(n -> hash(role, n))
        .thenComparing(n -> n));
    final int rank = order.indexOf(me);
    if (rank > 0 && now - vacantSince.get(role) < rank * graceNanos) {
      return;
    }
    inFlight.add(role);
    final long id = session.id();
    final String key = holderKey(role);
    final Txn txn = Txn.of(List.of(Compare.absent(key)),
        List.of(new Op.Put(key, me.getBytes(StandardCharsets.UTF_8), id), Op.delete(targetKey(role)),
            Op.delete(handoverKey(role))));
    store.txn(txn).whenComplete((r, e) -> onLoop(() -> {
      inFlight.remove(role);
      if (e != null) {
        LOG.debug("node {} role={}: taking the role lease failed: {}", me, role, Futures.unwrap(e).toString());
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
        toDelete.put(role, new long[] {r.revision()}); // session replaced or closing meanwhile: free it again
        toDeleteTarget.put(role, "");
      }
    }));
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
    onLoop(() -> releaseOnLoop(role, epoch));
  }

  private synchronized void releaseOnLoop(String role, long epoch) {
    activated.remove(role, epoch);
    final String handedTo = handingOverTo.remove(role);
    final String target = handoverNames.remove(role) ? handedTo : null;
    held.remove(role, epoch);
    toDelete.put(role, new long[] {epoch});
    toDeleteTarget.put(role, target == null ? "" : target);
    retryDeletes();
  }

  private void retryDeletes() {
    for (Iterator<Map.Entry<String, long[]>> it = toDelete.entrySet().iterator(); it.hasNext(); ) {
      final Map.Entry<String, long[]> e = it.next();
      final String role = e.getKey();
      final long epoch = e.getValue()[0];
      if (inFlight.contains(role)) {
        continue;
      }
      final String target = toDeleteTarget.getOrDefault(role, "");
      final List<Op> ops = target.isEmpty() ? List.of(Op.delete(holderKey(role)))
          : List.of(Op.delete(holderKey(role)), Op.put(handoverKey(role), target));
      inFlight.add(role);
      it.remove();
      toDeleteTarget.remove(role);
      store.txn(Txn.of(List.of(), ops).fencedBy(holderKey(role), epoch)).whenComplete((r, err) -> onLoop(() -> {
        inFlight.remove(role);
        if (err == null) {
          released.put(role, epoch);
          LOG.info("node {} role={} epoch={}: released the role lease{}", me, role, epoch,
              target.isEmpty() ? "" : " to " + target);
        } else if (Futures.unwrap(err) instanceof StaleEpochException) {
          released.put(role, epoch);
        } else if (!closed) {
          toDelete.putIfAbsent(role, new long[] {epoch}); // no quorum (yet): try again next tick
          toDeleteTarget.putIfAbsent(role, target);
        }
      }));
    }
  }

  private void deleteTargetIfStill(String role, String target) {
    store.txn(Txn.of(List.of(Compare.value(targetKey(role), target)), List.of(Op.delete(targetKey(role)))));
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
    final int held = mine.size();
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
    if (least == null || load.getOrDefault(least, 0) + 1 >= held) {
      return;
    }
    mine.sort(Comparator.comparingLong(r -> hash(r, me)));
    lastRebalance = now;
    handOver(mine.get(0), least, "rebalancing: " + held + " roles here, share " + share, true);
  }

  // ---- transfers and handover ------------------------------------------------------------

  @Override
  public CompletableFuture<Void> transfer(String role, String target) {
    final CompletableFuture<Void> done = new CompletableFuture<>();
    onLoop(() -> {
      final Set<String> live = liveNodes(clock.nanoTime());
      if (!live.contains(target)) {
        done.completeExceptionally(new IllegalArgumentException("node '" + target + "' is not live (live nodes: "
            + live + ")"));
        return;
      }
      transfers.add(new PendingTransfer(role, target,
          clock.nanoTime() + ttlNanos * 2 + node.options().requestTimeout().toNanos(), done));
      store.put(targetKey(role), target).whenComplete((rev, e) -> {
        if (e != null) {
          done.completeExceptionally(Futures.unwrap(e));
        }
      });
    });
    return done;
  }

  private void completeTransfers(long now) {
    for (Iterator<PendingTransfer> it = transfers.iterator(); it.hasNext(); ) {
      final PendingTransfer t = it.next();
      if (t.done.isDone()) {
        it.remove();
      } else if (t.target.equals(holders.get(t.role)) && (!t.target.equals(me) || confirmedEpoch(t.role) > 0)) {
        t.done.complete(null);
        it.remove();
      } else if (now - t.deadline >= 0) {
        t.done.completeExceptionally(new IllegalStateException("role " + t.role + " did not move to " + t.target
            + " in time; it is held by " + holders.get(t.role)));
        it.remove();
      }
    }
  }

  /** Hands every held role to the least loaded other live node, then the Raft leadership too. */
  @Override
  public CompletableFuture<Void> handOver() {
    final CompletableFuture<Void> done = new CompletableFuture<>();
    return handOverRoles(done).thenCompose(v -> node.handOverLeadership()).thenApply(handedOver -> null);
  }

  private CompletableFuture<Void> handOverRoles(CompletableFuture<Void> done) {
    onLoop(() -> {
      final Set<String> live = liveNodes(clock.nanoTime());
      live.remove(me);
      if (live.isEmpty() || held.isEmpty()) {
        done.complete(null);
        return;
      }
      final Map<String, Integer> load = loadOf(live, holders);
      for (String role : held.keySet()) {
        String least = null;
        for (String n : live) {
          if (least == null || load.get(n) < load.get(least)) {
            least = n;
          }
        }
        load.merge(least, 1, Integer::sum);
        handOver(role, least, "shutting down", true);
      }
      awaitNoneHeld(done, clock.nanoTime() + node.options().requestTimeout().toNanos());
    });
    return done;
  }

  private void awaitNoneHeld(CompletableFuture<Void> done, long until) {
    if (held.isEmpty() && toDelete.isEmpty() && inFlight.isEmpty() || clock.nanoTime() - until >= 0 || closed) {
      done.complete(null);
      return;
    }
    CompletableFuture.delayedExecutor(5, TimeUnit.MILLISECONDS, loop).execute(() -> awaitNoneHeld(done, until));
  }

  @Override
  public void close() {
    closed = true;
    final long id = session.stop();
    held.clear();
    if (id != 0) {
      // deletes the presence key and any role lease left: the others need not wait for the TTL
      store.revokeLease(id).exceptionally(e -> null);
    }
  }

  // ---- helpers ---------------------------------------------------------------------------

  private KeyValue local(String key) {
    return store.get(key, ReadConsistency.STALE).join().first().orElse(null);
  }

  private void onLoop(Runnable task) {
    try {
      loop.execute(task);
    } catch (java.util.concurrent.RejectedExecutionException closing) {
      // closed
    }
  }

  private static long hash(String role, String node) {
    final CRC32C crc = new CRC32C();
    crc.update((role + "\u0000" + node).getBytes(StandardCharsets.UTF_8));
    return crc.getValue();
  }
}
