package io.baton.raft;

import java.util.concurrent.CompletableFuture;

/**
 * A {@link MetadataStore} view that fences every transaction with one epoch, a Raft term or, with a
 * fence key, the creation revision of that key (leases are not fenced).
 */
final class FencedMetadataStore extends ForwardingMetadataStore {
  private final long epoch;
  private final String fenceKey;

  FencedMetadataStore(MetadataStore delegate, long epoch, String fenceKey) {
    super(delegate);
    if (epoch <= 0) {
      throw new IllegalArgumentException("fence epoch must be positive, got " + epoch);
    }
    this.epoch = epoch;
    this.fenceKey = fenceKey;
  }

  @Override
  public CompletableFuture<TxnResult> txn(Txn txn) {
    return delegate().txn(fenceKey == null ? txn.fenced(epoch) : txn.fencedBy(fenceKey, epoch));
  }

  @Override
  public MetadataStore fenced(long newEpoch) {
    return new FencedMetadataStore(delegate(), newEpoch, null);
  }

  @Override
  public MetadataStore fencedBy(String key, long newEpoch) {
    return new FencedMetadataStore(delegate(), newEpoch, key);
  }
}
