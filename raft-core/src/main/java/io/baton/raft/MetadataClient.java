package io.baton.raft;

import java.time.Duration;
import java.util.List;
import java.util.Objects;
import java.util.concurrent.CompletableFuture;
import org.apache.ratis.protocol.RaftPeerId;

/**
 * A {@link MetadataStore} for a process that is not a node (a load generator, a tool): it talks to
 * the cluster over the network and holds no replica, so {@link MetadataStore#watch} is not
 * available and {@link ReadConsistency#STALE} reads are served by the first listed peer.
 */
public final class MetadataClient implements MetadataStore, AutoCloseable {
  private final RatisMetadataStore store;

  /**
   * @param clusterName    the cluster's name (as in {@link RaftNodeOptions#clusterName()})
   * @param peers          any non-empty subset of the cluster's members; the leader is found from there
   * @param requestTimeout how long an operation may wait for a majority
   */
  public MetadataClient(String clusterName, List<Peer> peers, Duration requestTimeout) {
    Objects.requireNonNull(clusterName, "clusterName");
    if (peers == null || peers.isEmpty()) {
      throw new IllegalArgumentException("a metadata client needs at least one peer");
    }
    this.store = new RatisMetadataStore("metadata client of " + clusterName, () -> RaftNode.newClient(clusterName, RaftNode.toRaftPeers(peers),
        requestTimeout, RaftNodeOptions.DEFAULT_MAX_REQUEST_BYTES), null, RaftPeerId.valueOf(peers.get(0).id()),
        new RequestValidator(RaftNodeOptions.DEFAULT_MAX_VALUE_BYTES, RaftNodeOptions.DEFAULT_MAX_REQUEST_BYTES,
            RaftNodeOptions.DEFAULT_ELECTION_TIMEOUT_MAX.toMillis()),
        requestTimeout);
  }

  @Override
  public CompletableFuture<ReadResult> get(String key, ReadConsistency consistency) {
    return store.get(key, consistency);
  }

  @Override
  public CompletableFuture<ReadResult> range(String prefix, ReadConsistency consistency) {
    return store.range(prefix, consistency);
  }

  @Override
  public CompletableFuture<TxnResult> txn(Txn txn) {
    return store.txn(txn);
  }

  @Override
  public Watch watch(String prefix, long fromRevision, WatchListener listener) {
    return store.watch(prefix, fromRevision, listener);
  }

  @Override
  public CompletableFuture<Long> grantLease(Duration ttl) {
    return store.grantLease(ttl);
  }

  @Override
  public CompletableFuture<Void> keepAlive(long leaseId) {
    return store.keepAlive(leaseId);
  }

  @Override
  public CompletableFuture<Long> revokeLease(long leaseId) {
    return store.revokeLease(leaseId);
  }

  @Override
  public void close() {
    store.close();
  }
}
