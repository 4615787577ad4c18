package io.baton.cli;

import static org.assertj.core.api.Assertions.assertThat;

import io.baton.ha.grpc.BatonGrpc;
import io.baton.ha.grpc.GetRequest;
import io.baton.ha.grpc.ReadResponse;
import io.baton.ha.grpc.TransferRoleRequest;
import io.baton.ha.grpc.TransferRoleResponse;
import io.baton.raft.TlsFiles;
import io.baton.testkit.TestCertificates;
import io.grpc.Grpc;
import io.grpc.Metadata;
import io.grpc.Server;
import io.grpc.ServerCall;
import io.grpc.ServerCallHandler;
import io.grpc.ServerInterceptor;
import io.grpc.ServerInterceptors;
import io.grpc.TlsServerCredentials;
import io.grpc.stub.StreamObserver;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * The command line's client side of mutual TLS and of admin tokens, against a gRPC server that
 * requires a client certificate of the test CA and records the authorization header it receives
 * (only admin calls carry the token).
 * (The nodes' side is tested with the real node: ApiTlsTest, AdminAuthorizationTest.)
 */
@Timeout(value = 60, unit = TimeUnit.SECONDS)
class CliTlsTest {
  private static final List<String> LOOPBACK = List.of("127.0.0.1", "localhost");

  @TempDir
  Path dir;

  private Server server;
  private final List<String> authorizations = new CopyOnWriteArrayList<>();
  private TestCertificates.Authority ca;
  private Path caFile;

  @BeforeEach
  void startServer() throws Exception {
    ca = TestCertificates.authority("cli-test-ca");
    caFile = ca.writeCertificate(dir.resolve("ca.crt"));
    final Path crt = ca.issue("node", LOOPBACK).write(dir, "node");
    final TlsFiles tls = TlsFiles.of(crt, dir.resolve("node.key"), caFile);
    final ServerInterceptor recorder = new ServerInterceptor() {
      @Override
      public <Q, R> ServerCall.Listener<Q> interceptCall(ServerCall<Q, R> call, Metadata headers,
          ServerCallHandler<Q, R> next) {
        authorizations.add(String.valueOf(headers.get(Metadata.Key.of("authorization", Metadata.ASCII_STRING_MARSHALLER))));
        return next.startCall(call, headers);
      }
    };
    server = Grpc.newServerBuilderForPort(0, TlsServerCredentials.newBuilder().keyManager(tls.keyManager())
            .trustManager(tls.trustManager()).clientAuth(TlsServerCredentials.ClientAuth.REQUIRE).build())
        .addService(ServerInterceptors.intercept(new BatonGrpc.BatonImplBase() {
          @Override
          public void get(GetRequest request, StreamObserver<ReadResponse> out) {
            out.onNext(ReadResponse.newBuilder().setRevision(42).build());
            out.onCompleted();
          }

          @Override
          public void transferRole(TransferRoleRequest request, StreamObserver<TransferRoleResponse> out) {
            out.onNext(TransferRoleResponse.getDefaultInstance());
            out.onCompleted();
          }
        }, recorder))
        .build().start();
  }

  @AfterEach
  void stopServer() throws InterruptedException {
    server.shutdownNow().awaitTermination(5, TimeUnit.SECONDS);
  }

  private static BatonCliTest.Run baton(String... args) {
    final StringWriter out = new StringWriter();
    final StringWriter err = new StringWriter();
    final int code = BatonCli.run(args, new PrintWriter(out, true), new PrintWriter(err, true));
    return new BatonCliTest.Run(code, out.toString(), err.toString());
  }

  @Test
  void withTheCasCertificateCallsGoThroughAndOnlyAdminCallsCarryTheToken() throws Exception {
    final Path clientCrt = ca.issue("operator", List.of()).write(dir, "operator");
    final Path token = Files.writeString(dir.resolve("token"), "secret-token-0123456789\n");
    final String endpoint = "127.0.0.1:" + server.getPort();
    final String[] tls = {"--endpoints", endpoint, "--cert", clientCrt.toString(), "--key",
        dir.resolve("operator.key").toString(), "--cacert", caFile.toString(), "--token-file", token.toString(),
        "--timeout", "5s"};
    final BatonCliTest.Run get = baton(concat(tls, "get", "k"));
    assertThat(get.code()).as(get.err()).isZero();
    assertThat(get.out()).contains("revision 42");
    final BatonCliTest.Run transfer = baton(concat(tls, "transfer", "rootcoord", "--to", "n2"));
    assertThat(transfer.code()).as(transfer.err()).isZero();
    assertThat(transfer.err()).doesNotContain("plaintext");
    assertThat(authorizations).containsExactly("null", "Bearer secret-token-0123456789");

    // plaintext against the TLS port: no answer (exit 4, UNAVAILABLE), nothing reached the service
    final BatonCliTest.Run plain = baton("--endpoints", endpoint, "--timeout", "3s", "get", "k");
    assertThat(plain.code()).isEqualTo(BatonCli.UNREACHABLE);
    assertThat(plain.err()).contains("UNAVAILABLE");
    // a certificate of another CA: refused by the server
    final Path rogue = TestCertificates.authority("rogue").issue("intruder", List.of()).write(dir, "intruder");
    final BatonCliTest.Run refused = baton("--endpoints", endpoint, "--cert", rogue.toString(), "--key",
        dir.resolve("intruder.key").toString(), "--cacert", caFile.toString(), "--timeout", "3s", "get", "k");
    assertThat(refused.code()).isEqualTo(BatonCli.UNREACHABLE);
    assertThat(authorizations).hasSize(2);
  }

  private static String[] concat(String[] head, String... tail) {
    final String[] all = java.util.Arrays.copyOf(head, head.length + tail.length);
    System.arraycopy(tail, 0, all, head.length, tail.length);
    return all;
  }

  @Test
  void tlsOptionsGoTogether() {
    final BatonCliTest.Run partial = baton("--endpoints", "127.0.0.1:1", "--cert", "a.crt", "get", "k");
    assertThat(partial.code()).isEqualTo(BatonCli.USAGE);
    assertThat(partial.err()).contains("--cert, --key and --cacert go together");
    final BatonCliTest.Run missing = baton("--endpoints", "127.0.0.1:1", "--token-file",
        dir.resolve("absent").toString(), "transfer", "rootcoord", "--to", "n2");
    assertThat(missing.code()).isEqualTo(BatonCli.USAGE);
    assertThat(missing.err()).contains("cannot read token file");
  }
}
