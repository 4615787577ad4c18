package io.baton.ha;

/** Told of every metadata operation made through {@link Baton#metadata()} (the application's and the gRPC API's). */
@FunctionalInterface
public interface MetadataOperationListener {
  /**
   * @param operation {@code get}, {@code range}, {@code txn} (every write: put, delete,
   *                  compare-and-set, transactions), {@code lease_grant}, {@code lease_keepalive} or
   *                  {@code lease_revoke}
   * @param nanos     from the call to its completion
   * @param failure   null on success
   */
  void completed(String operation, long nanos, Throwable failure);
}
