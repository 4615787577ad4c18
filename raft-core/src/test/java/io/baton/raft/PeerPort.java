package io.baton.raft;

import java.io.IOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;

/**
 * A peer process's TCP port on loopback, for tests of {@link PeerWatch} and of what uses it: it
 * accepts and keeps what it accepted, as a live process would, until {@link #close()}, which dies
 * as a process does: no connection stays open and every new one is refused.
 *
 * <p>Dying takes care: closing a {@link ServerSocket} whose accept thread is blocked returns before
 * the listening socket is gone (the kernel keeps it until the blocked accept returns), so a watch
 * that reconnects in that window is accepted once more. Closing the connections first, or only
 * those accepted before the close, left that last one open and the "dead" peer alive (a test that
 * waited for the death report then waited in vain, 6 to 15 times in 300 under stress-ng --cpu 2). {@link #close()}
 * therefore waits for the accept thread to end before it closes the connections.
 */
public final class PeerPort implements AutoCloseable {
  private final ServerSocket server = new ServerSocket(0, 50, InetAddress.getLoopbackAddress());
  private final List<Socket> accepted = new CopyOnWriteArrayList<>();
  private final Thread acceptor;

  public PeerPort() throws IOException {
    acceptor = new Thread(() -> {
      try {
        while (true) {
          accepted.add(server.accept());
        }
      } catch (IOException closed) {
        // closed by close()
      }
    }, "peer-port-" + server.getLocalPort());
    acceptor.setDaemon(true);
    acceptor.start();
  }

  /** This port as the address of peer {@code id}. */
  public Peer peer(String id) {
    return new Peer(id, "127.0.0.1", server.getLocalPort());
  }

  /** Whether a connection accepted here is open (one that {@link #dropConnections()} has not closed). */
  public boolean isConnected() {
    return !accepted.isEmpty();
  }

  /** The process closes the connections it holds (an idle timeout), and keeps accepting new ones. */
  public void dropConnections() throws IOException {
    // one by one: a clear() after the loop would also drop a connection accepted meanwhile (a
    // watch reconnects within microseconds)
    for (Socket s : accepted) {
      s.close();
      accepted.remove(s);
    }
  }

  /** The process dies: the listening socket is gone (new connections are refused), then every connection closes. */
  @Override
  public void close() throws IOException {
    server.close();
    try {
      acceptor.join(TimeUnit.SECONDS.toMillis(10));
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IOException("interrupted while the port closed", e);
    }
    if (acceptor.isAlive()) {
      throw new IOException("the accept thread of port " + server.getLocalPort() + " did not end within 10 s");
    }
    dropConnections();
  }
}
