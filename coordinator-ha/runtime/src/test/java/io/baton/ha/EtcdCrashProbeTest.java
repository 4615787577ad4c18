package io.baton.ha;

import static org.assertj.core.api.Assertions.assertThat;

import io.baton.etcd.EtcdMetadataStore;
import io.baton.raft.Peer;
import io.baton.raft.PeerPort;
import io.baton.store.MonotonicClock;
import io.baton.testkit.EtcdCluster;
import io.baton.testkit.Timing;
import java.io.IOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.time.Duration;
import java.util.List;
import java.util.UUID;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * The crash fast path on etcd: a standby that held a connection to the active's probe address and
 * then finds it refused revokes the active's session, so it takes over long before the lease TTL;
 * a probe connection that is closed but accepted again, or a probe address that refused from the
 * start, deposes nobody. A "crash" here is the active's process stopping: its elector is no longer
 * ticked (no keep-alive) and its probe port closes, as its kernel would close it.
 */
@Timeout(value = 120, unit = TimeUnit.SECONDS)
class EtcdCrashProbeTest {
  @RegisterExtension
  static final EtcdCluster ETCD = new EtcdCluster(1);
  private static final String ROLE = "rootcoord";
  private static final Duration LONG_TTL = Duration.ofSeconds(10);

  private final String namespace = "/crash-probe-" + UUID.randomUUID() + "/";
  private final List<AutoCloseable> closing = new CopyOnWriteArrayList<>();

  @AfterEach
  void tearDown() throws Exception {
    for (int i = closing.size() - 1; i >= 0; i--) {
      closing.get(i).close();
    }
  }

  private PeerPort probePort() throws IOException {
    final PeerPort p = new PeerPort();
    closing.add(p);
    return p;
  }

  private EtcdElector elector(String node, Duration ttl, Peer probe) {
    final EtcdMetadataStore store = BackendFixture.etcdStore(ETCD, namespace);
    closing.add(store);
    final EtcdElector e = new EtcdElector(store, node, "election", List.of(ROLE), ttl, Duration.ofSeconds(5),
        MonotonicClock.SYSTEM, probe);
    final ExecutorService loop = Executors.newSingleThreadExecutor();
    closing.add(loop::shutdownNow);
    closing.add(e);
    e.start(loop, () -> { });
    return e;
  }

  private static long awaitEpoch(EtcdElector e, String what, Duration within) {
    return Timing.waitFor(what, within, () -> {
      e.tick();
      final long epoch = e.confirmedEpoch(ROLE);
      return epoch > 0 ? epoch : null;
    });
  }

  /** Active a (probed at {@code aPort}) and standby b, which sees a lead and holds a connection to a's probe port. */
  private record Watched(EtcdElector a, long epochA, PeerPort aPort, EtcdElector b) {}

  private Watched aWatchedByB() throws IOException {
    final PeerPort aPort = probePort();
    final EtcdElector a = elector("a", LONG_TTL, aPort.peer("a"));
    final long epochA = awaitEpoch(a, "a leads", Duration.ofSeconds(15));
    final EtcdElector b = elector("b", LONG_TTL, probePort().peer("b"));
    Timing.waitUntil("b sees a leading and probes it", Duration.ofSeconds(15), () -> {
      a.tick();
      b.tick();
      return "a".equals(b.activeNode(ROLE)) && aPort.isConnected();
    });
    return new Watched(a, epochA, aPort, b);
  }

  @Test
  void aStandbyTakesOverFromACrashedActiveLongBeforeItsLeaseExpires() throws Exception {
    final Watched w = aWatchedByB();
    final EtcdElector a = w.a();
    final EtcdElector b = w.b();
    final PeerPort aPort = w.aPort();
    final long epochA = w.epochA();

    a.tick(); // its last keep-alive: from now on a's process is gone
    aPort.close();
    final long crashed = System.nanoTime();
    final long epochB = awaitEpoch(b, "b leads", LONG_TTL);
    final long tookMs = (System.nanoTime() - crashed) / 1_000_000;
    assertThat(epochB).isGreaterThan(epochA);
    assertThat(tookMs).as("only the probe could move the role before the %d s lease ran out", LONG_TTL.toSeconds())
        .isLessThan(LONG_TTL.toMillis() / 2);
  }

  @Test
  void aProbeConnectionThatIsClosedButAcceptedAgainDeposesNobody() throws Exception {
    final Watched w = aWatchedByB();
    final EtcdElector a = w.a();
    final EtcdElector b = w.b();
    final PeerPort aPort = w.aPort();
    final long epochA = w.epochA();

    aPort.dropConnections(); // a closes an idle connection: the probe reconnects and is accepted
    Timing.waitUntil("b probes a again", Duration.ofSeconds(10), aPort::isConnected);
    final long until = System.nanoTime() + TimeUnit.SECONDS.toNanos(2);
    while (System.nanoTime() < until) {
      a.tick();
      b.tick();
      assertThat(a.confirmedEpoch(ROLE)).as("a still leads in its epoch").isEqualTo(epochA);
      assertThat(b.confirmedEpoch(ROLE)).isZero();
      Thread.sleep(50);
    }
  }

  @Test
  void aProbeAddressThatRefusedFromTheStartIsNotTakenForACrash() throws Exception {
    final int closedPort;
    try (ServerSocket s = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
      closedPort = s.getLocalPort();
    }
    final Duration ttl = Duration.ofSeconds(4);
    final EtcdElector a = elector("a", ttl, new Peer("a", "127.0.0.1", closedPort));
    final long epochA = awaitEpoch(a, "a leads", Duration.ofSeconds(15));
    final EtcdElector b = elector("b", ttl, probePort().peer("b"));
    Timing.waitUntil("b sees a leading", Duration.ofSeconds(15), () -> {
      a.tick();
      b.tick();
      return "a".equals(b.activeNode(ROLE));
    });
    a.tick(); // its last keep-alive
    final long crashed = System.nanoTime();
    final long epochB = awaitEpoch(b, "b leads once a's lease expired", Duration.ofSeconds(15));
    assertThat(epochB).isGreaterThan(epochA);
    assertThat(System.nanoTime() - crashed).as("b waited for the lease (%d s): nothing was revoked", ttl.toSeconds())
        .isGreaterThan(ttl.toNanos() / 2);
  }
}
