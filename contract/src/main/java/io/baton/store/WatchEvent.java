package io.baton.store;

/**
 * One change seen by a watch. Events of one transaction share its revision and arrive in the order
 * the transaction listed its ops.
 *
 * @param kv for a put, the key's new state; for a delete, the key with an empty value and
 *           {@code modRevision} set to the deleting revision
 */
public record WatchEvent(Type type, KeyValue kv, long revision) {
  public enum Type { PUT, DELETE }

  public String key() {
    return kv.key();
  }
}
