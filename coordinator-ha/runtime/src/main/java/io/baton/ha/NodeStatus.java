package io.baton.ha;

import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * One node's status, built once ({@link Baton#status()}) for everything that reports it: the HTTP
 * {@code GET /baton/status} JSON, the gRPC {@code Status} reply, the health checks and the metrics.
 *
 * @param node      this node's id
 * @param backend   {@code ratis} or {@code etcd}
 * @param placement {@code leader} or {@code spread}
 * @param lifecycle where the node is in its life
 * @param roles     this node's state for each role
 * @param members   each member's state as this node's failure detector sees it (empty unless this
 *                  node is active for the members' role)
 * @param raft      the Raft state (absent on the etcd backend)
 * @param sections  what {@link StatusSection} beans add, by section name
 */
public record NodeStatus(String node, String backend, String placement, Lifecycle lifecycle, List<RoleStatus> roles,
    Map<String, MemberState> members, Optional<Raft> raft, Map<String, Map<String, String>> sections) {

  public NodeStatus {
    roles = List.copyOf(roles);
    members = Map.copyOf(members);
    final Map<String, Map<String, String>> copy = new LinkedHashMap<>();
    sections.forEach((name, entries) -> copy.put(name, Collections.unmodifiableMap(new LinkedHashMap<>(entries))));
    sections = Collections.unmodifiableMap(copy);
  }

  /** A status without sections. */
  public NodeStatus(String node, String backend, String placement, Lifecycle lifecycle, List<RoleStatus> roles,
      Map<String, MemberState> members, Optional<Raft> raft) {
    this(node, backend, placement, lifecycle, roles, members, raft, Map.of());
  }

  /** Where a node is in its life. */
  public enum Lifecycle {
    /** Start-up has not finished (storage, log replay, roles). */
    STARTING,
    /** Started: the backend runs and the roles take part. */
    STARTED,
    /** Stopping or stopped. */
    STOPPED
  }

  /**
   * The Raft part of the status.
   *
   * @param role          LEADER, CANDIDATE, FOLLOWER, LISTENER or NONE (server not running)
   * @param term          the current term
   * @param leader        the known leader's node id, or null
   * @param commitIndex   the highest log index this node knows is committed
   * @param appliedIndex  the highest log index this node's replica has applied
   * @param serverRunning whether the Raft server runs (liveness)
   * @param votingMember  whether this node is a voting member of the current configuration
   * @param leaderChanges how many times this node has seen a new leader since it started
   * @param logFailure    why its Raft log can no longer be written (full disk, I/O error), if it failed
   * @param rehearsing    whether the practice cluster that warms up this process' takeover code still
   *                      runs (after start-up, {@code baton.raft.rehearse}); readiness waits for it
   */
  public record Raft(String role, long term, String leader, long commitIndex, long appliedIndex,
      boolean serverRunning, boolean votingMember, long leaderChanges, Optional<String> logFailure,
      boolean rehearsing) {

    /** Whether this node is the Raft leader. */
    public boolean isLeader() {
      return "LEADER".equals(role);
    }
  }
}
