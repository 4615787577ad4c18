package io.baton.store;

/**
 * Receives a watch's events. Calls for one watch are made one at a time, in revision order, on the
 * node's callback executor (never on a Raft thread); a slow listener delays only its own watch.
 */
public interface WatchListener {
  void onEvent(WatchEvent event);

  /**
   * Every event of the revisions before {@code nextRevision} has been delivered: a watch resumed
   * from {@code nextRevision} misses nothing and repeats nothing. Called after the last event of
   * each revision (events of one transaction share a revision), before the next revision's first.
   */
  default void onProgress(long nextRevision) {
  }

  /**
   * The watch ended with an error (e.g. {@link CompactedException} when the node jumped past the
   * next revision by installing a snapshot). No event follows. The default logs nothing: override
   * it if the watch matters.
   */
  default void onError(BatonException error) {
  }
}
