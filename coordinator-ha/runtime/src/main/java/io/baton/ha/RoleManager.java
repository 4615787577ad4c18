package io.baton.ha;

import io.baton.store.BatonException;
import io.baton.store.KeyValue;
import io.baton.store.MetadataStore;
import io.baton.store.MonotonicClock;
import io.baton.store.ReadConsistency;
import io.baton.store.ReadResult;
import io.baton.store.SerialExecutor;
import io.baton.store.Watch;
import io.baton.store.WatchEvent;
import io.baton.store.WatchListener;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.Executor;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Runs a node's roles over a {@link Backend} under a {@link Placement}: with the default
 * {@link Placement.Leader} every role is active on the leader (on Ratis: the Raft leader; on etcd:
 * the winner of each role's etcd election); with {@link Placement.Spread} roles are spread over the
 * live nodes through role leases. Either way every activation gets an epoch strictly greater than
 * any before it for that role, and that epoch fences {@link RoleContext#store()}.
 *
 * <p><b>Safety.</b> A watchdog asks the placement's {@link Elector} every {@code checkInterval}
 * which epoch this node still holds for each role. For the leader placement on Ratis that is the
 * leader lease ({@code RaftNode#leadership()}); for the others it is the node's session lease,
 * valid for a fixed part of its TTL after the <em>sending</em> of the last keep-alive that
 * succeeded. An activation that is no longer confirmed completes {@link RoleContext#lost()} at
 * once, before another node can be elected or take the role; after a pause the node never acts on
 * the old epoch, and its fenced writes are rejected.
 *
 * <p><b>A handler that throws from {@code onActive}</b> gives the role up: its activation is lost
 * (the epoch is never used again), {@code onStandby} follows, and the node competes for the role
 * again with a new epoch after a back-off of 1 s, doubling after each further failure up to 30 s
 * (and reset by an {@code onActive} that returns normally). Under the spread placement or on etcd
 * another node may take the role meanwhile; under the leader placement on Ratis the role stays
 * with the Raft leader. Curator's {@code LeaderLatch} likewise lets the latch go when its listener
 * fails.
 *
 * <p><b>Threads.</b> Handler calls for one role run one at a time, in order, on that role's serial
 * view of the given executor; never on a Raft thread. The watchdog never blocks.
 */
public final class RoleManager implements AutoCloseable {
  private static final Logger LOG = LoggerFactory.getLogger(RoleManager.class);
  private static final long FIRST_BACKOFF_NANOS = 1_000_000_000L;
  /** How soon a HOT standby feed that could not be (re)started is tried again. */
  private static final long HOT_FEED_RETRY_NANOS = 200_000_000L;
  private static final long MAX_BACKOFF_NANOS = 30_000_000_000L;
  /** A role this node can run. */
  public record RoleSpec(String name, RoleHandler handler, StandbyMode standbyMode) {
    public RoleSpec {
      Objects.requireNonNull(name, "role name");
      Objects.requireNonNull(handler, "handler of role " + name);
      Objects.requireNonNull(standbyMode, "standby mode of role " + name);
      if (!name.matches("[a-z0-9][a-z0-9_.-]{0,62}")) {
        throw new IllegalArgumentException("role name '" + name
            + "' is invalid: use 1-63 lower-case letters, digits, '_', '.' or '-'");
      }
    }
  }

  private enum Lifecycle { LATENT, STARTED, CLOSED }

  private final String nodeId;
  private final MetadataStore store;
  private final java.util.function.BooleanSupplier running;
  private final Elector elector;
  private final MonotonicClock clock;
  private final Placement placement;
  private final Map<String, Slot> slots = new LinkedHashMap<>();
  private final ScheduledExecutorService watchdog;
  private final Duration checkInterval;
  private final AtomicReference<Lifecycle> lifecycle = new AtomicReference<>(Lifecycle.LATENT);
  private final java.util.List<java.util.function.Consumer<ActivationTiming>> timingListeners =
      new java.util.concurrent.CopyOnWriteArrayList<>();

  /**
   * A role manager over {@code backend} with its default check interval and the system clock.
   *
   * @param executor  where handler calls run (each role gets a serial view of it)
   * @param placement where roles are active
   * @throws IllegalArgumentException when the backend does not offer the placement
   */
  public RoleManager(Backend backend, List<RoleSpec> roles, Executor executor, Placement placement) {
    this(backend, roles, executor, placement, backend.checkInterval(placement), MonotonicClock.SYSTEM);
  }

  /**
   * @param checkInterval how often the placement is asked whether active roles still hold
   * @param clock         the clock the placement measures sessions and leases on
   */
  public RoleManager(Backend backend, List<RoleSpec> roles, Executor executor, Placement placement,
      Duration checkInterval, MonotonicClock clock) {
    this(backend.nodeId(), backend.store(), backend::running, roles, executor, checkInterval, placement,
        backend.elector(names(roles), placement, checkInterval, clock), clock);
  }

  private static List<String> names(List<RoleSpec> roles) {
    final List<String> names = new ArrayList<>();
    roles.forEach(r -> names.add(r.name()));
    return names;
  }

  /**
   * A role manager with any elector (tests script one): {@code store} is the node's view of the
   * metadata store (HOT standbys are fed from it, activations fence it), {@code running} whether
   * the node's backend is up, and {@code elector} decides the epochs.
   */
  public RoleManager(String nodeId, MetadataStore store, java.util.function.BooleanSupplier running,
      List<RoleSpec> roles, Executor executor, Duration checkInterval, Placement placement, Elector elector,
      MonotonicClock clock) {
    this.clock = Objects.requireNonNull(clock, "clock");
    this.nodeId = Objects.requireNonNull(nodeId, "nodeId");
    this.store = Objects.requireNonNull(store, "store");
    this.running = Objects.requireNonNull(running, "running");
    this.placement = Objects.requireNonNull(placement, "placement");
    this.elector = Objects.requireNonNull(elector, "elector");
    if (roles.isEmpty()) {
      throw new IllegalArgumentException("no roles: declare at least one");
    }
    if (checkInterval.isZero() || checkInterval.isNegative()) {
      throw new IllegalArgumentException("checkInterval " + checkInterval.toMillis() + " ms must be positive");
    }
    this.checkInterval = checkInterval;
    for (RoleSpec spec : roles) {
      if (slots.put(spec.name(), new Slot(spec, new SerialExecutor(executor))) != null) {
        throw new IllegalArgumentException("role '" + spec.name() + "' is declared twice");
      }
    }
    this.watchdog = Executors.newSingleThreadScheduledExecutor(r -> {
      final Thread t = new Thread(r, "baton-role-watchdog-" + nodeId);
      t.setDaemon(true);
      return t;
    });
  }

  /** This manager's placement. */
  public Placement placement() {
    return placement;
  }

  /** Every role starts STANDBY; the placement then drives activations. */
  public void start() {
    if (!lifecycle.compareAndSet(Lifecycle.LATENT, Lifecycle.STARTED)) {
      throw new IllegalStateException("role manager of node " + nodeId + " is " + lifecycle.get());
    }
    for (Slot slot : slots.values()) {
      slot.executor.execute(slot::enterStandby);
    }
    elector.start(watchdog, this::wake);
    watchdog.scheduleWithFixedDelay(this::check, checkInterval.toNanos(), checkInterval.toNanos(),
        TimeUnit.NANOSECONDS);
  }

  /**
   * Hands a member transition to every role handler active on this node, on the role's executor
   * (wire it as the {@link MemberMonitor}'s sink).
   */
  public void memberChanged(MemberTransition transition) {
    for (Slot slot : slots.values()) {
      final Activation a = slot.activation;
      if (a != null) {
        slot.executor.execute(() -> {
          if (slot.activation == a) {
            slot.call(() -> slot.spec.handler().onMemberChange(transition));
          }
        });
      }
    }
  }

  /** Calls {@code listener} after every activation on this node, on the role's executor. */
  public void addActivationListener(java.util.function.Consumer<ActivationTiming> listener) {
    timingListeners.add(java.util.Objects.requireNonNull(listener, "listener"));
  }

  /**
   * This node's activation of {@code role} while it is confirmed, or empty. [Thread-safe]
   *
   * @throws IllegalArgumentException for a role this node does not run
   */
  public java.util.Optional<RoleContext> activation(String role) {
    final Slot slot = slots.get(role);
    if (slot == null) {
      throw new IllegalArgumentException("unknown role '" + role + "': this node runs " + slots.keySet());
    }
    final Activation a = slot.activation;
    return a != null && a.isActive() ? java.util.Optional.of(a) : java.util.Optional.empty();
  }

  /** The node active for {@code role} as far as this node knows, or null. */
  public String activeNode(String role) {
    return elector.activeNode(role);
  }

  /** The names of the roles this node runs, in declaration order. */
  public List<String> roleNames() {
    return List.copyOf(slots.keySet());
  }

  /** Each role's state on this node. */
  public List<RoleStatus> statuses() {
    final List<RoleStatus> out = new ArrayList<>();
    for (Slot slot : slots.values()) {
      final Activation a = slot.activation;
      final RoleState state = lifecycle.get() == Lifecycle.CLOSED ? RoleState.STOPPED : slot.state;
      out.add(new RoleStatus(slot.spec.name(), state, slot.lastEpoch,
          state == RoleState.ACTIVE && a != null ? nodeId : elector.activeNode(slot.spec.name()),
          slot.spec.standbyMode(), slot.activatedAtMillis,
          state != RoleState.STOPPED && elector.candidate(slot.spec.name())));
    }
    return out;
  }

  /**
   * Moves {@code role} to node {@code target}, from any node; completes when {@code target} holds
   * it. With the leader placement every role moves, since all follow the Raft leadership.
   */
  public CompletableFuture<Void> transfer(String role, String target) {
    if (!slots.containsKey(role)) {
      return CompletableFuture.failedFuture(new IllegalArgumentException("unknown role '" + role
          + "': this node runs " + slots.keySet()));
    }
    if (lifecycle.get() != Lifecycle.STARTED) {
      return CompletableFuture.failedFuture(new IllegalStateException("role manager of node " + nodeId
          + " is " + lifecycle.get()));
    }
    return elector.transfer(role, Objects.requireNonNull(target, "target"));
  }

  /**
   * A view of the store whose writes are fenced by {@code role}'s {@code epoch}, for a caller that
   * acts for the role elsewhere (the gRPC API's fenced writes); {@link RoleContext#store()} is the
   * same for an activation on this node.
   */
  public MetadataStore fencedStore(String role, long epoch) {
    return fencedStore(role, epoch, store);
  }

  /** As {@link #fencedStore(String, long)}, over {@code base} (a view of this node's store). */
  public MetadataStore fencedStore(String role, long epoch, MetadataStore base) {
    if (!slots.containsKey(role)) {
      throw new IllegalArgumentException("unknown role '" + role + "': this node runs " + slots.keySet());
    }
    if (epoch <= 0) {
      throw new IllegalArgumentException("fence epoch must be positive, got " + epoch);
    }
    return elector.fence(base, role, epoch);
  }

  /** Hands the roles this node holds over to other nodes (a planned shutdown); completes when done. */
  public CompletableFuture<Void> handOver() {
    return elector.handOver();
  }

  /** Gives every role up (completing its lost signal) and stops. Idempotent. */
  @Override
  public void close() {
    if (lifecycle.getAndSet(Lifecycle.CLOSED) == Lifecycle.CLOSED) {
      return;
    }
    for (Slot slot : slots.values()) {
      final Activation a = slot.activation;
      if (a != null) {
        a.lost.complete(null);
      }
      slot.executor.execute(() -> slot.stop());
    }
    watchdog.shutdownNow();
    elector.close();
  }

  private void wake() {
    try {
      watchdog.execute(this::check);
    } catch (java.util.concurrent.RejectedExecutionException closing) {
      // closed
    }
  }

  /**
   * Both directions, every check interval: an activation the placement no longer confirms is given
   * up, and a role with no activation for a newly confirmed epoch is activated (a wake-up only
   * makes that prompt; an epoch confirmed later is not lost).
   */
  void check() {
    if (lifecycle.get() != Lifecycle.STARTED || !running.getAsBoolean()) {
      return;
    }
    try {
      elector.tick();
    } catch (RuntimeException e) {
      LOG.warn("node {}: placement tick failed: {}", nodeId, e.toString()); // the epochs are checked below anyway
    }
    try {
      for (Slot slot : slots.values()) {
        final String role = slot.spec.name();
        final long epoch = elector.confirmedEpoch(role);
        final Activation a = slot.activation;
        if (a == null) {
          // for the takeover timing: since when this node has seen the role without an active node
          final String active = elector.activeNode(role);
          if (active == null || active.equals(nodeId)) {
            if (slot.vacantSinceNanos == 0) {
              slot.vacantSinceNanos = clock.nanoTime();
            }
          } else {
            slot.vacantSinceNanos = 0;
          }
        }
        if (a != null && epoch != a.epoch) {
          // complete the signal at once, from here: the handler must stop before a new active exists
          a.lost.complete(null);
          slot.executor.execute(() -> slot.deactivate(a, "epoch " + a.epoch + " is no longer confirmed"));
        } else if (a == null && epoch > slot.lastEpoch && slot.pendingEpoch != epoch) {
          slot.pendingEpoch = epoch;
          slot.confirmedAtNanos = clock.nanoTime();
          slot.executor.execute(() -> slot.tryActivate(epoch));
        }
      }
    } catch (RuntimeException e) {
      if (running.getAsBoolean()) {
        LOG.warn("node {}: role check failed: {}", nodeId, e.toString());
      }
    }
  }

  private final class Activation implements RoleContext {
    private final String role;
    private final long epoch;
    private final MetadataStore fenced;
    private final CompletableFuture<Void> lost = new CompletableFuture<>();

    Activation(String role, long epoch) {
      this.role = role;
      this.epoch = epoch;
      this.fenced = elector.fence(store, role, epoch);
    }

    @Override
    public String role() {
      return role;
    }

    @Override
    public String node() {
      return nodeId;
    }

    @Override
    public long epoch() {
      return epoch;
    }

    @Override
    public MetadataStore store() {
      return fenced;
    }

    @Override
    public CompletionStage<Void> lost() {
      return lost.minimalCompletionStage();
    }

    @Override
    public boolean isActive() {
      return !lost.isDone() && elector.confirmedEpoch(role) == epoch;
    }

    @Override
    public String statePrefix() {
      return Keys.roleState(role);
    }
  }

  /** One role on this node. Every method but the watch listener runs on {@code executor}. */
  private final class Slot {
    private final RoleSpec spec;
    private final SerialExecutor executor;
    private volatile RoleState state = RoleState.STARTING;
    private volatile Activation activation;
    private volatile long lastEpoch;
    private volatile long activatedAtMillis;
    /** The epoch the watchdog last queued an activation for (so that it queues it once). */
    private volatile long pendingEpoch;
    /** When the watchdog confirmed {@link #pendingEpoch}, and since when no active node was seen (0: one was). */
    private volatile long confirmedAtNanos;
    private volatile long vacantSinceNanos;
    private Watch hotWatch;
    /**
     * A HOT standby whose feed ended and could not be started again yet: its handler may lack
     * changes, so it is not activated until the feed is back (slot executor only).
     */
    private boolean hotFeedDown;
    private final FailureRun hotFeedFailures = new FailureRun(LOG);
    private final FailureRun activationFailures = new FailureRun(LOG);
    private long lastProgressRequest;
    /** The epoch waiting for its replica or feed, since when, and when that was last logged (slot executor only). */
    private long waitingEpoch;
    private long waitingSince;
    private long lastWaitLog;
    /** The epoch whose replica revision is fixed, and that revision (slot executor only). */
    private long feedTargetEpoch;
    private long feedTarget;
    /** onActive failures in a row, and when the next activation may start (slot executor only). */
    private int failedActivations;
    private long retryNotBefore;

    Slot(RoleSpec spec, SerialExecutor executor) {
      this.spec = spec;
      this.executor = executor;
    }

    /**
     * {@link #activate}, and if that fails before activating (the store did not answer a read),
     * tries again shortly: the watchdog queues an epoch once, so a failure must not end the attempts.
     */
    void tryActivate(long epoch) {
      try {
        activate(epoch);
        activationFailures.succeeded("node " + nodeId + " role=" + spec.name() + " epoch=" + epoch
            + ": the activation checks read the store again");
      } catch (RuntimeException e) {
        activationFailures.failed("node " + nodeId + " role=" + spec.name() + " epoch=" + epoch
            + ": checking that the replica is ready for the activation", e);
        retryLater(epoch, HOT_FEED_RETRY_NANOS);
      }
    }

    private void activate(long epoch) {
      if (lifecycle.get() != Lifecycle.STARTED || epoch <= lastEpoch) {
        return; // closed, or this epoch (or a later one) was activated already: epochs only grow
      }
      if (elector.confirmedEpoch(spec.name()) != epoch) {
        pendingEpoch = 0; // not confirmed (any more): the watchdog activates once it is
        return;
      }
      if (failedActivations > 0 && retryNotBefore - clock.nanoTime() > 0) {
        pendingEpoch = 0; // backing off after a failed onActive: a check after the back-off activates
        return;
      }
      if (spec.standbyMode() == StandbyMode.HOT && hotFeedDown) {
        logWait(epoch, () -> "the HOT standby feed is down (it is being restarted)");
        retryLater(epoch, HOT_FEED_RETRY_NANOS); // the feed is restarted first (its retry is scheduled)
        return;
      }
      // the replica's revision is read until it holds the epoch's state, then kept for this epoch:
      // only the holder of a confirmed epoch writes the role's state, so no change the handler must
      // see comes after it, while the store's revision goes on moving with every other write (on
      // etcd a HOT activation chased it from one progress notification to the next)
      final long applied = epoch == feedTargetEpoch ? feedTarget : localRevision();
      final boolean caughtUp = applied >= elector.activationRevision(spec.name(), epoch);
      if (caughtUp) {
        feedTargetEpoch = epoch;
        feedTarget = applied;
      }
      if (!caughtUp || (spec.standbyMode() == StandbyMode.HOT && hotWatch != null)) {
        // the replica must hold the state the role lease protects, and a HOT standby's handler
        // must have been handed every state change this replica applied, before onActive
        if (!caughtUp || hotWatch.nextRevision() <= applied) {
          if (caughtUp && clock.nanoTime() - lastProgressRequest > 20_000_000L) {
            lastProgressRequest = clock.nanoTime();
            hotWatch.requestProgress(); // etcd: confirm the feed is current even without events
          }
          logWait(epoch, () -> !caughtUp ? "the local replica is at revision " + applied + ", the role needs "
              + elector.activationRevision(spec.name(), epoch) : "the HOT standby feed has delivered changes up to"
              + " revision " + (hotWatch.nextRevision() - 1) + " of the replica's " + applied);
          retryLater(epoch, 1_000_000L);
          return;
        }
        if (hotWatch != null) {
          hotWatch.close();
          hotWatch = null;
        }
      }
      if (!elector.beginActivation(spec.name(), epoch)) {
        pendingEpoch = 0;
        return;
      }
      final Activation a = new Activation(spec.name(), epoch);
      activation = a;
      lastEpoch = epoch;
      state = RoleState.ACTIVE;
      LOG.info("node {} role={} epoch={}: active ({} standby mode)", nodeId, spec.name(), epoch,
          spec.standbyMode());
      try {
        spec.handler().onActive(a);
      } catch (RuntimeException e) {
        failedActivations++;
        final long backoff = Math.min(MAX_BACKOFF_NANOS, FIRST_BACKOFF_NANOS << Math.min(10, failedActivations - 1));
        retryNotBefore = clock.nanoTime() + backoff;
        LOG.warn("node {} role={} epoch={}: onActive threw; giving the role up and competing again in {} ms: {}",
            nodeId, spec.name(), epoch, backoff / 1_000_000, e.toString(), e);
        deactivate(a, "onActive threw");
        return;
      }
      failedActivations = 0;
      activatedAtMillis = System.currentTimeMillis(); // a report stamp, not used for any decision
      final long done = clock.nanoTime();
      final long confirmed = confirmedAtNanos == 0 ? done : confirmedAtNanos;
      final long vacant = vacantSinceNanos == 0 || vacantSinceNanos > confirmed ? confirmed : vacantSinceNanos;
      vacantSinceNanos = 0;
      final ActivationTiming timing = new ActivationTiming(spec.name(), nodeId, epoch,
          Duration.ofNanos(done - confirmed), Duration.ofNanos(done - vacant));
      for (java.util.function.Consumer<ActivationTiming> l : timingListeners) {
        call(() -> l.accept(timing));
      }
    }

    /** Says, at most every 5 s, why a confirmed epoch waits for more than a second to be activated. */
    private void logWait(long epoch, java.util.function.Supplier<String> why) {
      final long now = clock.nanoTime();
      if (waitingEpoch != epoch) {
        waitingEpoch = epoch;
        waitingSince = now;
        lastWaitLog = now;
      } else if (now - waitingSince > 1_000_000_000L && now - lastWaitLog > 5_000_000_000L) {
        lastWaitLog = now;
        LOG.info("node {} role={} epoch={}: confirmed {} ms ago, not activated yet: {}", nodeId, spec.name(), epoch,
            (now - waitingSince) / 1_000_000, why.get());
      }
    }

    private void retryLater(long epoch, long nanos) {
      try {
        watchdog.schedule(() -> executor.execute(() -> tryActivate(epoch)), nanos, TimeUnit.NANOSECONDS);
      } catch (java.util.concurrent.RejectedExecutionException closing) {
        // closing: no activation any more
      }
    }

    void deactivate(Activation a, String why) {
      a.lost.complete(null);
      if (activation != a) {
        return;
      }
      activation = null;
      LOG.info("node {} role={} epoch={}: gave the role up ({})", nodeId, spec.name(), a.epoch, why);
      elector.released(spec.name(), a.epoch);
      if (lifecycle.get() == Lifecycle.STARTED) {
        enterStandby();
      }
    }

    void enterStandby() {
      state = RoleState.STANDBY;
      final String leader = elector.activeNode(spec.name());
      LOG.info("node {} role={} epoch={}: standby ({}), active is {}", nodeId, spec.name(), lastEpoch,
          spec.standbyMode(), leader == null ? "unknown" : leader);
      call(() -> spec.handler().onStandby(spec.name(), leader));
      if (spec.standbyMode() == StandbyMode.HOT) {
        startHotFeed(lastEpoch == 0);
      }
    }

    /**
     * Feeds a HOT standby: after a reset, the whole local state as PUT events, then every change
     * after it. A node that was active holds the state already and only needs what follows. When
     * the store cannot be read (an etcd member that does not answer), the feed is marked down and
     * started again, with a reset, {@link #HOT_FEED_RETRY_NANOS} later, for as long as it takes.
     */
    private void startHotFeed(boolean reset) {
      if (hotWatch != null) {
        hotWatch.close();
        hotWatch = null;
      }
      hotFeedDown = true;
      final String prefix = Keys.roleState(spec.name());
      final Watch[] started = new Watch[1];
      try {
        final long from;
        if (reset) {
          final ReadResult now = store.range(prefix, ReadConsistency.STALE).join();
          call(() -> spec.handler().onStateReset());
          for (KeyValue kv : now.kvs()) {
            final WatchEvent e = new WatchEvent(WatchEvent.Type.PUT, kv, kv.modRevision());
            call(() -> spec.handler().onStateChange(e));
          }
          from = now.revision() + 1;
        } else {
          from = localRevision() + 1;
        }
        started[0] = store.watch(prefix, from, new WatchListener() {
          @Override
          public void onEvent(WatchEvent event) {
            executor.execute(() -> {
              if (state == RoleState.STANDBY && hotWatch == started[0]) {
                call(() -> spec.handler().onStateChange(event));
              }
            });
          }

          @Override
          public void onError(BatonException error) {
            executor.execute(() -> {
              if (hotWatch == started[0] && state == RoleState.STANDBY && lifecycle.get() == Lifecycle.STARTED) {
                LOG.warn("node {} role={} epoch={}: HOT standby feed ended ({}); reloading the state", nodeId,
                    spec.name(), lastEpoch, error.getMessage());
                startHotFeed(true);
              }
            });
          }
        });
      } catch (RuntimeException e) {
        hotFeedFailures.failed("node " + nodeId + " role=" + spec.name() + " epoch=" + lastEpoch
            + ": starting the HOT standby feed (the role is not activated here until it runs)", e);
        retryHotFeed();
        return;
      }
      hotWatch = started[0];
      hotFeedDown = false;
      hotFeedFailures.succeeded("node " + nodeId + " role=" + spec.name() + " epoch=" + lastEpoch
          + ": HOT standby feed running again");
    }

    private void retryHotFeed() {
      try {
        watchdog.schedule(() -> executor.execute(() -> {
          if (hotFeedDown && state == RoleState.STANDBY && lifecycle.get() == Lifecycle.STARTED) {
            startHotFeed(true);
          }
        }), HOT_FEED_RETRY_NANOS, TimeUnit.NANOSECONDS);
      } catch (java.util.concurrent.RejectedExecutionException closing) {
        // closing: no feed any more
      }
    }

    private long localRevision() {
      return store.range(Keys.roleState(spec.name()), ReadConsistency.STALE).join().revision();
    }

    void stop() {
      final Activation a = activation;
      if (a != null) {
        a.lost.complete(null);
        activation = null;
        LOG.info("node {} role={} epoch={}: stopped while active", nodeId, spec.name(), a.epoch);
      }
      if (hotWatch != null) {
        hotWatch.close();
        hotWatch = null;
      }
      state = RoleState.STOPPED;
    }

    private void call(Runnable handlerCall) {
      try {
        handlerCall.run();
      } catch (RuntimeException e) {
        LOG.warn("node {} role={}: handler threw: {}", nodeId, spec.name(), e.toString(), e);
      }
    }
  }
}
