package io.baton.ha;

import io.baton.raft.BatonException;
import io.baton.raft.KeyValue;
import io.baton.raft.Leadership;
import io.baton.raft.LeadershipListener;
import io.baton.raft.MetadataStore;
import io.baton.raft.RaftNode;
import io.baton.raft.ReadConsistency;
import io.baton.raft.ReadResult;
import io.baton.raft.SerialExecutor;
import io.baton.raft.Watch;
import io.baton.raft.WatchEvent;
import io.baton.raft.WatchListener;
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
 * Runs a node's roles with the default placement: every role is active on the Raft leader, so a
 * takeover costs one Raft election, and the epoch of an activation is the leader's term (strictly
 * increasing, and the fence of {@link RoleContext#store()}).
 *
 * <p><b>Safety.</b> A watchdog checks {@link RaftNode#leadership()} every {@code checkInterval}.
 * Leadership holds only while a majority acknowledged this leader within the leader lease (0.75 of
 * the minimum election timeout by default); so with a check interval well under the remaining
 * quarter, an active that loses its quorum, is partitioned or was paused gives its roles up
 * (completes {@link RoleContext#lost()}) before another node can be elected. After a pause it never
 * acts on the old epoch: its fenced writes are rejected.
 *
 * <p><b>Threads.</b> Handler calls for one role run one at a time, in order, on that role's serial
 * view of the given executor; never on a Raft thread.
 */
public final class RoleManager implements AutoCloseable {
  private static final Logger LOG = LoggerFactory.getLogger(RoleManager.class);
  /** Where role state lives: {@code baton/roles/<role>/state/}. */
  public static final String ROLE_PREFIX = "baton/roles/";

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

  private final RaftNode node;
  private final Map<String, Slot> slots = new LinkedHashMap<>();
  private final ScheduledExecutorService watchdog;
  private final Duration checkInterval;
  private final AtomicReference<Lifecycle> lifecycle = new AtomicReference<>(Lifecycle.LATENT);
  private final Listener listener = new Listener();

  /**
   * @param executor      where handler calls run (each role gets a serial view of it)
   * @param checkInterval how often the leader lease of active roles is checked
   */
  public RoleManager(RaftNode node, List<RoleSpec> roles, Executor executor, Duration checkInterval) {
    this.node = Objects.requireNonNull(node, "node");
    if (roles.isEmpty()) {
      throw new IllegalArgumentException("no roles: declare at least one");
    }
    final Duration lease = node.options().leaderLease();
    if (checkInterval.isZero() || checkInterval.isNegative()
        || checkInterval.multipliedBy(2).compareTo(node.options().electionTimeoutMin().minus(lease)) > 0) {
      throw new IllegalArgumentException("checkInterval " + checkInterval.toMillis() + " ms must be positive and at most"
          + " half of electionTimeoutMin - leaderLease (" + node.options().electionTimeoutMin().minus(lease).toMillis()
          + " ms), so that a lost lease is noticed before another node can be elected");
    }
    this.checkInterval = checkInterval;
    for (RoleSpec spec : roles) {
      if (slots.put(spec.name(), new Slot(spec, new SerialExecutor(executor))) != null) {
        throw new IllegalArgumentException("role '" + spec.name() + "' is declared twice");
      }
    }
    this.watchdog = Executors.newSingleThreadScheduledExecutor(r -> {
      final Thread t = new Thread(r, "baton-role-watchdog-" + node.nodeId());
      t.setDaemon(true);
      return t;
    });
  }

  /** The default check interval for a node: a third of the margin between lease and election. */
  public static Duration defaultCheckInterval(RaftNode node) {
    final long marginNanos = node.options().electionTimeoutMin().minus(node.options().leaderLease()).toNanos();
    return Duration.ofNanos(Math.max(1_000_000, marginNanos / 3));
  }

  /** Every role starts STANDBY; the node's leadership then drives activations. */
  public void start() {
    if (!lifecycle.compareAndSet(Lifecycle.LATENT, Lifecycle.STARTED)) {
      throw new IllegalStateException("role manager of node " + node.nodeId() + " is " + lifecycle.get());
    }
    for (Slot slot : slots.values()) {
      slot.executor.execute(slot::enterStandby);
    }
    node.addLeadershipListener(listener, Runnable::run);
    watchdog.scheduleWithFixedDelay(this::checkLeases, checkInterval.toNanos(), checkInterval.toNanos(),
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

  /** Each role's state on this node. */
  public List<RoleStatus> statuses() {
    final String leader = node.status().leader();
    final List<RoleStatus> out = new ArrayList<>();
    for (Slot slot : slots.values()) {
      final Activation a = slot.activation;
      final RoleState state = lifecycle.get() == Lifecycle.CLOSED ? RoleState.STOPPED : slot.state;
      out.add(new RoleStatus(slot.spec.name(), state, slot.lastEpoch,
          state == RoleState.ACTIVE && a != null ? node.nodeId() : leader, slot.spec.standbyMode(),
          slot.activatedAtMillis));
    }
    return out;
  }

  /** Gives every role up (completing its lost signal) and stops. Idempotent. */
  @Override
  public void close() {
    if (lifecycle.getAndSet(Lifecycle.CLOSED) == Lifecycle.CLOSED) {
      return;
    }
    node.removeLeadershipListener(listener);
    watchdog.shutdownNow();
    for (Slot slot : slots.values()) {
      slot.executor.execute(() -> slot.stop());
    }
  }

  /**
   * Both directions, every check interval: an activation whose lease lapsed is given up, and a
   * role with no activation for the current, lease-confirmed epoch is activated (the leadership
   * notification only makes that prompt; a notification that arrived before the lease was
   * confirmed is not lost).
   */
  private void checkLeases() {
    try {
      final Leadership now = node.leadership();
      for (Slot slot : slots.values()) {
        final Activation a = slot.activation;
        if (a != null && (!now.leader() || now.epoch() != a.epoch)) {
          // complete the signal at once, from here: the handler must stop before a new leader exists
          a.lost.complete(null);
          slot.executor.execute(() -> slot.deactivate(a, "leader lease lapsed"));
          stepDownIfStillLeading(a.epoch);
        } else if (a == null && now.leader() && now.epoch() > slot.lastEpoch && slot.pendingEpoch != now.epoch()) {
          slot.pendingEpoch = now.epoch();
          slot.executor.execute(() -> slot.activate(now.epoch()));
        }
      }
    } catch (RuntimeException e) {
      LOG.warn("node {}: role lease check failed: {}", node.nodeId(), e.toString());
    }
  }

  /**
   * An activation is never renewed in its own epoch (every activation gets a strictly greater
   * epoch). So a node that lost its lease but is still Raft leader in that term steps down: the
   * next election, whoever wins it, brings a new epoch.
   */
  private void stepDownIfStillLeading(long lostEpoch) {
    final io.baton.raft.RaftStatus status = node.status();
    if ("LEADER".equals(status.role()) && status.term() == lostEpoch && steppedDownIn != lostEpoch) {
      steppedDownIn = lostEpoch;
      LOG.info("node {} role=leader epoch={}: lease lapsed while still leader; stepping down for a new epoch",
          node.nodeId(), lostEpoch);
      node.stepDown().whenComplete((v, e) -> {
        if (e != null) {
          LOG.warn("node {} epoch={}: step-down failed: {}", node.nodeId(), lostEpoch, e.toString());
        }
      });
    }
  }

  private volatile long steppedDownIn;

  private final class Listener implements LeadershipListener {
    @Override
    public void isLeader(long epoch) {
      for (Slot slot : slots.values()) {
        slot.executor.execute(() -> slot.activate(epoch));
      }
    }

    @Override
    public void notLeader() {
      for (Slot slot : slots.values()) {
        final Activation a = slot.activation;
        if (a != null) {
          a.lost.complete(null);
          slot.executor.execute(() -> slot.deactivate(a, "no longer leader"));
        }
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
      this.fenced = node.metadata().fenced(epoch);
    }

    @Override
    public String role() {
      return role;
    }

    @Override
    public String node() {
      return node.nodeId();
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
      final Leadership now = node.leadership();
      return !lost.isDone() && now.leader() && now.epoch() == epoch;
    }

    @Override
    public String statePrefix() {
      return statePrefixOf(role);
    }
  }

  /** The key prefix of a role's replicated state. */
  public static String statePrefixOf(String role) {
    return ROLE_PREFIX + role + "/state/";
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
    private Watch hotWatch;

    Slot(RoleSpec spec, SerialExecutor executor) {
      this.spec = spec;
      this.executor = executor;
    }

    void activate(long epoch) {
      if (lifecycle.get() != Lifecycle.STARTED || epoch <= lastEpoch) {
        return; // closed, or this epoch (or a later one) was activated already: epochs only grow
      }
      final Leadership now = node.leadership();
      if (!now.leader() || now.epoch() != epoch) {
        pendingEpoch = 0; // not confirmed (yet): the watchdog activates once the lease holds
        return;
      }
      if (spec.standbyMode() == StandbyMode.HOT && hotWatch != null) {
        // every state change this replica applied must reach the handler before onActive
        final long applied = localRevision();
        if (hotWatch.nextRevision() <= applied) {
          try {
            watchdog.schedule(() -> executor.execute(() -> activate(epoch)), 1, TimeUnit.MILLISECONDS);
          } catch (java.util.concurrent.RejectedExecutionException closing) {
            // closing: no activation any more
          }
          return;
        }
        hotWatch.close();
        hotWatch = null;
      }
      final Activation a = new Activation(spec.name(), epoch);
      activation = a;
      lastEpoch = epoch;
      state = RoleState.ACTIVE;
      LOG.info("node {} role={} epoch={}: active ({} standby mode)", node.nodeId(), spec.name(), epoch,
          spec.standbyMode());
      call(() -> spec.handler().onActive(a));
      activatedAtMillis = System.currentTimeMillis(); // a report stamp, not used for any decision
    }

    void deactivate(Activation a, String why) {
      a.lost.complete(null);
      if (activation != a) {
        return;
      }
      activation = null;
      LOG.info("node {} role={} epoch={}: gave the role up ({})", node.nodeId(), spec.name(), a.epoch, why);
      if (lifecycle.get() == Lifecycle.STARTED) {
        enterStandby();
      }
    }

    void enterStandby() {
      state = RoleState.STANDBY;
      final String leader = node.status().leader();
      LOG.info("node {} role={} epoch={}: standby ({}), active is {}", node.nodeId(), spec.name(), lastEpoch,
          spec.standbyMode(), leader == null ? "unknown" : leader);
      call(() -> spec.handler().onStandby(spec.name(), leader));
      if (spec.standbyMode() == StandbyMode.HOT) {
        startHotFeed(lastEpoch == 0);
      }
    }

    /**
     * Feeds a HOT standby: after a reset, the whole local state as PUT events, then every change
     * after it. A node that was active holds the state already and only needs what follows.
     */
    private void startHotFeed(boolean reset) {
      final String prefix = statePrefixOf(spec.name());
      final long from;
      if (reset) {
        final ReadResult now = node.metadata().range(prefix, ReadConsistency.STALE).join();
        call(() -> spec.handler().onStateReset());
        for (KeyValue kv : now.kvs()) {
          final WatchEvent e = new WatchEvent(WatchEvent.Type.PUT, kv, kv.modRevision());
          call(() -> spec.handler().onStateChange(e));
        }
        from = now.revision() + 1;
      } else {
        from = localRevision() + 1;
      }
      hotWatch = node.metadata().watch(prefix, from, new WatchListener() {
        @Override
        public void onEvent(WatchEvent event) {
          executor.execute(() -> {
            if (state == RoleState.STANDBY) {
              call(() -> spec.handler().onStateChange(event));
            }
          });
        }

        @Override
        public void onError(BatonException error) {
          LOG.warn("node {} role={}: HOT standby feed ended ({}); reloading the state", node.nodeId(), spec.name(),
              error.getMessage());
          executor.execute(() -> {
            if (state == RoleState.STANDBY && lifecycle.get() == Lifecycle.STARTED) {
              startHotFeed(true);
            }
          });
        }
      });
    }

    private long localRevision() {
      return node.metadata().range(statePrefixOf(spec.name()), ReadConsistency.STALE).join().revision();
    }

    void stop() {
      final Activation a = activation;
      if (a != null) {
        a.lost.complete(null);
        activation = null;
        LOG.info("node {} role={} epoch={}: stopped while active", node.nodeId(), spec.name(), a.epoch);
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
        LOG.warn("node {} role={}: handler threw: {}", node.nodeId(), spec.name(), e.toString(), e);
      }
    }
  }
}
