package io.baton.operate;

import static io.baton.operate.DisasterRecoveryIT.baton;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.baton.operate.DisasterRecoveryIT.Run;
import io.baton.raft.TlsFiles;
import io.baton.testkit.Dirs;
import io.baton.testkit.ServiceNodes;
import io.baton.testkit.TestCertificates;
import io.baton.testkit.Timing;
import io.vertx.core.json.JsonObject;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.Socket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;
import java.util.concurrent.TimeUnit;
import javax.net.ssl.KeyManager;
import javax.net.ssl.SSLContext;
import javax.net.ssl.TrustManager;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * The README's TLS block on three processes of the example service: the nodes' own CA for the Raft
 * port, a CA of clients for the HTTP port, admin tokens. They elect and replicate over mutual TLS;
 * the command line with a client certificate reads, writes and (with a token) transfers the role;
 * after a kill -9 of the active another node takes over; a plaintext client and a client with a
 * node's certificate but no client certificate get nothing from the HTTP port.
 */
@Timeout(value = 4, unit = TimeUnit.MINUTES)
class TlsClusterIT {
  private static final Path APP = Path.of(System.getProperty("baton.example.app"));
  private static final Duration AWAIT = Duration.ofSeconds(60);
  private static final String ROLE = "rootcoord";
  private static final String TOKEN = "tls-drill-token-0123456789";
  private ServiceNodes nodes;
  private Path dir;

  private static SSLContext sslContext(TlsFiles files) throws Exception {
    final SSLContext context = SSLContext.getInstance("TLS");
    context.init(new KeyManager[] {files.keyManager()}, new TrustManager[] {files.trustManager()}, null);
    return context;
  }

  /** The block of the README's "TLS" section for node {@code id}, with its files in {@code tls}. */
  private static List<String> tlsBlock(Path tls, String id) {
    return List.of(
        "-Dbaton.tls.certificate=" + tls.resolve(id + ".crt"),
        "-Dbaton.tls.key=" + tls.resolve(id + ".key"),
        "-Dbaton.tls.ca=" + tls.resolve("peers-ca.crt"),
        "-Dquarkus.tls.key-store.pem.0.cert=" + tls.resolve(id + ".crt"),
        "-Dquarkus.tls.key-store.pem.0.key=" + tls.resolve(id + ".key"),
        "-Dquarkus.tls.trust-store.pem.certs=" + tls.resolve("clients-ca.crt"),
        "-Dquarkus.tls.reload-period=1m",
        "-Dbaton.http.client-auth=required",
        "-Dquarkus.http.insecure-requests=disabled",
        "-Dbaton.admin.token-file=" + tls.resolve("tokens"));
  }

  private record Active(String node, long epoch) {}

  /** The node active for {@link #ROLE} with an epoch above {@code above}, once every running node names it. */
  private Active awaitActiveAbove(long above) throws InterruptedException {
    final long deadline = System.nanoTime() + AWAIT.toNanos();
    Active seen;
    do {
      final JsonObject status = nodes.awaitAgreedActive(ROLE, AWAIT);
      seen = new Active(status.getString("node"), status.getJsonObject("roles").getJsonObject(ROLE).getLong("epoch"));
      if (seen.epoch() > above) {
        return seen;
      }
      Thread.sleep(20);
    } while (System.nanoTime() < deadline);
    throw new AssertionError("no " + ROLE + " active with an epoch above " + above + " within " + AWAIT.toSeconds()
        + " s (last: " + seen + "); node logs are in " + nodes.dir());
  }

  @Test
  void aClusterOnMutualTlsElectsServesTheCommandLineAndFailsOver() throws Exception {
    dir = Files.createTempDirectory("baton-tls");
    final Path tls = Files.createDirectories(dir.resolve("tls"));
    final TestCertificates.Authority peersCa = TestCertificates.authority("baton-peers-ca");
    final TestCertificates.Authority clientsCa = TestCertificates.authority("baton-clients-ca");
    peersCa.writeCertificate(tls.resolve("peers-ca.crt"));
    clientsCa.writeCertificate(tls.resolve("clients-ca.crt"));
    clientsCa.issue("ops", List.of()).write(tls, "ops");
    Files.writeString(tls.resolve("tokens"), "ops transfer " + TOKEN + "\n");
    final Path tokenFile = Files.writeString(tls.resolve("my-token"), TOKEN + "\n");

    nodes = new ServiceNodes(APP, dir, List.of());
    for (String id : nodes.ids()) {
      peersCa.issue(id, List.of(nodes.host(id))).write(tls, id);
    }
    final TlsFiles ops = TlsFiles.of(tls.resolve("ops.crt"), tls.resolve("ops.key"), tls.resolve("peers-ca.crt"));
    nodes.https(sslContext(ops));
    for (String id : nodes.ids()) {
      nodes.start(id, tlsBlock(tls, id));
    }
    final Active first = awaitActiveAbove(0);
    final String endpoints = String.join(",", nodes.ids().stream().map(id -> nodes.host(id) + ":" + nodes.httpPort(id))
        .toList());
    final List<String> cli = List.of("--endpoints", endpoints, "--cert", tls.resolve("ops.crt").toString(),
        "--key", tls.resolve("ops.key").toString(), "--cacert", tls.resolve("peers-ca.crt").toString());

    // the command line over mutual TLS: writes go through the Raft port's TLS to a majority
    assertThat(cli(cli, "put", "tls/before", "written over mutual TLS").code()).isZero();
    final Run status = cli(cli, "status");
    assertThat(status.code()).as(status.err()).isZero();
    assertThat(status.out()).contains(ROLE + "=ACTIVE");

    // plaintext, and TLS without a client certificate, get nothing from the HTTP port
    final String active = first.node();
    final String statusUri = "://" + nodes.host(active) + ":" + nodes.httpPort(active) + "/baton/status";
    assertThatThrownBy(() -> send(HttpClient.newHttpClient(), "http" + statusUri)).isInstanceOf(IOException.class);
    final SSLContext noCertificate = SSLContext.getInstance("TLS");
    noCertificate.init(null, new TrustManager[] {ops.trustManager()}, null);
    assertThatThrownBy(() -> send(HttpClient.newBuilder().sslContext(noCertificate).build(), "https" + statusUri))
        .isInstanceOf(IOException.class);

    // plaintext to the Raft port: refused in the handshake, and the node says so in one line
    try (Socket socket = new Socket(nodes.host(active), nodes.raftPort(active))) {
      socket.getOutputStream().write("PLAINTEXT-PROBE\r\n".getBytes(StandardCharsets.US_ASCII));
      socket.setSoTimeout(10_000);
      assertThat(socket.getInputStream().read()).as("closed without an answer").isEqualTo(-1);
    }
    Timing.waitUntil("the node's warning about the plaintext client", Duration.ofSeconds(10),
        () -> logLines(active).anyMatch(l -> l.contains("WARN") && l.contains("node " + active + ": TLS: refused a"
            + " plaintext (not TLS) connection on the Raft port; it began with \"PLAINTEXT-PROBE..\"")));

    // a transfer is an admin call: refused without the token, done with it
    final String target = nodes.ids().stream().filter(id -> !id.equals(active)).findFirst().orElseThrow();
    final Run refused = cli(cli, "transfer", ROLE, "--to", target);
    assertThat(refused.code()).as(refused.out()).isNotZero();
    assertThat(refused.err()).contains("UNAUTHENTICATED");
    final List<String> withToken = new ArrayList<>(cli);
    withToken.addAll(List.of("--token-file", tokenFile.toString()));
    final Run transfer = cli(withToken, "transfer", ROLE, "--to", target);
    assertThat(transfer.code()).as(transfer.err()).isZero();
    final Active transferred = awaitActiveAbove(first.epoch());
    assertThat(transferred.node()).isEqualTo(target);

    // kill -9 of the active: another node takes over, and the data written before is there
    nodes.stop(target, false);
    final Active takenOver = awaitActiveAbove(transferred.epoch());
    assertThat(takenOver.node()).isNotEqualTo(target);
    final List<String> survivors = new ArrayList<>(cli);
    survivors.set(1, String.join(",", nodes.ids().stream().filter(nodes::isRunning)
        .map(id -> nodes.host(id) + ":" + nodes.httpPort(id)).toList()));
    assertThat(cli(survivors, "put", "tls/after", "written after the kill").code()).isZero();
    final Run get = cli(survivors, "-o", "json", "get", "tls/", "--prefix");
    assertThat(get.code()).as(get.err()).isZero();
    assertThat(get.json().getJsonArray("kvs").size()).isEqualTo(2);
  }

  private static Run cli(List<String> common, String... command) {
    final List<String> args = new ArrayList<>(common);
    args.addAll(List.of(command));
    return baton(args.toArray(String[]::new));
  }

  private static void send(HttpClient client, String uri) throws IOException, InterruptedException {
    client.send(HttpRequest.newBuilder(URI.create(uri)).timeout(Duration.ofSeconds(5)).build(),
        HttpResponse.BodyHandlers.ofString());
  }

  private Stream<String> logLines(String id) {
    try {
      return Files.readAllLines(nodes.log(id)).stream();
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  @AfterEach
  void cleanUp() {
    Dirs.closeThenDelete(nodes, dir);
  }
}
