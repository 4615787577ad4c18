package io.baton.raft;

/**
 * A snapshot of one node's Raft state, for status endpoints and tests.
 *
 * @param role         LEADER, FOLLOWER, CANDIDATE or LISTENER
 * @param leader       the node id of the known leader, or null
 */
public record RaftStatus(String node, String role, long term, String leader, long commitIndex,
    long appliedIndex, long revision) {
}
