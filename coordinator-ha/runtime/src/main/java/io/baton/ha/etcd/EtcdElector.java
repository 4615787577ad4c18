package io.baton.ha.etcd;

import io.baton.ha.Elector;
import io.baton.ha.LeaseSession;
import io.baton.raft.Compare;
import io.baton.raft.Futures;
import io.baton.raft.KeyValue;
import io.baton.raft.MetadataStore;
import io.baton.raft.MonotonicClock;
import io.baton.raft.Op;
import io.baton.raft.ReadConsistency;
import io.baton.raft.ReadResult;
import io.baton.raft.Txn;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Executor;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The etcd backend's elector: etcd's own election recipe, the one {@code etcdctl elect} and Go's
 * {@code concurrency.Election} use, so Baton candidates and candidates in other languages agree on
 * one leader. For each role, election {@code <prefix>/<role>}: every candidate puts
 * {@code <prefix>/<role>/<lease id in hex>} (value: its node id) bound to its session lease; the
 * candidate whose key has the lowest create revision leads, and the epoch is that create revision
 * (the fence of the role's writes: {@code fencedBy(leader key, epoch)}).
 *
 * <p><b>Sessions.</b> One lease per node, of {@code ttl} (etcd's minimum is about 2 s), kept alive
 * every tenth of it (a keep-alive is one small request). The leader counts its leadership valid until the last successful keep-alive's
 * <em>sending</em> time plus {@code ttl − margin} on its own clock; etcd expires the lease no
 * sooner than {@code ttl} after it received that keep-alive (and a new etcd leader restarts every
 * TTL), so the old leader has stopped before its key can disappear (margin = ttl/5). An etcd
 * outage shorter than {@code ttl − margin − ttl/10} (70% of the TTL) therefore causes no step-down.
 * A longer one cannot be told apart from this node being cut off from a working etcd, so the leader
 * steps down before its lease could expire; a longer one makes the leader step
 * down and stay alive; it campaigns again, with a new session if the old one expired, when etcd
 * answers again.
 *
 * <p>A leadership is never renewed in its own epoch: when this node gives a role up (lost session,
 * handover, transfer) it deletes its key and campaigns again at the back of the queue.
 */
public final class EtcdElector implements Elector {
  private static final Logger LOG = LoggerFactory.getLogger(EtcdElector.class);

  private final MetadataStore store;
  private final String nodeId;
  private final String prefix;
  private final List<String> roles;

  private Executor loop;
  private volatile boolean closed;
  /** Stopped by a handover or close: no new session, so no new campaign. */
  private final LeaseSession session;
  private boolean readInFlight;
  /** Per role: this node's candidate key and its create revision (0 while being created). */
  private final Map<String, long[]> myRevision = new ConcurrentHashMap<>();
  private final Map<String, String> myKey = new ConcurrentHashMap<>();
  /** Per role, from the last tick: the leading key and its value. */
  private volatile Map<String, KeyValue> leaders = Map.of();
  /** Keys this node resigned and must still delete (retried every tick until etcd confirms). */
  private final Map<String, String> resigning = new ConcurrentHashMap<>();
  private final java.util.Set<String> deleting = ConcurrentHashMap.newKeySet();

  /**
   * @param prefix the elections' prefix: role {@code r} is election {@code <prefix>/r}
   * @param ttl    the session lease's TTL (etcd rounds it up to whole seconds)
   */
  public EtcdElector(MetadataStore store, String nodeId, String prefix, List<String> roles, Duration ttl,
      MonotonicClock clock) {
    this.store = Objects.requireNonNull(store, "store");
    this.nodeId = Objects.requireNonNull(nodeId, "nodeId");
    this.prefix = prefix.endsWith("/") ? prefix.substring(0, prefix.length() - 1) : prefix;
    this.roles = List.copyOf(roles);
    if (ttl.compareTo(Duration.ofSeconds(2)) < 0) {
      throw new IllegalArgumentException("etcd lease TTL " + ttl.toMillis() + " ms is below etcd's minimum of 2 s");
    }
    this.session = new LeaseSession(nodeId, "etcd session", store, ttl, ttl.dividedBy(10),
        ttl.minus(ttl.dividedBy(5)), clock, null, new LeaseSession.Listener() {
          @Override
          public void started(long id) {
            myRevision.clear(); // candidate keys of an earlier session are gone with it
            myKey.clear();
          }
        });
  }

  /** The election of a role: {@code <prefix>/<role>}, as {@code etcdctl elect} names it. */
  public String electionOf(String role) {
    return prefix + "/" + role;
  }

  @Override
  public void start(Executor loop, Runnable wake) {
    this.loop = loop;
    session.start(loop);
  }

  @Override
  public long confirmedEpoch(String role) {
    if (!session.valid() || resigning.containsKey(role)) {
      return 0;
    }
    final long[] mine = myRevision.get(role);
    final KeyValue leader = leaders.get(role);
    if (mine == null || mine[0] == 0 || leader == null || leader.createRevision() != mine[0]) {
      return 0;
    }
    return mine[0];
  }

  @Override
  public synchronized boolean beginActivation(String role, long epoch) {
    return confirmedEpoch(role) == epoch;
  }

  @Override
  public long activationRevision(String role, long epoch) {
    return epoch;
  }

  @Override
  public MetadataStore fence(MetadataStore base, String role, long epoch) {
    final String key = myKey.get(role);
    final KeyValue leader = leaders.get(role);
    return base.fencedBy(key != null ? key : leader.key(), epoch);
  }

  @Override
  public String activeNode(String role) {
    final KeyValue leader = leaders.get(role);
    return leader == null ? null : leader.valueAsString();
  }

  @Override
  public void tick() {
    if (closed) {
      return;
    }
    session.tick();
    resignations();
    if (readInFlight) {
      return;
    }
    // never block the watchdog: read every election asynchronously; a read that etcd does not
    // answer only delays the view, while the session deadline keeps being checked
    readInFlight = true;
    final Map<String, CompletableFuture<ReadResult>> reads = new java.util.LinkedHashMap<>();
    for (String role : roles) {
      // a stale read is safe here: keys with a lower create revision never come back
      reads.put(role, store.range(electionOf(role) + "/", ReadConsistency.STALE));
    }
    CompletableFuture.allOf(reads.values().toArray(CompletableFuture[]::new)).whenComplete((v, e) -> onLoop(() -> {
      readInFlight = false;
      if (e != null) {
        return;
      }
      final Map<String, KeyValue> seen = new java.util.HashMap<>();
      reads.forEach((role, read) -> {
        final ReadResult r = read.join();
        r.kvs().stream().min(Comparator.comparingLong(KeyValue::createRevision)).ifPresent(kv -> seen.put(role, kv));
        campaign(role, r);
      });
      leaders = Map.copyOf(seen);
    }));
  }

  /** Puts this node's candidate key if it has none in this session (the recipe's Campaign). */
  private void campaign(String role, ReadResult current) {
    final long id = session.id();
    if (!session.valid() || myRevision.containsKey(role) || resigning.containsKey(role)) {
      return;
    }
    final String key = electionOf(role) + "/" + Long.toHexString(id);
    myRevision.put(role, new long[] {0});
    myKey.put(role, key);
    // if the put fails because the key exists, it is this session's own (an earlier attempt that timed out)
    store.txn(Txn.of(List.of(Compare.absent(key)), List.of(new Op.Put(key, nodeId.getBytes(StandardCharsets.UTF_8),
        id)))).thenCompose(r -> store.get(key)).whenComplete((r, e) -> onLoop(() -> {
          if (e != null || r.kvs().isEmpty() || session.id() != id) {
            myRevision.remove(role);
            myKey.remove(role);
            if (e != null) {
              LOG.debug("node {} role={}: campaigning failed: {}", nodeId, role, Futures.unwrap(e).toString());
            }
            return;
          }
          myRevision.get(role)[0] = r.kvs().get(0).createRevision();
          LOG.info("node {} role={}: campaigning in election {} with key revision {}", nodeId, role, electionOf(role),
              r.kvs().get(0).createRevision());
        }));
  }

  /** This node's activation ended: resign (delete its key) and campaign again at the back. */
  @Override
  public void released(String role, long epoch) {
    onLoop(() -> resign(role, "the activation of epoch " + epoch + " ended"));
  }

  private CompletableFuture<Void> resign(String role, String why) {
    final String key = myKey.remove(role);
    myRevision.remove(role);
    if (key == null) {
      return CompletableFuture.completedFuture(null);
    }
    resigning.put(role, key);
    LOG.info("node {} role={}: resigning from election {} ({})", nodeId, role, electionOf(role), why);
    return deleteResigned(role, key);
  }

  /** Retries the deletes of resigned keys: until one succeeds this node does not campaign for that role. */
  private void resignations() {
    resigning.forEach((role, key) -> {
      if (!deleting.contains(role)) {
        deleteResigned(role, key);
      }
    });
  }

  private CompletableFuture<Void> deleteResigned(String role, String key) {
    deleting.add(role);
    return store.delete(key).handle((rev, e) -> {
      deleting.remove(role);
      if (e == null) {
        resigning.remove(role, key);
      }
      return null;
    });
  }

  /** Resigns if this node leads, so that the next candidate in line takes over; only that candidate can be the target. */
  @Override
  public CompletableFuture<Void> transfer(String role, String target) {
    final CompletableFuture<Void> done = new CompletableFuture<>();
    onLoop(() -> {
      final List<KeyValue> queue = store.range(electionOf(role) + "/", ReadConsistency.LINEARIZABLE).join().kvs()
          .stream().sorted(Comparator.comparingLong(KeyValue::createRevision)).toList();
      if (queue.size() < 2 || !queue.get(1).valueAsString().equals(target)) {
        done.completeExceptionally(new IllegalArgumentException("on etcd a role moves to the next candidate in line"
            + " only; for " + role + " that is " + (queue.size() < 2 ? "nobody" : queue.get(1).valueAsString())
            + ", not " + target));
        return;
      }
      final KeyValue leader = queue.get(0);
      store.delete(leader.key()).whenComplete((rev, e) -> {
        if (e != null) {
          done.completeExceptionally(Futures.unwrap(e));
        } else {
          done.complete(null);
        }
      });
    });
    return done;
  }

  /** Resigns every role and ends the session, so that standbys take over at once. */
  @Override
  public CompletableFuture<Void> handOver() {
    final CompletableFuture<Void> done = new CompletableFuture<>();
    onLoop(() -> {
      final long id = session.stop();
      final CompletableFuture<?>[] resignations = roles.stream().map(r -> resign(r, "shutting down"))
          .toArray(CompletableFuture[]::new);
      CompletableFuture.allOf(resignations)
          .thenCompose(v -> id == 0 ? CompletableFuture.completedFuture(0L) : store.revokeLease(id))
          .orTimeout(5, TimeUnit.SECONDS)
          .whenComplete((v, e) -> done.complete(null));
    });
    return done;
  }

  @Override
  public void close() {
    closed = true;
    final long id = session.stop();
    if (id != 0) {
      store.revokeLease(id).exceptionally(e -> null);
    }
  }

  private void onLoop(Runnable task) {
    try {
      loop.execute(task);
    } catch (java.util.concurrent.RejectedExecutionException closing) {
      // closed
    }
  }
}
