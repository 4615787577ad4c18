package io.baton.store;

import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CompletableFuture;

/**
 * A replicated key-value store in the spirit of etcd's KV: string keys, byte values, one
 * store-wide revision that grows by one with every transaction that writes, compare-and-set, atomic
 * batches, ordered watches and TTL leases.
 *
 * <p>Every method is thread-safe and returns at once; the future completes when the operation is
 * done. Writes complete only after a majority has committed them (they survive any minority of
 * crashes). Futures fail with a {@link BatonException}: {@link NoQuorumException} after the
 * request timeout, {@link ClosedException} once closed, {@link StaleEpochException} for a fenced
 * write of a deposed epoch; with {@link IllegalArgumentException} for a request that is invalid
 * in itself (a value over the size limit, an empty key; see {@link RequestLimits}); and with
 * {@link IllegalStateException} for a lease that does not exist (expired or revoked).
 *
 * <p>Implementations: the embedded Ratis store ({@code baton-raft-core}) and etcd
 * ({@code baton-etcd}). Both pass the same contract suite ({@code MetadataStoreContract} in
 * {@code baton-testkit}).
 */
public interface MetadataStore {

  /** Reads one key, linearizably. */
  default CompletableFuture<ReadResult> get(String key) {
    return get(key, ReadConsistency.LINEARIZABLE);
  }

  CompletableFuture<ReadResult> get(String key, ReadConsistency consistency);

  /** Reads every key starting with {@code prefix} ("" for all), in key order, linearizably. */
  default CompletableFuture<ReadResult> range(String prefix) {
    return range(prefix, ReadConsistency.LINEARIZABLE);
  }

  CompletableFuture<ReadResult> range(String prefix, ReadConsistency consistency);

  /** Sets a key; completes with the new store revision. */
  default CompletableFuture<Long> put(String key, byte[] value) {
    return put(key, value, 0);
  }

  default CompletableFuture<Long> put(String key, String value) {
    return put(key, value.getBytes(StandardCharsets.UTF_8), 0);
  }

  /** Sets a key bound to a lease: the key is deleted when the lease expires or is revoked. */
  default CompletableFuture<Long> put(String key, byte[] value, long leaseId) {
    return txn(Txn.of(List.of(), List.of(new Op.Put(key, value, leaseId)))).thenApply(TxnResult::revision);
  }

  /** Deletes a key; completes with the store revision after the delete. */
  default CompletableFuture<Long> delete(String key) {
    return txn(Txn.of(List.of(), List.of(Op.delete(key)))).thenApply(TxnResult::revision);
  }

  /**
   * Sets {@code key} to {@code value} only if its mod revision is {@code expectedModRevision}
   * (0: only if absent). Completes with whether it was set.
   */
  default CompletableFuture<TxnResult> compareAndSet(String key, long expectedModRevision, byte[] value) {
    return txn(Txn.of(List.of(Compare.modRevision(key, expectedModRevision)), List.of(Op.put(key, value))));
  }

  /** Sets {@code key} to {@code value} only if its current value is {@code expected}. */
  default CompletableFuture<TxnResult> compareAndSet(String key, byte[] expected, byte[] value) {
    return txn(Txn.of(List.of(Compare.value(key, expected)), List.of(Op.put(key, value))));
  }

  /** Applies a transaction: all of its ops if all of its compares hold, otherwise none. */
  CompletableFuture<TxnResult> txn(Txn txn);

  /**
   * Watches keys starting with {@code prefix}, delivering every event with revision &ge;
   * {@code fromRevision} in order, each exactly once (0: only events after the current revision).
   * A watch served by one node is unaffected by leader changes; to resume on another node, watch
   * there from {@link Watch#nextRevision()}. Fails with {@link CompactedException} (via
   * {@link WatchListener#onError}) when {@code fromRevision} is older than the kept history.
   */
  Watch watch(String prefix, long fromRevision, WatchListener listener);

  /** Grants a lease; completes with its id. The lease expires {@code ttl} after its last keep-alive. */
  CompletableFuture<Long> grantLease(Duration ttl);

  /** Renews a lease; fails with {@link IllegalStateException} if it expired or was revoked. */
  CompletableFuture<Void> keepAlive(long leaseId);

  /** Revokes a lease, deleting its keys; completes with the store revision after. No-op if gone. */
  CompletableFuture<Long> revokeLease(long leaseId);

  /**
   * A view whose every transaction is fenced by the epoch key {@code key} last written at revision
   * {@code epoch} (see {@link Fence}): its writes fail with {@link StaleEpochException} once that
   * key is deleted or written again. Leases are not fenced.
   */
  default MetadataStore fencedBy(String key, long epoch) {
    return new FencedMetadataStore(this, new Fence(key, epoch));
  }
}
