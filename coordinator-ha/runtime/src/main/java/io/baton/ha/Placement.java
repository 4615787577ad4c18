package io.baton.ha;

import java.time.Duration;
import java.util.Objects;

/** Where a cluster's roles are active. */
public sealed interface Placement {

  /**
   * The default. On Ratis every role is active on the Raft leader, which claims a new epoch for
   * each activation (a takeover costs one Raft election, and all roles move together); on etcd each
   * role is an etcd election by etcd's own recipe.
   */
  record Leader() implements Placement {
  }

  /**
   * Roles are spread over the live nodes, each held through a role lease in the replicated store
   * ({@code baton/roles/<role>/holder}, bound to the holder's session lease); the epoch is the
   * revision at which that key was written. A node whose session lapses loses its roles, and the
   * least loaded live nodes take them over once the session has expired on the leader, so a
   * takeover costs about one {@code sessionTtl}.
   *
   * @param sessionTtl     how long a node's session (and so its role leases) outlives its last
   *                       keep-alive; a holder gives its roles up after 3/4 of it on its own clock
   * @param rebalanceAfter how long a node must have been live before roles are moved to it to even
   *                       out the load (a node holding more than its share hands one role over per
   *                       period); {@link Duration#ZERO} disables rebalancing
   */
  record Spread(Duration sessionTtl, Duration rebalanceAfter) implements Placement {
    /** The shortest session TTL. */
    public static final Duration MIN_SESSION_TTL = Duration.ofMillis(200);

    public Spread {
      Objects.requireNonNull(sessionTtl, "sessionTtl");
      Objects.requireNonNull(rebalanceAfter, "rebalanceAfter");
      if (sessionTtl.compareTo(MIN_SESSION_TTL) < 0) {
        throw new IllegalArgumentException("sessionTtl " + sessionTtl.toMillis() + " ms is below the minimum of "
            + MIN_SESSION_TTL.toMillis() + " ms");
      }
      if (rebalanceAfter.isNegative()) {
        throw new IllegalArgumentException("rebalanceAfter must not be negative");
      }
    }
  }

  static Placement leader() {
    return new Leader();
  }

  static Placement spread(Duration sessionTtl, Duration rebalanceAfter) {
    return new Spread(sessionTtl, rebalanceAfter);
  }
}
