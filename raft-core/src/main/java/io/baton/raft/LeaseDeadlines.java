package io.baton.raft;

import io.baton.store.MonotonicClock;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.TimeUnit;

/**
 * When each lease runs out, on this node's clock. Only the leader acts on it, by proposing a
 * {@link Command.LeaseExpire} through the log; no replica ever deletes keys on its own clock. A
 * new leader restarts every lease's full TTL ({@link #resetAll}), as etcd does, so that a leader
 * change never shortens a lease. Thread-safe.
 */
final class LeaseDeadlines {
  private final MonotonicClock clock;
  private final Map<Long, Long> deadlines = new HashMap<>();
  private final Set<Long> proposed = new HashSet<>();

  LeaseDeadlines(MonotonicClock clock) {
    this.clock = clock;
  }

  /** A grant or keep-alive of {@code id} was applied: its TTL starts again now. */
  synchronized void refresh(long id, long ttlMillis) {
    deadlines.put(id, clock.nanoTime() + TimeUnit.MILLISECONDS.toNanos(ttlMillis));
    proposed.remove(id);
  }

  /** The lease is gone. */
  synchronized void remove(long id) {
    deadlines.remove(id);
    proposed.remove(id);
  }

  /** Replaces every deadline with a full TTL from now (on becoming leader, or after a snapshot). */
  synchronized void resetAll(Map<Long, Long> ttlMillisById) {
    deadlines.clear();
    proposed.clear();
    ttlMillisById.forEach(this::refresh);
  }

  /**
   * Leases whose deadline has passed and whose expiry has not been proposed yet; they are marked
   * proposed until {@link #proposalFailed} or {@link #remove}.
   */
  synchronized List<Long> takeExpired() {
    final long now = clock.nanoTime();
    final List<Long> expired = new ArrayList<>();
    deadlines.forEach((id, deadline) -> {
      if (now - deadline >= 0 && !proposed.contains(id)) {
        expired.add(id);
      }
    });
    proposed.addAll(expired);
    expired.sort(null);
    return expired;
  }

  /** The expiry proposal did not commit; offer the lease again on the next check. */
  synchronized void proposalFailed(long id) {
    proposed.remove(id);
  }

  synchronized int size() {
    return deadlines.size();
  }
}
