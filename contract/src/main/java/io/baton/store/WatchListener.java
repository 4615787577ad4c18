package io.baton.store;

/**
 * Receives a watch's events. Calls for one watch are made one at a time, in revision order, on the
 * node's callback executor (never on a Raft thread); a slow listener delays only its own watch.
 */
public interface WatchListener {
  void onEvent(WatchEvent event);

  /**
   * The watch ended with an error (e.g. {@link CompactedException} when the node jumped past the
   * next revision by installing a snapshot). No event follows. The default logs nothing: override
   * it if the watch matters.
   */
  default void onError(BatonException error) {
  }
}
