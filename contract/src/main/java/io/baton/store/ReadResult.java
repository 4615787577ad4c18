package io.baton.store;

import java.util.List;
import java.util.Optional;

/**
 * What a read saw.
 *
 * @param kvs          matching keys in key order (at most one for a get)
 * @param revision     the store revision the read reflects
 * @param appliedIndex the Raft log index the read reflects on the replica that served it
 */
public record ReadResult(List<KeyValue> kvs, long revision, long appliedIndex) {
  public ReadResult {
    kvs = List.copyOf(kvs);
  }

  /** The first (for a get: the only) key, if any. */
  public Optional<KeyValue> first() {
    return kvs.isEmpty() ? Optional.empty() : Optional.of(kvs.get(0));
  }
}
