package io.baton.example;

import static org.assertj.core.api.Assertions.assertThat;

import io.baton.testkit.Dirs;
import io.baton.testkit.ServiceNodes;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * Baton's gRPC API as a client in another language uses it: {@code src/test/python/baton_client_test.py}
 * (Debian's python3-grpcio; stubs generated from {@code baton.proto} by {@code protoc} here) drives
 * every RPC and every documented error code against three processes of the packaged example
 * service, then, with two of them killed, the no-quorum errors on the last one.
 */
@Timeout(value = 240, unit = TimeUnit.SECONDS)
class GrpcPythonClientIT {
  /** Debian's interpreter, which has the python3-grpcio and python3-protobuf packages. */
  private static final String PYTHON = "/usr/bin/python3";
  private static final int WATCH_HISTORY = 50;
  private Path dir;
  private Path generated;
  private ServiceNodes nodes;

  @BeforeEach
  void start() throws Exception {
    dir = Files.createTempDirectory("baton-python-client-");
    generated = Files.createDirectories(dir.resolve("python"));
    final Path proto = Path.of(System.getProperty("baton.proto"));
    final Path tests = Path.of(System.getProperty("baton.python.tests"));
    run(List.of("protoc", "-I" + proto.getParent(), "-I" + tests, "--python_out=" + generated, proto.getFileName().toString(),
        "reflection.proto"), "protoc (Debian package protobuf-compiler)");
    nodes = new ServiceNodes(Path.of(System.getProperty("baton.example.app")), dir,
        List.of("baton.raft.watch-history=" + WATCH_HISTORY));
    for (String id : nodes.ids()) {
      nodes.start(id);
    }
  }

  @AfterEach
  void stop() {
    Dirs.closeThenDelete(nodes, dir);
  }

  @Test
  void everyRpcAndEveryDocumentedErrorFromPython() throws Exception {
    nodes.awaitAgreedActive("rootcoord", Duration.ofSeconds(60));
    nodes.awaitAgreedActive("querycoord", Duration.ofSeconds(30));
    final String all = nodes.ids().stream().map(id -> id + "=127.0.0.1:" + nodes.httpPort(id))
        .collect(Collectors.joining(","));
    python(all, "--watch-history", String.valueOf(WATCH_HISTORY), "cluster");

    // two of three gone: the last one has no majority
    final List<String> killed = new ArrayList<>(nodes.ids());
    final String survivor = killed.remove(0);
    for (String id : killed) {
      nodes.stop(id, false);
    }
    python(survivor + "=127.0.0.1:" + nodes.httpPort(survivor), "no-quorum");
  }

  private void python(String nodeList, String... args) throws Exception {
    final List<String> cmd = new ArrayList<>(List.of(PYTHON,
        Path.of(System.getProperty("baton.python.tests"), "baton_client_test.py").toString(), "--nodes", nodeList));
    cmd.addAll(List.of(args));
    run(cmd, "the Python client test (Debian packages python3-grpcio and python3-protobuf)");
  }

  /** Runs {@code cmd} to its end with the generated stubs on PYTHONPATH; its output goes to this test's output. */
  private void run(List<String> cmd, String what) throws IOException, InterruptedException {
    final ProcessBuilder b = new ProcessBuilder(cmd).redirectErrorStream(true);
    b.environment().put("PYTHONPATH", generated.toString());
    final Process p;
    try {
      p = b.start();
    } catch (IOException e) {
      throw new AssertionError("cannot run " + what + ": " + e.getMessage() + " (bin/test installs it)", e);
    }
    final String output = new String(p.getInputStream().readAllBytes());
    System.out.print(output);
    if (!p.waitFor(120, TimeUnit.SECONDS)) {
      p.destroyForcibly();
    }
    assertThat(p.exitValue()).as(what + " failed; its output:%n%s%nnode logs in %s", output, dir).isZero();
  }
}
