package io.baton.raft;

import java.time.Duration;
import java.util.concurrent.CompletableFuture;

/** A {@link MetadataStore} view that fences every transaction with one epoch. */
final class FencedMetadataStore implements MetadataStore {
  private final MetadataStore delegate;
  private final long epoch;

  FencedMetadataStore(MetadataStore delegate, long epoch) {
    if (epoch <= 0) {
      throw new IllegalArgumentException("fence epoch must be positive, got " + epoch);
    }
    this.delegate = delegate;
    this.epoch = epoch;
  }

  @Override
  public CompletableFuture<ReadResult> get(String key, ReadConsistency consistency) {
    return delegate.get(key, consistency);
  }

  @Override
  public CompletableFuture<ReadResult> range(String prefix, ReadConsistency consistency) {
    return delegate.range(prefix, consistency);
  }

  @Override
  public CompletableFuture<TxnResult> txn(Txn txn) {
    return delegate.txn(txn.fenced(epoch));
  }

  @Override
  public Watch watch(String prefix, long fromRevision, WatchListener listener) {
    return delegate.watch(prefix, fromRevision, listener);
  }

  @Override
  public CompletableFuture<Long> grantLease(Duration ttl) {
    return delegate.grantLease(ttl);
  }

  @Override
  public CompletableFuture<Void> keepAlive(long leaseId) {
    return delegate.keepAlive(leaseId);
  }

  @Override
  public CompletableFuture<Long> revokeLease(long leaseId) {
    return delegate.revokeLease(leaseId);
  }

  @Override
  public MetadataStore fenced(long newEpoch) {
    return new FencedMetadataStore(delegate, newEpoch);
  }
}
