package io.baton.cli;

import static org.assertj.core.api.Assertions.assertThat;

import io.baton.ha.grpc.BatonGrpc;
import io.baton.ha.grpc.RaftStatus;
import io.baton.ha.grpc.StatusRequest;
import io.baton.ha.grpc.StatusResponse;
import io.grpc.Grpc;
import io.grpc.InsecureServerCredentials;
import io.grpc.Server;
import io.grpc.stub.StreamObserver;
import io.vertx.core.json.JsonObject;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.net.ServerSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/** The command line itself: usage errors, exit codes, unreachable nodes, bad files (no cluster needed). */
@Timeout(value = 60, unit = TimeUnit.SECONDS)
class BatonCliTest {
  @TempDir
  Path dir;

  record Run(int code, String out, String err) {}

  static Run baton(String... args) {
    final StringWriter out = new StringWriter();
    final StringWriter err = new StringWriter();
    final int code = BatonCli.run(args, new PrintWriter(out, true), new PrintWriter(err, true));
    return new Run(code, out.toString(), err.toString());
  }

  private static int closedPort() throws Exception {
    try (ServerSocket s = new ServerSocket(0)) {
      return s.getLocalPort();
    }
  }

  @Test
  void helpListsTheCommandsAndExitCodes() {
    final Run help = baton("--help");
    assertThat(help.code()).isZero();
    assertThat(help.out()).contains("status", "transfer", "snapshot", "get", "put", "del", "watch", "Exit codes");
  }

  @Test
  void badUsageExitsWithTwoAndSaysWhy() {
    final Run unknown = baton("frobnicate");
    assertThat(unknown.code()).isEqualTo(BatonCli.USAGE);
    assertThat(unknown.err()).contains("frobnicate");
    final Run missing = baton("snapshot", "restore", "x.backup");
    assertThat(missing.code()).isEqualTo(BatonCli.USAGE);
    assertThat(missing.err()).contains("--cluster-name").contains("--storage-dir");
    final Run badTimeout = baton("--timeout", "soon", "status");
    assertThat(badTimeout.code()).isEqualTo(BatonCli.USAGE);
    assertThat(badTimeout.err()).contains("'soon' is not a duration");
    final Run badEndpoint = baton("--endpoints", "no-port", "get", "k");
    assertThat(badEndpoint.code()).isEqualTo(BatonCli.USAGE);
    assertThat(badEndpoint.err()).contains("not HOST:PORT");
  }

  @Test
  void noEndpointAnsweringExitsWithFourNamingEach() throws Exception {
    final String a = "127.0.0.1:" + closedPort();
    final String b = "127.0.0.1:" + closedPort();
    final Run get = baton("--endpoints", a + "," + b, "--timeout", "2s", "get", "k");
    assertThat(get.code()).isEqualTo(BatonCli.UNREACHABLE);
    assertThat(get.err()).contains(a).contains(b).contains("UNAVAILABLE");
    final Run status = baton("--endpoints", a, "--timeout", "2s", "status");
    assertThat(status.code()).isEqualTo(BatonCli.UNREACHABLE);
    assertThat(status.out()).contains(a).contains("unreachable");
  }

  @Test
  void statusShowsANodeWhoseRaftLogFailed() throws Exception {
    final StatusResponse failed = StatusResponse.newBuilder().setNode("n2").setBackend("ratis")
        .setRaft(RaftStatus.newBuilder().setTerm(3).setLeader("n1").setCommitIndex(40).setAppliedIndex(40)
            .setLogFailure("java.io.IOException: No space left on device"))
        .build();
    final Server server = Grpc.newServerBuilderForPort(0, InsecureServerCredentials.create())
        .addService(new BatonGrpc.BatonImplBase() {
          @Override
          public void status(StatusRequest request, StreamObserver<StatusResponse> out) {
            out.onNext(failed);
            out.onCompleted();
          }
        }).build().start();
    try {
      final String endpoint = "127.0.0.1:" + server.getPort();
      final Run text = baton("--endpoints", endpoint, "status");
      assertThat(text.code()).isZero();
      assertThat(text.out()).contains("LOG FAILED: java.io.IOException: No space left on device");
      final Run json = baton("--endpoints", endpoint, "-o", "json", "status");
      assertThat(new JsonObject(json.out()).getJsonArray("nodes").getJsonObject(0).getJsonObject("raft")
          .getString("logFailure")).isEqualTo("java.io.IOException: No space left on device");
    } finally {
      server.shutdownNow().awaitTermination(5, TimeUnit.SECONDS);
    }
  }

  @Test
  void optionsOfTheTopCommandMayFollowTheSubcommand() throws Exception {
    final String a = "127.0.0.1:" + closedPort();
    final Run get = baton("get", "k", "--endpoints", a, "--timeout", "1s");
    assertThat(get.code()).isEqualTo(BatonCli.UNREACHABLE);
    assertThat(get.err()).contains(a);
  }

  @Test
  void aFileThatIsNoBackupExitsWithThree() throws Exception {
    final Path file = dir.resolve("notes.txt");
    Files.writeString(file, "not a backup");
    final Run status = baton("snapshot", "status", file.toString());
    assertThat(status.code()).isEqualTo(BatonCli.BAD_FILE);
    assertThat(status.err()).contains("not a Baton backup").contains(file.toString());
    final Run missing = baton("snapshot", "status", dir.resolve("missing").toString());
    assertThat(missing.code()).isEqualTo(BatonCli.BAD_FILE);
    assertThat(missing.err()).contains("not found");
  }

  @Test
  void durationsReadAsOperatorsWriteThem() {
    final BatonCli.DurationConverter c = new BatonCli.DurationConverter();
    assertThat(c.convert("500ms")).isEqualTo(Duration.ofMillis(500));
    assertThat(c.convert("10s")).isEqualTo(Duration.ofSeconds(10));
    assertThat(c.convert("2m")).isEqualTo(Duration.ofMinutes(2));
    assertThat(c.convert("PT3S")).isEqualTo(Duration.ofSeconds(3));
  }
}
