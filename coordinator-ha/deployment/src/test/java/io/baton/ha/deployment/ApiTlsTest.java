package io.baton.ha.deployment;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.baton.ha.grpc.BatonGrpc;
import io.baton.ha.grpc.StatusRequest;
import io.baton.raft.TlsFiles;
import io.baton.testkit.TestCertificates;
import io.grpc.ChannelCredentials;
import io.grpc.Grpc;
import io.grpc.InsecureChannelCredentials;
import io.grpc.ManagedChannel;
import io.grpc.StatusRuntimeException;
import io.grpc.TlsChannelCredentials;
import io.quarkus.test.QuarkusUnitTest;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * The documented TLS block: mutual TLS on the Raft port (baton.tls.*) and on the HTTP port that
 * serves the gRPC API, from the same files, client certificates required at start
 * (baton.http.client-auth, not the build-time quarkus.http.ssl.client-auth). A client with a
 * certificate of the CA is served; one of another CA, an expired one, one without a certificate
 * and a plaintext one are refused, also after a certificate reload.
 */
@Timeout(value = 60, unit = TimeUnit.SECONDS)
class ApiTlsTest {
  private static final List<String> LOOPBACK = List.of("127.0.0.1", "localhost");
  // once: the application and the tests must see the same files and port (see Fixtures.once)
  private static final Path DIR = Path.of(Fixtures.once("api-tls.dir", ApiTlsTest::certificates));
  private static final int TLS_PORT = Integer.parseInt(Fixtures.once("api-tls.port",
      () -> String.valueOf(Fixtures.free())));
  private static final Path CA_FILE = DIR.resolve("ca.crt");
  private static final Path NODE_CRT = DIR.resolve("n1.crt");

  /** A CA, the node's certificate and the clients' (good, of another CA, expired) in a new directory. */
  private static String certificates() {
    final Path dir = Path.of(Fixtures.tempDir());
    final TestCertificates.Authority ca = TestCertificates.authority("baton-test-ca");
    ca.writeCertificate(dir.resolve("ca.crt"));
    ca.issue("n1", LOOPBACK).write(dir, "n1");
    ca.issue("n1-renewed", LOOPBACK).write(dir, "n1-renewed");
    ca.issue("ops", List.of()).write(dir, "ops");
    TestCertificates.authority("rogue-ca").issue("intruder", List.of()).write(dir, "intruder");
    final Instant now = Instant.now();
    ca.issue("expired", List.of(), now.minus(Duration.ofDays(2)), now.minus(Duration.ofDays(1))).write(dir, "expired");
    return dir.toString();
  }

  @RegisterExtension
  static final QuarkusUnitTest APP = TestRoles.singleNodeApp(DIR.toString())
      .overrideConfigKey("quarkus.grpc.server.use-separate-server", "false")
      .overrideConfigKey("baton.tls.certificate", NODE_CRT.toString())
      .overrideConfigKey("baton.tls.key", DIR.resolve("n1.key").toString())
      .overrideConfigKey("baton.tls.ca", CA_FILE.toString())
      .overrideConfigKey("quarkus.tls.key-store.pem.0.cert", "${baton.tls.certificate}")
      .overrideConfigKey("quarkus.tls.key-store.pem.0.key", "${baton.tls.key}")
      .overrideConfigKey("quarkus.tls.trust-store.pem.certs", "${baton.tls.ca}")
      .overrideConfigKey("quarkus.tls.reload-period", "1s")
      .overrideConfigKey("baton.http.client-auth", "required")
      .overrideConfigKey("quarkus.http.insecure-requests", "disabled")
      .overrideConfigKey("quarkus.http.test-ssl-port", String.valueOf(TLS_PORT));

  private static final List<ManagedChannel> CHANNELS = new java.util.ArrayList<>();

  @AfterAll
  static void cleanUp() throws InterruptedException {
    for (ManagedChannel c : CHANNELS) {
      c.shutdownNow().awaitTermination(5, TimeUnit.SECONDS);
    }
    Fixtures.deleteQuietly(DIR.toString());
  }

  private static BatonGrpc.BatonBlockingStub stub(ChannelCredentials credentials) {
    final ManagedChannel channel = Grpc.newChannelBuilderForAddress("127.0.0.1", TLS_PORT, credentials).build();
    CHANNELS.add(channel);
    return BatonGrpc.newBlockingStub(channel).withDeadlineAfter(10, TimeUnit.SECONDS);
  }

  /** TLS credentials presenting the certificate {@code name} of the directory (none when null), trusting the test CA. */
  private static ChannelCredentials tls(String name) {
    final TlsChannelCredentials.Builder b = TlsChannelCredentials.newBuilder();
    b.trustManager(TlsFiles.of(NODE_CRT, DIR.resolve("n1.key"), CA_FILE).trustManager());
    if (name != null) {
      b.keyManager(TlsFiles.of(DIR.resolve(name + ".crt"), DIR.resolve(name + ".key"), CA_FILE).keyManager());
    }
    return b.build();
  }

  @Test
  void aClientOfTheCaIsServedAndEveryOtherClientIsRefused() {
    assertThat(stub(tls("ops")).status(StatusRequest.getDefaultInstance()).getNode()).isEqualTo("n1");
    final List<ChannelCredentials> refused = List.of(tls("intruder"), tls("expired"), tls(null),
        InsecureChannelCredentials.create());
    for (ChannelCredentials credentials : refused) {
      assertThatThrownBy(() -> stub(credentials).status(StatusRequest.getDefaultInstance()))
          .isInstanceOfSatisfying(StatusRuntimeException.class,
              e -> assertThat(e.getStatus().getCode()).isEqualTo(io.grpc.Status.Code.UNAVAILABLE));
    }
  }

  @Test
  void aRenewedCertificateIsServedWithoutARestart() throws Exception {
    java.nio.file.Files.copy(DIR.resolve("n1-renewed.key"), DIR.resolve("n1.key"),
        java.nio.file.StandardCopyOption.REPLACE_EXISTING);
    java.nio.file.Files.copy(DIR.resolve("n1-renewed.crt"), NODE_CRT, java.nio.file.StandardCopyOption.REPLACE_EXISTING);
    io.baton.testkit.Timing.waitUntil("the HTTP port to present the renewed certificate", Duration.ofSeconds(20),
        () -> "CN=n1-renewed".equals(presentedSubject()));
    assertThat(stub(tls("ops")).status(StatusRequest.getDefaultInstance()).getNode()).isEqualTo("n1");
    // the client certificates required at start (baton.http.client-auth) still are after the reload
    assertThatThrownBy(() -> stub(tls(null)).status(StatusRequest.getDefaultInstance()))
        .isInstanceOfSatisfying(StatusRuntimeException.class,
            e -> assertThat(e.getStatus().getCode()).isEqualTo(io.grpc.Status.Code.UNAVAILABLE));
  }

  /** The subject of the certificate the HTTP port presents to a new connection of the "ops" client. */
  private static String presentedSubject() {
    final String[] seen = new String[1];
    final javax.net.ssl.X509ExtendedTrustManager ca = TlsFiles.of(DIR.resolve("ops.crt"), DIR.resolve("ops.key"), CA_FILE)
        .trustManager();
    final javax.net.ssl.X509TrustManager recording = new javax.net.ssl.X509TrustManager() {
      @Override
      public void checkClientTrusted(java.security.cert.X509Certificate[] chain, String authType)
          throws java.security.cert.CertificateException {
        ca.checkClientTrusted(chain, authType);
      }

      @Override
      public void checkServerTrusted(java.security.cert.X509Certificate[] chain, String authType)
          throws java.security.cert.CertificateException {
        seen[0] = chain[0].getSubjectX500Principal().getName();
        ca.checkServerTrusted(chain, authType);
      }

      @Override
      public java.security.cert.X509Certificate[] getAcceptedIssuers() {
        return ca.getAcceptedIssuers();
      }
    };
    final ChannelCredentials credentials = TlsChannelCredentials.newBuilder().trustManager(recording)
        .keyManager(TlsFiles.of(DIR.resolve("ops.crt"), DIR.resolve("ops.key"), CA_FILE).keyManager()).build();
    final ManagedChannel channel = Grpc.newChannelBuilderForAddress("127.0.0.1", TLS_PORT, credentials).build();
    try {
      BatonGrpc.newBlockingStub(channel).withDeadlineAfter(10, TimeUnit.SECONDS).status(StatusRequest.getDefaultInstance());
      return seen[0];
    } catch (StatusRuntimeException e) {
      return "no answer: " + e.getStatus();
    } finally {
      channel.shutdownNow();
    }
  }
}
