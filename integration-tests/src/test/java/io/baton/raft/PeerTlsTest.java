package io.baton.raft;

import static io.baton.testkit.Timing.await;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.baton.store.ReadConsistency;
import io.baton.testkit.TestCertificates;
import io.baton.testkit.TestCluster;
import io.baton.testkit.Timing;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.cert.CertificateExpiredException;
import java.security.cert.X509Certificate;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * Mutual TLS on the Raft port: nodes with certificates of the cluster's CA form a cluster; a node,
 * a client or no certificate from elsewhere, an expired certificate and plaintext are refused; the
 * files are read again when they change.
 */
@Timeout(value = 120, unit = TimeUnit.SECONDS)
class PeerTlsTest {
  private static final List<String> LOOPBACK = List.of("127.0.0.1", "localhost");
  private static final Duration CLIENT_TIMEOUT = Duration.ofSeconds(3);

  @TempDir
  Path dir;

  private TestCertificates.Authority ca;
  private Path caFile;
  private TlsFiles nodes;
  private TestCluster cluster;

  @BeforeEach
  void certificates() {
    ca = TestCertificates.authority("baton-test-ca");
    caFile = ca.writeCertificate(dir.resolve("ca.crt"));
    nodes = tls(ca.issue("baton-node", LOOPBACK), "node", caFile);
  }

  @AfterEach
  void stop() {
    if (cluster != null) {
      cluster.close();
    }
  }

  private TlsFiles tls(TestCertificates.Issued issued, String name, Path trusted) {
    final Path crt = issued.write(dir, name);
    return TlsFiles.of(crt, dir.resolve(name + ".key"), trusted);
  }

  private MetadataClient client(TlsFiles tls) {
    return new MetadataClient(cluster.clusterName(), cluster.peers(), CLIENT_TIMEOUT, tls);
  }

  @Test
  void nodesAndClientsOfTheClustersCaReplicateAndEveryOtherClientIsRefused() throws Exception {
    cluster = new TestCluster(3, b -> b.tls(nodes)).start();
    final RaftNode leader = cluster.awaitStable();
    final long revision = await(leader.metadata().put("tls/a", "1".getBytes()));
    cluster.awaitApplied(revision);
    for (RaftNode n : cluster.running()) {
      assertThat(await(n.metadata().get("tls/a", ReadConsistency.STALE)).kvs()).hasSize(1);
    }

    // a client with a certificate of the cluster's CA
    try (MetadataClient ok = client(tls(ca.issue("ops-client", List.of()), "ops", caFile))) {
      assertThat(await(ok.put("tls/b", "2".getBytes()))).isGreaterThan(revision);
    }
    // refused: another CA's certificate, an expired one of the right CA, and no TLS at all
    final TestCertificates.Authority rogue = TestCertificates.authority("rogue-ca");
    final Path rogueCa = rogue.writeCertificate(dir.resolve("rogue-ca.crt"));
    final Instant now = Instant.now();
    final List<TlsFiles> refused = List.of(
        tls(rogue.issue("intruder", LOOPBACK), "intruder", caFile),
        tls(rogue.issue("intruder2", LOOPBACK), "intruder2", rogueCa),
        tls(ca.issue("expired", LOOPBACK, now.minus(Duration.ofDays(2)), now.minus(Duration.ofDays(1))), "expired",
            caFile));
    for (TlsFiles t : refused) {
      try (MetadataClient bad = client(t)) {
        assertThatThrownBy(() -> await(bad.put("tls/refused", t.subject().getBytes())))
            .as("a client presenting %s", t.subject()).isInstanceOf(RuntimeException.class);
      }
    }
    try (MetadataClient plain = new MetadataClient(cluster.clusterName(), cluster.peers(), CLIENT_TIMEOUT)) {
      assertThatThrownBy(() -> await(plain.put("tls/refused", "plaintext".getBytes())))
          .isInstanceOf(RuntimeException.class);
    }
    assertThat(await(leader.metadata().get("tls/refused")).kvs()).isEmpty();
  }

  @Test
  void aPlaintextClientOfTheRaftPortIsRefusedWithAWarning() throws Exception {
    cluster = new TestCluster(1, b -> b.tls(nodes)).start();
    final RaftNode node = cluster.awaitStable();
    final String probe = "PLAIN-" + Long.toHexString(System.nanoTime()); // unique: the warning is rate-limited per beginning
    final ByteArrayOutputStream logged = new ByteArrayOutputStream();
    final PrintStream err = System.err;
    System.setErr(new PrintStream(new TeeOutputStream(err, logged), true)); // slf4j-simple writes to System.err
    try {
      try (Socket socket = new Socket(node.options().self().host(), node.options().self().port())) {
        socket.getOutputStream().write((probe + " / HTTP/1.1\r\n\r\n").getBytes(StandardCharsets.US_ASCII));
        socket.setSoTimeout(5000);
        assertThat(socket.getInputStream().read()).as("the node closes the connection without an answer").isEqualTo(-1);
      }
      Timing.waitUntil("the node's warning", Duration.ofSeconds(10),
          () -> logged.toString(StandardCharsets.UTF_8).lines().anyMatch(l -> l.contains("WARN") && l.contains("node n1:")
              && l.contains("refused a plaintext (not TLS) connection on the Raft port") && l.contains(probe)));
    } finally {
      System.setErr(err);
    }
    assertThat(await(node.metadata().put("tls/after-plaintext", "1".getBytes()))).isPositive();
  }

  /** Writes to both streams. */
  private static final class TeeOutputStream extends java.io.OutputStream {
    private final java.io.OutputStream a;
    private final java.io.OutputStream b;

    TeeOutputStream(java.io.OutputStream a, java.io.OutputStream b) {
      this.a = a;
      this.b = b;
    }

    @Override
    public synchronized void write(int c) throws java.io.IOException {
      a.write(c);
      b.write(c);
    }

    @Override
    public synchronized void write(byte[] bytes, int off, int len) throws java.io.IOException {
      a.write(bytes, off, len);
      b.write(bytes, off, len);
    }
  }

  @Test
  void aPeerWithACertificateOfAnotherCaGetsNothingFromTheCluster() throws Exception {
    cluster = new TestCluster(3, b -> b.tls(nodes));
    cluster.start("n1");
    cluster.start("n2");
    final TestCertificates.Authority rogue = TestCertificates.authority("rogue-ca");
    final Path rogueCa = rogue.writeCertificate(dir.resolve("rogue-ca.crt"));
    // n3 at its own address, trusting its own CA: the others refuse its handshakes and it refuses theirs
    try (RaftNode intruder = new RaftNode(cluster.optionsFor("n3").tls(tls(rogue.issue("n3", LOOPBACK), "n3", rogueCa))
        .build())) {
      intruder.start();
      final RaftNode leader = cluster.awaitStable();
      final long revision = await(leader.metadata().put("tls/only-for-members", "x".getBytes()));
      Timing.waitUntil("n1 and n2 to apply the write", Duration.ofSeconds(10),
          () -> cluster.running().stream().allMatch(n -> n.status().appliedIndex() >= revision));
      // what a trusted n3 gets within the first test's wait, this one never gets: no leader, no entry
      final long deadline = System.nanoTime() + Duration.ofSeconds(3).toNanos();
      while (System.nanoTime() < deadline) {
        assertThat(intruder.status().leader()).isNotIn("n1", "n2");
        assertThat(intruder.status().appliedIndex()).isLessThan(revision);
        Thread.sleep(100);
      }
      assertThat(leader.status().leader()).isEqualTo(leader.nodeId());
    }
  }

  @Test
  void changedFilesAreReadAgainAndBrokenOnesKeepThePreviousMaterial() throws Exception {
    final TlsFiles tls = tls(ca.issue("n1", LOOPBACK), "n1", caFile);
    assertThat(tls.subject()).isEqualTo("CN=n1");
    final String alias = tls.keyManager().chooseServerAlias("EC", null, null);
    assertThat(tls.keyManager().getCertificateChain(alias)[0].getSubjectX500Principal().getName()).isEqualTo("CN=n1");

    // renewed certificate (files rewritten, whatever their times and sizes): presented from the next handshake on
    ca.issue("n1-rene", LOOPBACK).write(dir, "n1");
    assertThat(tls.subject()).isEqualTo("CN=n1-rene");
    final String renewed = tls.keyManager().chooseServerAlias("EC", null, null);
    assertThat(tls.keyManager().getCertificateChain(renewed)[0].getSubjectX500Principal().getName())
        .isEqualTo("CN=n1-rene");
    // a handshake that chose its alias before the reload still gets a matching chain and key
    assertThat(tls.keyManager().getCertificateChain(alias)[0].getSubjectX500Principal().getName()).isEqualTo("CN=n1");

    // a new CA is trusted once the CA file holds it
    final TestCertificates.Authority next = TestCertificates.authority("next-ca");
    final X509Certificate[] nextChain = {next.issue("peer", LOOPBACK).certificate()};
    assertThatThrownBy(() -> tls.trustManager().checkClientTrusted(nextChain, "ECDHE_ECDSA"))
        .isInstanceOf(java.security.cert.CertificateException.class);
    Files.writeString(caFile, Files.readString(caFile) + Files.readString(next.writeCertificate(dir.resolve("next.crt"))));
    tls.trustManager().checkClientTrusted(nextChain, "ECDHE_ECDSA");

    // a half-written certificate, then a key of another certificate: the previous material stays
    Files.writeString(dir.resolve("n1.crt"), "-----BEGIN CERTIFICATE-----\nMIIB");
    assertThat(tls.subject()).isEqualTo("CN=n1-rene");
    ca.issue("other", LOOPBACK).write(dir, "other");
    Files.copy(dir.resolve("other.crt"), dir.resolve("n1.crt"), java.nio.file.StandardCopyOption.REPLACE_EXISTING);
    assertThat(tls.subject()).isEqualTo("CN=n1-rene");

    // an expired peer certificate is refused by the trust manager
    final Instant now = Instant.now();
    final X509Certificate[] expired = {ca.issue("old", LOOPBACK, now.minus(Duration.ofDays(2)),
        now.minus(Duration.ofDays(1))).certificate()};
    assertThatThrownBy(() -> tls.trustManager().checkClientTrusted(expired, "ECDHE_ECDSA"))
        .hasRootCauseInstanceOf(CertificateExpiredException.class);
  }

  @Test
  void missingOrMismatchedFilesAreRefusedNamingTheFile() {
    final TestCertificates.Issued a = ca.issue("a", LOOPBACK);
    final Path crt = a.write(dir, "a");
    ca.issue("b", LOOPBACK).write(dir, "b");
    assertThatThrownBy(() -> TlsFiles.of(crt, dir.resolve("b.key"), caFile))
        .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("do not make a key pair");
    assertThatThrownBy(() -> TlsFiles.of(dir.resolve("absent.crt"), dir.resolve("a.key"), caFile))
        .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("absent.crt");
    assertThatThrownBy(() -> TlsFiles.of(crt, crt, caFile))
        .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("holds no PKCS#8 private key");
  }
}
