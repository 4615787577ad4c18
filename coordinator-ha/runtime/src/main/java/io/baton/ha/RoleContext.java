package io.baton.ha;

import io.baton.store.MetadataStore;
import io.baton.store.ReadResult;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;

/**
 * What an active role gets with {@link RoleHandler#onActive}: its epoch, a metadata store fenced
 * by that epoch, and a signal that completes when this activation is lost.
 *
 * <p><b>Fencing.</b> Every transaction made through {@link #store()} carries the epoch and is
 * rejected with {@link io.baton.store.StaleEpochException} once a newer epoch exists, and nothing
 * of it is applied. To fence an external system, pass {@link #epoch()} along with each request and
 * have it refuse any epoch lower than the highest it has seen.
 */
public interface RoleContext {
  /** The role's name. */
  String role();

  /** The node id of this (active) node. */
  String node();

  /** This activation's epoch: strictly greater than every earlier activation of the role. */
  long epoch();

  /** The metadata store, every write fenced by {@link #epoch()}. */
  MetadataStore store();

  /**
   * Completes when this activation is lost (leadership lease lapsed, node closing, handover).
   * Stop acting for the role when it completes; {@link RoleHandler#onStandby} follows.
   */
  CompletionStage<Void> lost();

  /** Whether this activation still holds, checked against the leader lease at the time of the call. */
  boolean isActive();

  /** Where this role keeps its replicated state: keys under this prefix. */
  String statePrefix();

  /**
   * Reads the role's whole state (every key under {@link #statePrefix()}), linearizably. A WARM
   * standby calls this when it becomes active; a HOT one already has the state.
   */
  default CompletableFuture<ReadResult> loadState() {
    return store().range(statePrefix());
  }
}
