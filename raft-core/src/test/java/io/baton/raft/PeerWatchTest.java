package io.baton.raft;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.BooleanSupplier;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * The dead-process signal of {@link PeerWatch} with real sockets on loopback: a peer whose
 * connection closes and whose port then refuses is reported once; one that closes an idle
 * connection but accepts the next, or that refused from the start, is not; a peer added to the
 * list is watched at once after {@link PeerWatch#refreshNow()}.
 */
@Timeout(value = 60, unit = TimeUnit.SECONDS)
class PeerWatchTest {
  private static final Duration WAIT = Duration.ofSeconds(10);
  private final List<AutoCloseable> closing = new ArrayList<>();
  private final List<String> gone = new CopyOnWriteArrayList<>();

  @AfterEach
  void tearDown() throws Exception {
    for (int i = closing.size() - 1; i >= 0; i--) {
      closing.get(i).close();
    }
  }

  private PeerPort port() throws IOException {
    final PeerPort p = new PeerPort();
    closing.add(p);
    return p;
  }

  private PeerWatch watch(AtomicReference<List<Peer>> peers, AtomicInteger asked, Duration refresh) throws IOException {
    final PeerWatch w = new PeerWatch("self", () -> {
      asked.incrementAndGet();
      return peers.get();
    }, gone::add, refresh);
    closing.add(w);
    w.start();
    return w;
  }

  private static void await(String what, BooleanSupplier condition) throws InterruptedException {
    final long deadline = System.nanoTime() + WAIT.toNanos();
    while (!condition.getAsBoolean()) {
      if (System.nanoTime() > deadline) {
        throw new AssertionError("not within " + WAIT.toSeconds() + " s: " + what);
      }
      Thread.sleep(5);
    }
  }

  @Test
  void aPeerWhoseConnectionClosesAndWhosePortThenRefusesIsReportedGoneOnce() throws Exception {
    final PeerPort port = port();
    watch(new AtomicReference<>(List.of(port.peer("p"))), new AtomicInteger(), Duration.ofSeconds(1));
    await("the watch connects", port::isConnected);

    port.close();
    await("the death is reported", () -> !gone.isEmpty());
    // the watch keeps trying every 100 ms and is refused each time: still one report
    Thread.sleep(500);
    assertThat(gone).containsExactly("p");
  }

  @Test
  void aPeerThatClosesAnIdleConnectionButAcceptsTheNextIsNotReported() throws Exception {
    final PeerPort port = port();
    watch(new AtomicReference<>(List.of(port.peer("p"))), new AtomicInteger(), Duration.ofSeconds(1));
    await("the watch connects", port::isConnected);

    port.dropConnections();
    await("the watch connects again", port::isConnected);
    assertThat(gone).isEmpty();
  }

  @Test
  void aPeerThatRefusedFromTheStartIsNotReported() throws Exception {
    final int closedPort;
    try (ServerSocket s = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
      closedPort = s.getLocalPort();
    }
    final PeerPort live = port();
    watch(new AtomicReference<>(List.of(new Peer("p", "127.0.0.1", closedPort), live.peer("q"))),
        new AtomicInteger(), Duration.ofSeconds(1));
    await("the watch connects to the live peer", live::isConnected);
    Thread.sleep(500); // several refused attempts at p (one every 100 ms)
    assertThat(gone).isEmpty();
  }

  @Test
  void refreshNowWatchesAPeerAddedToTheListWithoutWaitingForThePeriodicRefresh() throws Exception {
    final AtomicReference<List<Peer>> peers = new AtomicReference<>(List.of());
    final AtomicInteger asked = new AtomicInteger();
    final PeerWatch w = watch(peers, asked, Duration.ofHours(1));
    await("the watch asks for its peers once", () -> asked.get() >= 1);
    final PeerPort port = port();
    peers.set(List.of(port.peer("p")));

    w.refreshNow();
    await("the new peer is connected to (the periodic refresh is an hour away)", port::isConnected);
    port.close();
    await("and its death is reported", () -> gone.contains("p"));
  }
}
