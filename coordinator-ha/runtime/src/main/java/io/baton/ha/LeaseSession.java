package io.baton.ha;

import io.baton.store.Futures;
import io.baton.store.MetadataStore;
import io.baton.store.MonotonicClock;
import java.time.Duration;
import java.util.Objects;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Executor;
import java.util.concurrent.RejectedExecutionException;
import java.util.function.LongFunction;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A node's session: one lease of the metadata store, kept alive on a schedule, and the local
 * deadline until which holding what is bound to it is safe. The deadline is {@code validFor}
 * after the <em>sending</em> of the last keep-alive that succeeded (or of the grant): the store
 * expires the lease no sooner than its TTL after it received that request, so with
 * {@code validFor} shorter than the TTL this node stops counting on the lease before anyone else
 * can take what it held. Both the spread placement's and the etcd backend's electors keep their
 * sessions with it.
 *
 * <p>Keep-alives are sent on schedule even while earlier ones are still unanswered (at most
 * {@value #KEEP_ALIVES_IN_FLIGHT} at a time): a client that spreads requests over several servers
 * (jetcd over the etcd members) may send one to a server that silently stopped answering, and
 * waiting for that one to time out (longer than the session's validity) would give the session up
 * although every other server answers. The deadline only moves forward: a late answer to an older
 * keep-alive cannot shorten it.
 *
 * <p>{@link #tick()} runs on one loop thread, and completions are handed back to that loop;
 * {@link #id()}, {@link #valid()} and {@link #remainingNanos()} may be read from any thread.
 */
public final class LeaseSession {
  private static final Logger LOG = LoggerFactory.getLogger(LeaseSession.class);
  /** Keep-alives unanswered at once, at most. */
  static final int KEEP_ALIVES_IN_FLIGHT = 4;

  /** Told, on the loop, when a session starts and when the store says it expired. */
  public interface Listener {
    default void started(long id) {
    }

    default void expired(long id) {
    }
  }

  private final String node;
  private final String name;
  private final MetadataStore store;
  private final Duration ttl;
  private final long keepAliveEveryNanos;
  private final long validForNanos;
  private final MonotonicClock clock;
  private final LongFunction<CompletableFuture<?>> afterGrant;
  private final Listener listener;

  private Executor loop;
  private volatile boolean stopped;
  private volatile long id;
  private volatile long deadline;
  private long lastKeepAliveSent;
  private boolean grantInFlight;
  private int keepAlivesInFlight;
  private final FailureRun failures = new FailureRun(LOG);

  /**
   * @param name           what the logs call it ("session", "etcd session")
   * @param keepAliveEvery how often a keep-alive is sent
   * @param validFor       how long after sending a successful keep-alive the session counts as
   *                       held; must be shorter than {@code ttl}
   * @param afterGrant     a step that must succeed before a newly granted lease counts (say,
   *                       putting a presence key bound to it), or null
   */
  public LeaseSession(String node, String name, MetadataStore store, Duration ttl, Duration keepAliveEvery,
      Duration validFor, MonotonicClock clock, LongFunction<CompletableFuture<?>> afterGrant, Listener listener) {
    this.node = Objects.requireNonNull(node, "node");
    this.name = Objects.requireNonNull(name, "name");
    this.store = Objects.requireNonNull(store, "store");
    this.ttl = Objects.requireNonNull(ttl, "ttl");
    if (validFor.compareTo(ttl) >= 0) {
      throw new IllegalArgumentException("validFor " + validFor.toMillis() + " ms must be shorter than the TTL "
          + ttl.toMillis() + " ms");
    }
    this.keepAliveEveryNanos = keepAliveEvery.toNanos();
    this.validForNanos = validFor.toNanos();
    this.clock = Objects.requireNonNull(clock, "clock");
    this.afterGrant = afterGrant;
    this.listener = Objects.requireNonNull(listener, "listener");
  }

  /** The loop thread that calls {@link #tick()}. */
  public void start(Executor loopThread) {
    this.loop = Objects.requireNonNull(loopThread, "loop");
  }

  /** The lease id, or 0 when there is no session. */
  public long id() {
    return id;
  }

  /** Whether the session is held now, on this node's clock. */
  public boolean valid() {
    return id != 0 && clock.nanoTime() - deadline < 0;
  }

  /** How long the session still counts as held (negative or meaningless when {@link #valid()} is false). */
  public long remainingNanos() {
    return deadline - clock.nanoTime();
  }

  /** On the loop: grants a lease when there is none, or sends a keep-alive when one is due. */
  public void tick() {
    if (grantInFlight || stopped) {
      return;
    }
    final long now = clock.nanoTime();
    if (id == 0) {
      grantInFlight = true;
      store.grantLease(ttl)
          .thenCompose(granted -> afterGrant == null ? CompletableFuture.completedFuture(granted)
              : afterGrant.apply(granted).thenApply(v -> granted))
          .whenComplete((granted, e) -> onLoop(() -> {
            grantInFlight = false;
            if (e == null && !stopped) {
              lastKeepAliveSent = now;
              deadline = now + validForNanos;
              id = granted;
              LOG.info("node {}: {} {} started (TTL {} ms)", node, name, Long.toHexString(granted), ttl.toMillis());
              failures.succeeded("node " + node + ": " + name + " " + Long.toHexString(granted) + " started again");
              listener.started(granted);
            } else if (e == null) {
              revokeUnused(granted); // stopped while the grant was in flight
            } else {
              failures.failed("node " + node + ": starting a " + name, e);
            }
          }));
    } else if (now - lastKeepAliveSent >= keepAliveEveryNanos && keepAlivesInFlight < KEEP_ALIVES_IN_FLIGHT) {
      keepAlivesInFlight++;
      final long current = id;
      lastKeepAliveSent = now;
      store.keepAlive(current).whenComplete((v, e) -> onLoop(() -> {
        keepAlivesInFlight--;
        if (id != current) {
          return;
        }
        if (e == null) {
          if (now + validForNanos - deadline > 0) {
            deadline = now + validForNanos;
          }
          failures.succeeded("node " + node + ": " + name + " " + Long.toHexString(current) + " kept alive again");
        } else if (Futures.unwrap(e) instanceof IllegalStateException) {
          LOG.warn("node {}: {} {} expired; everything bound to it is gone; starting a new one", node, name,
              Long.toHexString(current));
          id = 0;
          listener.expired(current);
        } else {
          failures.failed("node " + node + ": keep-alive of " + name + " " + Long.toHexString(current) + " (held for "
              + Math.max(0, remainingNanos() / 1_000_000) + " ms more on this node's clock)", e);
        }
      }));
    }
  }

  private void revokeUnused(long granted) {
    store.revokeLease(granted).whenComplete((rev, e) -> {
      if (e != null) {
        LOG.warn("node {}: revoking {} {}, granted after the session stopped, failed ({}); it expires by itself",
            node, name, Long.toHexString(granted), Futures.unwrap(e).toString());
      }
    });
  }

  /** Stops granting and keeping alive; returns the lease id it had (0 if none), which it forgets. */
  public long stop() {
    stopped = true;
    final long had = id;
    id = 0;
    return had;
  }

  private void onLoop(Runnable task) {
    try {
      loop.execute(task);
    } catch (RejectedExecutionException closing) {
      // the loop is gone: so is this session
    }
  }
}
