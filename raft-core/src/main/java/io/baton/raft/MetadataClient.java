package io.baton.raft;

import io.baton.store.ForwardingMetadataStore;
import io.baton.store.NoQuorumException;
import java.time.Duration;
import java.util.List;
import java.util.Objects;
import java.util.concurrent.CompletableFuture;
import org.apache.ratis.protocol.RaftPeerId;

/**
 * A {@link MetadataStore} for a process that is not a node (a load generator, a tool): it talks to
 * the cluster over the network and holds no replica, so {@link MetadataStore#watch} is not
 * available and a {@link ReadConsistency#STALE} read is served by the leader without confirming
 * its lease (it can be stale only if that leader was just deposed).
 */
public final class MetadataClient extends ForwardingMetadataStore implements AutoCloseable {
  private final RatisMetadataStore store;
  private final String clusterName;
  private final Duration requestTimeout;
  private final TlsFiles tls;

  /**
   * @param clusterName    the cluster's name (as in {@link RaftNodeOptions#clusterName()})
   * @param peers          any non-empty subset of the cluster's members; the leader is found from there
   * @param requestTimeout how long an operation may wait for a majority
   */
  public MetadataClient(String clusterName, List<Peer> peers, Duration requestTimeout) {
    this(clusterName, peers, requestTimeout, null);
  }

  /**
   * A client of a cluster whose Raft traffic is mutual TLS ({@link RaftNodeOptions#tls()}):
   * {@code tls} holds a certificate the cluster's CA signed.
   */
  public MetadataClient(String clusterName, List<Peer> peers, Duration requestTimeout, TlsFiles tls) {
    this(clusterName, requestTimeout, tls, newStore(clusterName, peers, requestTimeout, tls));
  }

  private MetadataClient(String clusterName, Duration requestTimeout, TlsFiles tls, RatisMetadataStore store) {
    super(store);
    this.store = store;
    this.clusterName = clusterName;
    this.requestTimeout = requestTimeout;
    this.tls = tls;
  }

  private static RatisMetadataStore newStore(String clusterName, List<Peer> peers, Duration requestTimeout,
      TlsFiles tls) {
    Objects.requireNonNull(clusterName, "clusterName");
    if (peers == null || peers.isEmpty()) {
      throw new IllegalArgumentException("a metadata client needs at least one peer");
    }
    return new RatisMetadataStore("metadata client of " + clusterName, () -> RaftNode.newClient(clusterName, RaftNode.toRaftPeers(peers),
        requestTimeout, RaftNodeOptions.DEFAULT_MAX_REQUEST_BYTES, tls), null, null,
        new RequestValidator(io.baton.store.RequestLimits.DEFAULT, RaftNodeOptions.DEFAULT_MAX_REQUEST_BYTES,
            RaftNodeOptions.DEFAULT_ELECTION_TIMEOUT_MAX.toMillis()),
        requestTimeout);
  }

  /**
   * Asks one node for its Raft state (over its Raft port). A node reports LEADER only once its leader
   * state is set up (before that it reports CANDIDATE). For a non-leader, {@code term} is the term of
   * its last log entry; {@code revision} is not known remotely and is -1.
   *
   * @throws NoQuorumException when the node does not answer
   */
  public RaftStatus status(Peer peer) {
    try (org.apache.ratis.client.RaftClient admin = RaftNode.newClient(clusterName, List.of(RaftNode.toRaftPeer(peer)),
        requestTimeout, RaftNodeOptions.DEFAULT_MAX_REQUEST_BYTES, tls)) {
      final org.apache.ratis.protocol.GroupInfoReply info = admin.getGroupManagementApi(RaftPeerId.valueOf(peer.id()))
          .info(RaftNode.groupIdOf(clusterName));
      final var role = info.getRoleInfoProto();
      final String leader;
      final long term;
      RaftStatus.Role raftRole = RaftStatus.Role.of(role.getRole().name());
      if (role.hasLeaderInfo()) {
        leader = peer.id();
        term = role.getLeaderInfo().getTerm();
      } else {
        final var leaderId = role.hasFollowerInfo() ? role.getFollowerInfo().getLeaderInfo().getId().getId() : null;
        leader = leaderId == null || leaderId.isEmpty() ? null : leaderId.toStringUtf8();
        term = info.getLogInfoProto().getLastEntry().getTerm();
        if (raftRole == RaftStatus.Role.LEADER) {
          raftRole = RaftStatus.Role.CANDIDATE; // elected, but its leader state is not set up yet
        }
      }
      return new RaftStatus(peer.id(), raftRole, term, leader,
          info.getLogInfoProto().getCommitted().getIndex(), info.getLogInfoProto().getApplied().getIndex(), -1);
    } catch (java.io.IOException | RuntimeException e) {
      // gRPC's blocking stub throws its unchecked StatusRuntimeException for an unreachable node
      throw new NoQuorumException("node " + peer + " did not answer a status request: " + e.getMessage(), e);
    }
  }

  @Override
  public void close() {
    store.close();
  }
}
