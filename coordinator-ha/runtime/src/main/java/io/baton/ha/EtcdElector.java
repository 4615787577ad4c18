package io.baton.ha;

import io.baton.raft.Peer;
import io.baton.raft.PeerWatch;
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
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Executor;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The leader placement on etcd: etcd's own election recipe, the one {@code etcdctl elect} and Go's
 * {@code concurrency.Election} use, so Baton candidates and candidates in other languages agree on
 * one leader. For each role, election {@code <prefix>/<role>}: every candidate puts
 * {@code <prefix>/<role>/<lease id in hex>} (value: its node id) bound to its session lease; the
 * candidate whose key has the lowest create revision leads, and the epoch is that create revision
 * (the fence of the role's writes: {@code fencedBy(leader key, epoch)}; nobody writes a candidate key
 * twice, so its mod revision stays its create revision).
 *
 * <p><b>Sessions.</b> One lease per node, of {@code ttl} (etcd's minimum is about 2 s), kept alive
 * every tenth of it. The leader counts its leadership valid until the last successful keep-alive's
 * <em>sending</em> time plus {@code ttl − ttl/5} on its own clock; etcd expires the lease no sooner
 * than {@code ttl} after it received that keep-alive (and a new etcd leader restarts every TTL), so
 * the old leader has stopped before its key can disappear. An etcd outage shorter than
 * {@code ttl − ttl/5 − ttl/10} (70% of the TTL) therefore causes no step-down. A longer one cannot be
 * told apart from this node being cut off from a working etcd, so the leader steps down before its
 * lease could expire and stays alive; it campaigns again, with a new session if the old one
 * expired, when etcd answers again.
 *
 * <p><b>Resigning</b> is the recipe's {@code Resign}: a transaction that deletes this node's key only
 * if its create revision is still the one this campaign made, so a late or retried delete can never
 * remove a newer candidacy. A leadership is never renewed in its own epoch: when this node gives a
 * role up (lost session, handover, transfer) it resigns and campaigns again at the back of the
 * queue.
 *
 * <p><b>A crash (the fast path).</b> A node given a probe address (its HTTP port, say) puts it in
 * {@link Keys#probe} bound to its session. Every other node keeps an idle TCP connection to the
 * probe address of each role's leader ({@link PeerWatch}). When the leader's process dies, its
 * host's kernel closes that connection and refuses the next one: the node revokes the dead node's
 * session lease at once, which deletes its candidacies, and the next candidate leads without
 * waiting for the lease to expire. Silence (a partition, a pause, a dead machine, a firewall that
 * drops) refuses nothing and still waits for the TTL. A firewall that answers with TCP resets on
 * behalf of a live leader would depose it: its session is gone, its keep-alive fails, it gives its
 * roles up, and its fenced writes are refused once the next leader's key exists.
 *
 * <p>Every request is asynchronous; results are handed to the role manager's loop thread.
 */
public final class EtcdElector implements Elector {
  private static final Logger LOG = LoggerFactory.getLogger(EtcdElector.class);

  /** A candidacy of this node: its key and create revision (0 while the campaign's put is in flight). */
  private record Candidacy(String key, long revision) {}

  private final MetadataStore store;
  private final String nodeId;
  private final String prefix;
  private final List<String> roles;
  private final MonotonicClock clock;
  private final long moveTimeoutNanos;
  private final ElectorLoop loop;
  /** Stopped by a handover or close: no new session, so no new campaign. */
  private final LeaseSession session;
  private final RoleMoves moves = new RoleMoves();
  private volatile boolean closed;
  private ChangeWake changes;
  /** Per role: this node's candidacy in the current session. */
  private final Map<String, Candidacy> mine = new ConcurrentHashMap<>();
  /** Per role, from the last read: the leading key. */
  private volatile Map<String, KeyValue> leaders = Map.of();
  /** Candidacies this node resigned whose key it must still delete (retried every tick until etcd confirms). */
  private final Map<String, Candidacy> resigning = new ConcurrentHashMap<>();
  /** Loop-thread state. */
  private final java.util.Set<String> deleting = new java.util.HashSet<>();
  private boolean readInFlight;
  private final FailureRun readFailures = new FailureRun(LOG);
  private final FailureRun probeReadFailures = new FailureRun(LOG);
  private static final int MAX_REREADS = 3;
  /** The newest revision a watch event woke this node for. */
  private final java.util.concurrent.atomic.AtomicLong changedAt = new java.util.concurrent.atomic.AtomicLong();
  /** Loop-thread state: immediate re-reads made since a read last reached {@link #changedAt}. */
  private int rereads;
  private volatile Runnable wake;
  /** Loop-thread state: a read of the probe addresses in flight, and the other leaders' sessions it was read for. */
  private boolean probeReadInFlight;
  private java.util.Set<Long> probedSessions = java.util.Set.of();
  /**
   * The highest etcd revision a read of the elections was served at, and since when reads come
   * from a member behind it (0: they do not). Loop only.
   */
  private long readRevision;
  private long behindSince;
  private final long ttlNanos;
  /** Where the other nodes probe this node, or null. */
  private final Peer probe;
  /** Per node, from the last read: where to probe it. */
  private volatile Map<String, Peer> probes = Map.of();
  private volatile PeerWatch crashWatch;

  /**
   * @param prefix      the elections' prefix: role {@code r} is election {@code <prefix>/r}
   * @param ttl         the session lease's TTL (etcd rounds it up to whole seconds)
   * @param moveTimeout how long a transfer or handover may take before it counts as failed
   */
  public EtcdElector(MetadataStore store, String nodeId, String prefix, List<String> roles, Duration ttl,
      Duration moveTimeout, MonotonicClock clock) {
    this(store, nodeId, prefix, roles, ttl, moveTimeout, clock, null);
  }

  /**
   * @param probe where the other nodes can reach this node's process (its HTTP port) to tell its
   *              crash from silence, or null: a crash of this node then waits for its lease
   */
  public EtcdElector(MetadataStore store, String nodeId, String prefix, List<String> roles, Duration ttl,
      Duration moveTimeout, MonotonicClock clock, Peer probe) {
    this.probe = probe;
    this.store = Objects.requireNonNull(store, "store");
    this.nodeId = Objects.requireNonNull(nodeId, "nodeId");
    this.prefix = prefix.endsWith("/") ? prefix.substring(0, prefix.length() - 1) : prefix;
    this.roles = List.copyOf(roles);
    this.clock = Objects.requireNonNull(clock, "clock");
    this.ttlNanos = ttl.toNanos();
    this.moveTimeoutNanos = moveTimeout.toNanos();
    if (ttl.compareTo(Duration.ofSeconds(2)) < 0) {
      throw new IllegalArgumentException("etcd lease TTL " + ttl.toMillis() + " ms is below etcd's minimum of 2 s");
    }
    this.loop = new ElectorLoop(nodeId);
    this.session = new LeaseSession(nodeId, "etcd session", store, ttl, ttl.dividedBy(10),
        ttl.minus(ttl.dividedBy(5)), clock,
        probe == null ? null : id -> store.put(Keys.probe(nodeId), probe.address().getBytes(StandardCharsets.UTF_8), id),
        new LeaseSession.Listener() {
          @Override
          public void started(long id) {
            mine.clear(); // candidate keys of an earlier session are gone with it
          }
        });
  }

  /** The election of a role: {@code <prefix>/<role>}, as {@code etcdctl elect} names it. */
  public String electionOf(String role) {
    return prefix + "/" + role;
  }

  @Override
  public void start(Executor loopThread, Runnable wake) {
    loop.start(loopThread);
    session.start(loopThread);
    this.wake = wake;
    changes = new ChangeWake(store, nodeId, prefix + "/", key -> true, revision -> {
      changedAt.accumulateAndGet(revision, Math::max);
      wake.run();
    });
    changes.start();
    try {
      crashWatch = new PeerWatch(nodeId, this::leadersToProbe, gone -> loop.run(() -> crashed(gone)));
      crashWatch.start();
    } catch (java.io.IOException e) {
      LOG.warn("node {}: cannot watch the active nodes' processes ({}); a crashed active's roles move once its lease"
          + " expires", nodeId, e.toString());
    }
  }

  /** The other nodes that lead a role and gave a probe address. */
  private List<Peer> leadersToProbe() {
    final Map<String, Peer> known = probes;
    return leaders.values().stream().map(KeyValue::valueAsString).distinct().filter(n -> !n.equals(nodeId))
        .map(known::get).filter(Objects::nonNull).toList();
  }

  /**
   * The process of node {@code node} is gone (its probe address refused a connection right after
   * closing the one this node held): revokes the session lease of its candidacies, so that the next
   * candidates lead now rather than once the lease expires.
   */
  private void crashed(String node) {
    final java.util.Set<Long> sessions = new java.util.TreeSet<>();
    final List<String> led = new java.util.ArrayList<>();
    leaders.forEach((role, kv) -> {
      if (kv.valueAsString().equals(node) && kv.leaseId() != 0) {
        sessions.add(kv.leaseId());
        led.add(role + " (epoch " + kv.createRevision() + ")");
      }
    });
    for (long lease : sessions) {
      LOG.info("node {}: the process of node {}, active for {}, is gone (its probe address {} refuses connections):"
          + " revoking its etcd session {}", nodeId, node, led,
          java.util.Optional.ofNullable(probes.get(node)).map(Peer::address).orElse("?"), Long.toHexString(lease));
      store.revokeLease(lease).whenComplete((rev, e) -> {
        if (e != null) {
          LOG.warn("node {}: revoking the etcd session {} of node {}, whose process is gone, failed ({}); its roles"
              + " move once it expires", nodeId, Long.toHexString(lease), node, Futures.unwrap(e).toString());
        }
      });
    }
  }

  @Override
  public long confirmedEpoch(String role) {
    if (!session.valid() || resigning.containsKey(role)) {
      return 0;
    }
    final Candidacy c = mine.get(role);
    final KeyValue leader = leaders.get(role);
    if (c == null || c.revision() == 0 || leader == null || leader.createRevision() != c.revision()) {
      return 0;
    }
    return c.revision();
  }

  @Override
  public MetadataStore fence(MetadataStore base, String role, long epoch) {
    final Candidacy c = mine.get(role);
    final KeyValue leader = leaders.get(role);
    return base.fencedBy(c != null && c.revision() == epoch ? c.key() : leader.key(), epoch);
  }

  @Override
  public String activeNode(String role) {
    final KeyValue leader = leaders.get(role);
    return leader == null ? null : leader.valueAsString();
  }

  /**
   * Compares the leaders just read with the last view: logs each role whose election this node has
   * come to lead, and returns whether any role is led by another key (another candidacy) than before.
   */
  private boolean noteNewLeaders(Map<String, KeyValue> seen, long readAt) {
    boolean changed = !leaders.keySet().equals(seen.keySet());
    for (Map.Entry<String, KeyValue> e : seen.entrySet()) {
      final String role = e.getKey();
      final KeyValue kv = e.getValue();
      final KeyValue before = leaders.get(role);
      if (before != null && before.createRevision() == kv.createRevision() && before.key().equals(kv.key())) {
        continue;
      }
      changed = true;
      final Candidacy c = mine.get(role);
      if (c != null && c.revision() > 0 && kv.createRevision() == c.revision()) {
        LOG.info("node {} role={} epoch={}: leads election {} (its key is the oldest, read at revision {})", nodeId,
            role, c.revision(), electionOf(role), readAt);
      }
    }
    return changed;
  }

  private String confirmedLeader(String role) {
    final String leader = activeNode(role);
    return nodeId.equals(leader) && confirmedEpoch(role) == 0 ? null : leader;
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
    // a stale (serializable) read is safe here: keys with a lower create revision never come back
    readInFlight = true;
    final Map<String, CompletableFuture<ReadResult>> elections = new java.util.LinkedHashMap<>();
    for (String role : roles) {
      elections.put(role, store.range(electionOf(role) + "/", ReadConsistency.STALE));
    }
    CompletableFuture.allOf(elections.values().toArray(CompletableFuture[]::new)).whenComplete((v, e) -> loop.run(() -> {
      readInFlight = false;
      if (e != null) {
        readFailures.failed("node " + nodeId + ": reading the elections from etcd (the leader view is stale"
            + " meanwhile)", e);
        return;
      }
      readFailures.succeeded("node " + nodeId + ": etcd answers again");
      final long readAt = elections.values().stream().mapToLong(r -> r.join().revision()).min().orElse(readRevision);
      rereadIfOlderThanTheChange(readAt);
      if (behind(readAt)) {
        return;
      }
      final Map<String, KeyValue> seen = new java.util.HashMap<>();
      elections.forEach((role, read) -> {
        final ReadResult r = read.join();
        r.kvs().stream().min(Comparator.comparingLong(KeyValue::createRevision)).ifPresent(kv -> seen.put(role, kv));
        final Candidacy c = mine.get(role);
        if (c != null && c.revision() > 0 && r.revision() >= c.revision()
            && r.kvs().stream().noneMatch(kv -> kv.key().equals(c.key()))) {
          // a transfer to a candidate behind this one deleted this candidacy: back in line
          mine.remove(role, c);
          LOG.info("node {} role={}: candidacy {} was removed by a transfer; campaigning again", nodeId, role,
              c.key());
        }
        campaign(role);
      });
      final boolean changed = noteNewLeaders(seen, readAt);
      leaders = Map.copyOf(seen);
      readProbesIfNeeded();
      moves.check(clock.nanoTime(), this::confirmedLeader);
      if (changed && wake != null) {
        // the role check that started this read ran on the old view: check again now rather than
        // one check interval later (half of it on average: 50 ms at a 2 s TTL, on every takeover)
        wake.run();
      }
    }));
  }

  /**
   * Reads the probe addresses when another node's session leads now that was not probed before (a
   * new active, or the same node restarted), or a leading node's address is not known yet (its
   * session's probe key may land just after its candidacy), and then has the crash watch connect
   * to the leaders at once: a leader's crash can only be told from a node that has not started
   * once its probe was connected, and the watch's own refresh comes only every second. While the
   * same sessions lead, nothing is read.
   */
  private void readProbesIfNeeded() {
    final List<KeyValue> others = leaders.values().stream().filter(kv -> !kv.valueAsString().equals(nodeId)).toList();
    final java.util.Set<Long> sessions = others.stream().map(KeyValue::leaseId)
        .collect(java.util.stream.Collectors.toUnmodifiableSet());
    final PeerWatch watch = crashWatch;
    if (probeReadInFlight || watch == null || (sessions.equals(probedSessions)
        && others.stream().allMatch(kv -> probes.containsKey(kv.valueAsString())))) {
      return;
    }
    probeReadInFlight = true;
    store.range(Keys.PROBES, ReadConsistency.STALE).whenComplete((r, e) -> loop.run(() -> {
      probeReadInFlight = false;
      if (e != null) {
        probeReadFailures.failed("node " + nodeId + ": reading the active nodes' probe addresses from etcd (a crash"
            + " of a new active is detected by its lease expiry meanwhile)", e);
        return;
      }
      probeReadFailures.succeeded("node " + nodeId + ": the active nodes' probe addresses are read again");
      probes = probesOf(r);
      probedSessions = sessions;
      watch.refreshNow();
    }));
  }

  /**
   * A watch woke this node for a change at a revision that the read it made then did not reach
   * yet: the read went to an etcd member that had not applied that change (a serializable read is
   * served by any member, and the watch by another). Reads again at once rather than at the next
   * periodic check (a resigned active's successor took up to one check interval more), at most
   * {@link #MAX_REREADS} times per change, so that a member far behind costs periodic reads only.
   */
  private void rereadIfOlderThanTheChange(long readAt) {
    if (readAt >= changedAt.get()) {
      rereads = 0;
    } else if (rereads < MAX_REREADS && wake != null) {
      rereads++;
      wake.run();
    }
  }

  /** The probe addresses in {@code read}; one that does not parse is left out (and logged at DEBUG). */
  private Map<String, Peer> probesOf(ReadResult read) {
    final Map<String, Peer> out = new java.util.HashMap<>();
    for (KeyValue kv : read.kvs()) {
      final String node = kv.key().substring(Keys.PROBES.length());
      try {
        out.put(node, Peer.parse(node + "=" + kv.valueAsString()));
      } catch (IllegalArgumentException e) {
        LOG.debug("node {}: ignoring the probe address of node {}: {}", nodeId, node, e.getMessage());
      }
    }
    return Map.copyOf(out);
  }

  /**
   * Whether a read served at {@code revision} comes from a member behind the last one read (a member
   * just back from a partition, say, still applying what it missed), and is to be ignored: its view
   * is older than the one this node holds, and could show as leader a candidate whose key is gone
   * already (a needless step-down). Reads stay monotonic that way. Should revisions stay behind for
   * a whole TTL (an etcd cluster restored from a backup), the reads are taken as they are.
   */
  private boolean behind(long revision) {
    if (revision >= readRevision) {
      readRevision = revision;
      behindSince = 0;
      return false;
    }
    final long now = clock.nanoTime();
    if (behindSince == 0) {
      behindSince = now;
      LOG.debug("node {}: ignoring a read of the elections at etcd revision {}, behind {} read before", nodeId, revision,
          readRevision);
      return true;
    }
    if (now - behindSince < ttlNanos) {
      return true;
    }
    LOG.warn("node {}: etcd answers at revision {}, behind the {} it answered at before, for {} ms: taking its reads"
        + " as they are (was the etcd cluster restored?)", nodeId, revision, readRevision, (now - behindSince) / 1_000_000);
    readRevision = revision;
    behindSince = 0;
    return false;
  }

  /** Puts this node's candidate key if it has none in this session (the recipe's Campaign). */
  private void campaign(String role) {
    final long id = session.id();
    if (!session.valid() || mine.containsKey(role) || resigning.containsKey(role)) {
      return;
    }
    final String key = electionOf(role) + "/" + Long.toHexString(id);
    mine.put(role, new Candidacy(key, 0));
    // if the put fails because the key exists, it is this session's own (an earlier attempt that timed out)
    store.txn(Txn.of(List.of(Compare.absent(key)), List.of(new Op.Put(key, nodeId.getBytes(StandardCharsets.UTF_8),
        id)))).thenCompose(r -> store.get(key)).whenComplete((r, e) -> loop.run(() -> {
          final Candidacy resigned = resigning.get(role);
          if (resigned != null && resigned.key().equals(key) && resigned.revision() == 0) {
            // resigned while the put was in flight: now its revision is known (or the key is absent)
            if (e == null && !r.kvs().isEmpty()) {
              resigning.put(role, new Candidacy(key, r.kvs().get(0).createRevision()));
            } else if (e == null) {
              resigning.remove(role, resigned);
            } else {
              resigning.put(role, new Candidacy(key, -1)); // unknown: read it before deleting
            }
            return;
          }
          if (e != null || r.kvs().isEmpty() || session.id() != id) {
            mine.remove(role);
            if (e != null) {
              LOG.info("node {} role={}: campaigning in election {} failed, retrying on the next check: {}", nodeId,
                  role, electionOf(role), Futures.unwrap(e).toString());
            }
            return;
          }
          final long revision = r.kvs().get(0).createRevision();
          mine.put(role, new Candidacy(key, revision));
          LOG.info("node {} role={}: campaigning in election {} with key revision {}", nodeId, role, electionOf(role),
              revision);
        }));
  }

  /** This node's activation ended: resign and campaign again at the back. */
  @Override
  public void released(String role, long epoch) {
    loop.run(() -> resign(role, "the activation of epoch " + epoch + " ended"));
  }

  /** The recipe's Resign: delete this node's key if it is still the one this campaign created. */
  private CompletableFuture<Void> resign(String role, String why) {
    final Candidacy c = mine.remove(role);
    if (c == null) {
      return CompletableFuture.completedFuture(null);
    }
    resigning.put(role, c);
    LOG.info("node {} role={} epoch={}: resigning from election {} ({})", nodeId, role, c.revision(),
        electionOf(role), why);
    return c.revision() == 0 ? CompletableFuture.completedFuture(null) : deleteResigned(role, c);
  }

  /** Retries the deletes of resigned keys: until one is confirmed this node does not campaign for that role. */
  private void resignations() {
    resigning.forEach((role, c) -> {
      if (c.revision() != 0 && !deleting.contains(role)) {
        deleteResigned(role, c);
      }
    });
  }

  private CompletableFuture<Void> deleteResigned(String role, Candidacy c) {
    deleting.add(role);
    final CompletableFuture<Long> revision = c.revision() > 0 ? CompletableFuture.completedFuture(c.revision())
        : store.get(c.key()).thenApply(r -> r.first().filter(kv -> kv.valueAsString().equals(nodeId))
            .map(KeyValue::createRevision).orElse(0L));
    return revision.thenCompose(rev -> rev == 0 ? CompletableFuture.completedFuture(null)
            : store.txn(Txn.of(List.of(Compare.createRevision(c.key(), rev)), List.of(Op.delete(c.key())))))
        .handle((r, e) -> {
          loop.run(() -> {
            deleting.remove(role);
            if (e == null) {
              resigning.remove(role, c);
            } else {
              LOG.info("node {} role={}: deleting the resigned key {} failed, retrying on the next check: {}", nodeId,
                  role, c.key(), Futures.unwrap(e).toString());
            }
          });
          if (e != null) {
            throw new java.util.concurrent.CompletionException(Futures.unwrap(e));
          }
          return null;
        });
  }

  /** Whether this node's candidacy for {@code role} is confirmed in the current, live session. */
  @Override
  public boolean candidate(String role) {
    final Candidacy c = mine.get(role);
    return c != null && c.revision() > 0 && session.valid();
  }

  /**
   * Deletes, in one transaction, the candidacies ahead of the target's in the election (the leader's
   * and any between), so that the target leads; the candidates removed campaign again behind it.
   * Completes once the target leads; fails with {@link IllegalArgumentException} when the target
   * is not a candidate (not a running node of this cluster, or one whose campaign is not confirmed yet).
   */
  @Override
  public CompletableFuture<Void> transfer(String role, String target) {
    return loop.call(() -> store.range(electionOf(role) + "/", ReadConsistency.LINEARIZABLE).thenCompose(read -> {
      final List<KeyValue> queue = read.kvs().stream().sorted(Comparator.comparingLong(KeyValue::createRevision))
          .toList();
      int place = -1;
      for (int i = 0; i < queue.size() && place < 0; i++) {
        place = queue.get(i).valueAsString().equals(target) ? i : -1;
      }
      if (place < 0) {
        return CompletableFuture.failedFuture(new IllegalArgumentException("node " + target + " is not a candidate"
            + " for role " + role + " (not a running node of this cluster, or one still starting whose campaign is not"
            + " confirmed yet: its readiness is DOWN until it is); candidates: "
            + queue.stream().map(KeyValue::valueAsString).toList()));
      }
      if (place == 0) {
        return CompletableFuture.completedFuture(null);
      }
      final List<KeyValue> ahead = queue.subList(0, place);
      return loop.call(() -> {
        final CompletableFuture<Void> arrived = moves.to(role, target, clock.nanoTime() + moveTimeoutNanos);
        return store.txn(Txn.of(ahead.stream().map(kv -> Compare.createRevision(kv.key(), kv.createRevision())).toList(),
            ahead.stream().map(kv -> (Op) Op.delete(kv.key())).toList())).thenCompose(r -> r.succeeded() ? arrived
            : CompletableFuture.failedFuture(new RoleMoveException(role, "role " + role + " not transferred to "
                + target + ": the election changed while the transfer was asked for; ask again")));
      });
    }));
  }

  /**
   * Resigns every role and ends the session, so that standbys take over at once. Completes once
   * every role this node led is led elsewhere; exceptionally when a resignation or the revoke
   * failed, or a role stayed without another leader.
   */
  @Override
  public CompletableFuture<Void> handOver() {
    return loop.call(() -> {
      final List<String> led = roles.stream().filter(r -> confirmedEpoch(r) > 0).toList();
      final long deadline = clock.nanoTime() + moveTimeoutNanos;
      final List<CompletableFuture<Void>> moved = led.stream().map(r -> moves.awayFrom(r, nodeId, deadline)).toList();
      final long id = session.stop();
      final CompletableFuture<?>[] resignations = roles.stream().map(r -> resign(r, "shutting down"))
          .toArray(CompletableFuture[]::new);
      return CompletableFuture.allOf(resignations)
          .thenCompose(v -> id == 0 ? CompletableFuture.completedFuture(0L) : store.revokeLease(id))
          .thenCompose(v -> CompletableFuture.allOf(moved.toArray(CompletableFuture[]::new)));
    });
  }

  @Override
  public void close() {
    closed = true;
    if (changes != null) {
      changes.close();
    }
    if (crashWatch != null) {
      crashWatch.close();
    }
    moves.failAll("node " + nodeId + " is closing");
    final long id = session.stop();
    if (id != 0) {
      store.revokeLease(id).whenComplete((rev, e) -> {
        if (e != null) {
          LOG.warn("node {}: revoking etcd session {} on close failed ({}); its roles move once it expires", nodeId,
              Long.toHexString(id), Futures.unwrap(e).toString());
        }
      });
    }
  }
}
