package io.baton.ha;

import io.baton.store.ForwardingMetadataStore;
import io.baton.store.MetadataStore;
import io.baton.store.ReadConsistency;
import io.baton.store.ReadResult;
import io.baton.store.Txn;
import io.baton.store.TxnResult;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import org.jboss.logging.Logger;

/** A store view that tells {@link MetadataOperationListener}s how long each operation took and how it ended. */
final class ObservedMetadataStore extends ForwardingMetadataStore {
  private static final Logger LOG = Logger.getLogger(ObservedMetadataStore.class);
  private final List<MetadataOperationListener> listeners;

  ObservedMetadataStore(MetadataStore delegate, List<MetadataOperationListener> listeners) {
    super(delegate);
    this.listeners = listeners;
  }

  @Override
  public CompletableFuture<ReadResult> get(String key, ReadConsistency consistency) {
    return observe("get", () -> super.get(key, consistency));
  }

  @Override
  public CompletableFuture<ReadResult> range(String prefix, ReadConsistency consistency) {
    return observe("range", () -> super.range(prefix, consistency));
  }

  @Override
  public CompletableFuture<TxnResult> txn(Txn txn) {
    return observe("txn", () -> super.txn(txn));
  }

  @Override
  public CompletableFuture<Long> grantLease(Duration ttl) {
    return observe("lease_grant", () -> super.grantLease(ttl));
  }

  @Override
  public CompletableFuture<Void> keepAlive(long leaseId) {
    return observe("lease_keepalive", () -> super.keepAlive(leaseId));
  }

  @Override
  public CompletableFuture<Long> revokeLease(long leaseId) {
    return observe("lease_revoke", () -> super.revokeLease(leaseId));
  }

  private <T> CompletableFuture<T> observe(String operation, java.util.function.Supplier<CompletableFuture<T>> call) {
    if (listeners.isEmpty()) {
      return call.get();
    }
    final long start = System.nanoTime();
    final CompletableFuture<T> result;
    try {
      result = call.get();
    } catch (RuntimeException e) {
      report(operation, System.nanoTime() - start, e);
      throw e;
    }
    return result.whenComplete((v, e) -> report(operation, System.nanoTime() - start, e));
  }

  private void report(String operation, long nanos, Throwable failure) {
    final Throwable cause = failure == null ? null : io.baton.store.Futures.unwrap(failure);
    for (MetadataOperationListener l : listeners) {
      try {
        l.completed(operation, nanos, cause);
      } catch (RuntimeException e) {
        LOG.warnf("a metadata operation listener threw: %s", e.toString());
      }
    }
  }
}
