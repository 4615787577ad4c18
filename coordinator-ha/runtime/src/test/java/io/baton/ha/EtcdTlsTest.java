package io.baton.ha;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.baton.etcd.EtcdMetadataStore;
import io.baton.raft.TlsFiles;
import io.baton.testkit.LocalEtcdCluster;
import io.baton.testkit.TestCertificates;
import io.baton.testkit.Timing;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * The etcd backend's client (as a node builds it from baton.etcd.*) over mutual TLS to a real
 * etcd started with {@code --client-cert-auth}: it reads and writes; a client with another CA's
 * certificate, or a plaintext one, gets nothing.
 */
@Timeout(value = 90, unit = TimeUnit.SECONDS)
class EtcdTlsTest {
  @TempDir
  static Path dir;

  private static TestCertificates.Authority ca;
  private static Path caFile;
  private static LocalEtcdCluster etcd;

  @BeforeAll
  static void startEtcd() throws Exception {
    ca = TestCertificates.authority("etcd-test-ca");
    caFile = ca.writeCertificate(dir.resolve("ca.crt"));
    final Path server = ca.issue("etcd", List.of("127.0.0.1", "localhost")).write(dir, "etcd");
    etcd = new LocalEtcdCluster(1).withClientTls(server, dir.resolve("etcd.key"), caFile).start();
  }

  @AfterAll
  static void stopEtcd() {
    if (etcd != null) {
      etcd.close();
    }
  }

  private static Settings.Etcd settings(List<String> endpoints, TlsFiles tls) {
    return new Settings.Etcd(endpoints, "/baton/tls-test/", Duration.ofSeconds(5), Duration.ofSeconds(2), tls,
        Optional.empty(), Optional.empty(), Optional.empty());
  }

  private static TlsFiles client(TestCertificates.Authority issuer, String name) {
    final Path crt = issuer.issue(name, List.of()).write(dir, name);
    return TlsFiles.of(crt, dir.resolve(name + ".key"), caFile);
  }

  @Test
  void aClientWithACertificateOfTheCaReadsAndWrites() {
    assertThat(etcd.endpoints()).allMatch(e -> e.startsWith("https://"));
    try (EtcdMetadataStore store = Baton.etcdStore(settings(etcd.endpoints(), client(ca, "baton-n1")))) {
      final long revision = Timing.await(store.put("tls/written", "over TLS"));
      assertThat(Timing.await(store.get("tls/written")).kvs().get(0).modRevision()).isEqualTo(revision);
    }
  }

  @Test
  void aClientOfAnotherCaOrWithoutTlsGetsNothing() {
    final TlsFiles intruder = client(TestCertificates.authority("rogue-ca"), "intruder");
    try (EtcdMetadataStore store = Baton.etcdStore(settings(etcd.endpoints(), intruder))) {
      assertThatThrownBy(() -> Timing.await(store.put("tls/refused", "x"))).isInstanceOf(RuntimeException.class);
    }
    final List<String> plain = etcd.endpoints().stream().map(e -> e.replace("https://", "http://")).toList();
    try (EtcdMetadataStore store = Baton.etcdStore(settings(plain, null))) {
      assertThatThrownBy(() -> Timing.await(store.put("tls/refused", "x"))).isInstanceOf(RuntimeException.class);
    }
    try (EtcdMetadataStore store = Baton.etcdStore(settings(etcd.endpoints(), client(ca, "reader")))) {
      assertThat(Timing.await(store.get("tls/refused")).kvs()).isEmpty();
    }
  }
}
