package io.baton.raft;

/** A registered watch. Closing it stops delivery; an event already being delivered completes. */
public interface Watch extends AutoCloseable {
  /** The next revision this watch will deliver; resume elsewhere from here without gap or duplicate. */
  long nextRevision();

  @Override
  void close();
}
