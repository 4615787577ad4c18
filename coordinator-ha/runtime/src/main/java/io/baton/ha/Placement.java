package io.baton.ha;

import java.time.Duration;
import java.util.Objects;

/** Where a cluster's roles are active. */
public sealed interface Placement {

  /**
   * Every role is active on the Raft leader; the epoch is the leader's term. A takeover costs one
   * Raft election (a few hundred ms), and all roles move together. The default.
   */
  record Leader() implements Placement {
  }

  /**
   * Roles are spread over the live nodes, each held through a role lease in the replicated store
   * ({@code baton/roles/<role>/holder}, bound to the holder's session lease); the epoch is the
   * revision at which that key was created. A node whose session lapses loses its roles, and the
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
    public Spread {
      Objects.requireNonNull(sessionTtl, "sessionTtl");
      Objects.requireNonNull(rebalanceAfter, "rebalanceAfter");
      if (sessionTtl.compareTo(Duration.ofMillis(200)) < 0) {
        throw new IllegalArgumentException("sessionTtl " + sessionTtl.toMillis() + " ms is below the minimum of 200 ms");
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
