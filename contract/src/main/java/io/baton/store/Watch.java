package io.baton.store;

/** A registered watch. Closing it stops delivery; an event already being delivered completes. */
public interface Watch extends AutoCloseable {
  /** The next revision this watch will deliver; resume elsewhere from here without gap or duplicate. */
  long nextRevision();

  /**
   * Asks the serving side to confirm how far this watch has come when no events arrive, so that
   * {@link #nextRevision()} catches up with the store's revision (etcd sends a progress
   * notification). Watches served by a Ratis node advance by themselves: there it does nothing.
   */
  default void requestProgress() {
  }

  @Override
  void close();
}
