package io.baton.raft;

import java.io.IOException;
import java.net.ConnectException;
import java.net.InetSocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.ClosedSelectorException;
import java.nio.channels.SelectionKey;
import java.nio.channels.Selector;
import java.nio.channels.SocketChannel;
import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;
import java.util.function.Supplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Tells a dead peer process from a silent one (the fast path of failure detection). It keeps one
 * idle TCP connection to each peer's Raft port. When a peer's process dies, its kernel closes that
 * connection at once (FIN or RST) and refuses the new connection this watch opens right away:
 * {@code gone} hears the peer's id within milliseconds. When the new connection is accepted
 * instead (the peer closed an idle connection, or it restarted), nothing is reported; nor is a
 * peer that refuses before it was ever reached (it has not started yet).
 *
 * <p>Silence (a partition, a paused process, a dead machine, a firewall that drops) closes and
 * refuses nothing: it is left to the election timeout. A firewall that <em>rejects</em> with TCP
 * resets looks like a dead process to this watch; what is done with the signal must stay safe then
 * (Baton's fast election keeps Raft's pre-vote, so a leader that a majority still hears is not
 * deposed).
 *
 * <p>Used by Raft nodes for their peers' Raft ports, and by the etcd backend for the active nodes'
 * probe addresses. One daemon thread with a selector; {@link #close()} stops it. [Thread-safe]
 */
public final class PeerWatch implements AutoCloseable {
  private static final Logger LOG = LoggerFactory.getLogger(PeerWatch.class);
  private static final long RETRY_NANOS = TimeUnit.MILLISECONDS.toNanos(100);
  private static final long CONNECT_TIMEOUT_NANOS = TimeUnit.SECONDS.toNanos(1);
  private static final Duration REFRESH = Duration.ofSeconds(1);

  private final String self;
  private final Supplier<List<Peer>> peers;
  private final Consumer<String> gone;
  private final Selector selector;
  private final Thread thread;
  private final Map<String, Watched> watched = new HashMap<>();
  private final long refreshNanos;
  private volatile boolean refreshRequested;
  private volatile boolean closed;

  /** One peer: its address, its connection (or none), and whether its death was reported. */
  private static final class Watched {
    final Peer peer;
    SocketChannel channel;
    long connectStarted;
    long nextAttempt;
    /** Connected since the last report: only a connection that was up and then closed and refused is a death. */
    boolean wasConnected;

    Watched(Peer peer) {
      this.peer = peer;
    }
  }

  /**
   * @param self  this node's id (never watched)
   * @param peers the peers to watch (asked again every second, and at once after {@link #refreshNow()})
   * @param gone  told, on the watch's thread, the id of a peer whose process is gone; once per death
   */
  public PeerWatch(String self, Supplier<List<Peer>> peers, Consumer<String> gone) throws IOException {
    this(self, peers, gone, REFRESH);
  }

  /** Package-private for tests: {@code refresh} is how often {@code peers} is asked again. */
  PeerWatch(String self, Supplier<List<Peer>> peers, Consumer<String> gone, Duration refresh) throws IOException {
    this.refreshNanos = refresh.toNanos();
    this.self = Objects.requireNonNull(self, "self");
    this.peers = Objects.requireNonNull(peers, "peers");
    this.gone = Objects.requireNonNull(gone, "gone");
    this.selector = Selector.open();
    this.thread = new Thread(this::run, "baton-peer-watch-" + self);
    this.thread.setDaemon(true);
  }

  public void start() {
    thread.start();
  }

  /**
   * Asks the peer list again now rather than at the next periodic refresh: a caller whose list just
   * changed (a new active to watch) calls this, so that the new peer is connected to within
   * milliseconds. Until this watch has connected to a peer, its death cannot be told from a peer
   * that has not started, and is left to the timeouts.
   */
  public void refreshNow() {
    refreshRequested = true;
    selector.wakeup();
  }

  private void run() {
    final ByteBuffer sink = ByteBuffer.allocate(4096);
    long nextRefresh = 0;
    try {
      while (!closed) {
        final long now = System.nanoTime();
        if (now - nextRefresh >= 0 || refreshRequested) {
          refreshRequested = false;
          refresh();
          nextRefresh = now + refreshNanos;
        }
        for (Watched w : watched.values()) {
          if (w.channel == null && now - w.nextAttempt >= 0) {
            connect(w, now);
          } else if (w.channel != null && w.channel.isConnectionPending() && now - w.connectStarted > CONNECT_TIMEOUT_NANOS) {
            reset(w, now + RETRY_NANOS); // no answer at all: silence, not a death
          }
        }
        selector.select(20);
        for (SelectionKey key : selector.selectedKeys()) {
          final Watched w = (Watched) key.attachment();
          try {
            if (key.isConnectable()) {
              w.channel.finishConnect();
              key.interestOps(SelectionKey.OP_READ);
              w.wasConnected = true;
            } else if (key.isReadable()) {
              sink.clear();
              if (w.channel.read(sink) < 0) {
                reset(w, System.nanoTime()); // closed by the peer: reconnect at once to tell why
              }
            }
          } catch (ConnectException refused) {
            refused(w, System.nanoTime());
          } catch (IOException broken) {
            reset(w, System.nanoTime()); // reset by the peer: reconnect at once to tell why
          }
        }
        selector.selectedKeys().clear();
      }
    } catch (IOException | ClosedSelectorException e) {
      if (!closed) {
        LOG.warn("node {}: the peer watch stopped ({}); dead peers are detected by the election timeout only",
            self, e.toString());
      }
    } catch (RuntimeException e) {
      LOG.warn("node {}: the peer watch failed ({}); dead peers are detected by the election timeout only", self,
          e.toString(), e);
    }
  }

  private void refresh() {
    final Map<String, Peer> now = new HashMap<>();
    for (Peer p : peers.get()) {
      if (!p.id().equals(self)) {
        now.put(p.id(), p);
      }
    }
    watched.entrySet().removeIf(e -> {
      if (!e.getValue().peer.equals(now.get(e.getKey()))) {
        reset(e.getValue(), 0);
        return true;
      }
      return false;
    });
    now.forEach((id, p) -> watched.computeIfAbsent(id, k -> new Watched(p)));
  }

  private void connect(Watched w, long now) {
    try {
      final SocketChannel ch = SocketChannel.open();
      ch.configureBlocking(false);
      w.channel = ch;
      w.connectStarted = now;
      if (ch.connect(new InetSocketAddress(w.peer.host(), w.peer.port()))) {
        ch.register(selector, SelectionKey.OP_READ, w);
        w.wasConnected = true;
      } else {
        ch.register(selector, SelectionKey.OP_CONNECT, w);
      }
    } catch (ConnectException refused) {
      refused(w, now);
    } catch (IOException | RuntimeException e) {
      reset(w, now + RETRY_NANOS); // unresolvable or unreachable for now: not a signal
    }
  }

  /** A connection refused: a death if this peer was connected before (not a peer that has not started yet). */
  private void refused(Watched w, long now) {
    reset(w, now + RETRY_NANOS);
    if (w.wasConnected) {
      w.wasConnected = false;
      gone.accept(w.peer.id());
    }
  }

  private static void reset(Watched w, long nextAttempt) {
    if (w.channel != null) {
      try {
        w.channel.close();
      } catch (IOException ignored) {
        // closing a broken channel
      }
      w.channel = null;
    }
    w.nextAttempt = nextAttempt;
  }

  @Override
  public void close() {
    closed = true;
    try {
      selector.close();
    } catch (IOException ignored) {
      // the thread ends with the selector
    }
    try {
      thread.join(1000);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
    watched.values().forEach(w -> reset(w, 0));
  }
}
