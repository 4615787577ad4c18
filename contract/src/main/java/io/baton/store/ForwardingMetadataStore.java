package io.baton.store;

import java.time.Duration;
import java.util.concurrent.CompletableFuture;

/** A {@link MetadataStore} that passes every call to another; subclasses override what they change. */
public abstract class ForwardingMetadataStore implements MetadataStore {
  private final MetadataStore delegate;

  protected ForwardingMetadataStore(MetadataStore delegate) {
    this.delegate = java.util.Objects.requireNonNull(delegate, "delegate");
  }

  protected MetadataStore delegate() {
    return delegate;
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
    return delegate.txn(txn);
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
}
