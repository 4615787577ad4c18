package io.baton.raft;

import java.util.concurrent.CompletableFuture;

/** A {@link MetadataStore} view that fences every transaction with one epoch (leases are not fenced). */
final class FencedMetadataStore extends ForwardingMetadataStore {
  private final long epoch;

  FencedMetadataStore(MetadataStore delegate, long epoch) {
    super(delegate);
    if (epoch <= 0) {
      throw new IllegalArgumentException("fence epoch must be positive, got " + epoch);
    }
    this.epoch = epoch;
  }

  @Override
  public CompletableFuture<TxnResult> txn(Txn txn) {
    return delegate().txn(txn.fenced(epoch));
  }

  @Override
  public MetadataStore fenced(long newEpoch) {
    return new FencedMetadataStore(delegate(), newEpoch);
  }
}
