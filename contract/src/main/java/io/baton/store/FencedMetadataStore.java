package io.baton.store;

import java.util.concurrent.CompletableFuture;

/** A {@link MetadataStore} view that fences every transaction with one {@link Fence} (leases are not fenced). */
final class FencedMetadataStore extends ForwardingMetadataStore {
  private final Fence fence;

  FencedMetadataStore(MetadataStore delegate, Fence fence) {
    super(delegate);
    this.fence = fence;
  }

  @Override
  public CompletableFuture<TxnResult> txn(Txn txn) {
    return delegate().txn(txn.fencedBy(fence));
  }

  @Override
  public MetadataStore fencedBy(String key, long epoch) {
    return new FencedMetadataStore(delegate(), new Fence(key, epoch));
  }
}
