package io.baton.example;

import io.baton.testkit.Dirs;
import io.baton.testkit.ServiceNodes;
import io.vertx.core.json.JsonObject;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.TimeUnit;

/**
 * Builds the JDK 25 AOT cache (JEP 483/514) of the example service with a training run: a 3-node
 * cluster on loopback, node n1 recording with {@code -XX:AOTCacheOutput}. Once every role is
 * active somewhere and n1 has answered its status and health endpoints, n1 is stopped gracefully
 * (SIGTERM: it hands over its roles, which trains that path too) and the JVM writes the cache as it
 * exits. Run it with the JDK that will use the cache, and the same application path: a cache from
 * another JDK or for another class path is ignored by the JVM.
 *
 * <p>Arguments: {@code --app quarkus-run.jar --java PATH --output app.aot}.
 */
public final class AotTraining {
  private AotTraining() {
  }

  public static void main(String[] args) throws Exception {
    Path app = null;
    String java = null;
    Path output = null;
    for (int i = 0; i < args.length; i++) {
      switch (args[i]) {
        case "--app" -> app = Path.of(args[++i]);
        case "--java" -> java = args[++i];
        case "--output" -> output = Path.of(args[++i]).toAbsolutePath();
        default -> throw new IllegalArgumentException("unknown argument " + args[i]
            + " (use --app quarkus-run.jar --java PATH --output app.aot)");
      }
    }
    if (app == null || java == null || output == null) {
      throw new IllegalArgumentException("--app, --java and --output are required");
    }
    final Path dir = Files.createTempDirectory("baton-aot-training-");
    final long started = System.nanoTime();
    try (ServiceNodes nodes = new ServiceNodes(app, dir, List.of()).jvm(java, List.of())) {
      Files.deleteIfExists(output);
      nodes.start("n1", List.of("-XX:AOTCacheOutput=" + output));
      nodes.start("n2");
      nodes.start("n3");
      final long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(90);
      while (!trained(nodes)) {
        if (System.nanoTime() > deadline) {
          throw new IllegalStateException("the training cluster did not come up within 90 s; logs are in " + dir);
        }
        Thread.sleep(50);
      }
      nodes.stop("n1", true);
      if (!nodes.process("n1").waitFor(60, TimeUnit.SECONDS)) {
        throw new IllegalStateException("n1 did not exit within 60 s; logs are in " + dir);
      }
      if (!Files.isRegularFile(output)) {
        throw new IllegalStateException("no AOT cache was written to " + output + " (is " + java + " JDK 25+?); logs: "
            + dir.resolve("n1.log"));
      }
      System.out.printf("AOT cache %s: %.1f MB, trained in %.1f s%n", output, Files.size(output) / 1e6,
          (System.nanoTime() - started) / 1e9);
    } finally {
      Dirs.deleteRecursively(dir);
    }
  }

  /** Every role active on some node, and n1 started, ready and serving its status. */
  private static boolean trained(ServiceNodes nodes) {
    int active = 0;
    for (String id : nodes.ids()) {
      final Optional<JsonObject> s = nodes.status(id);
      if (s.isPresent()) {
        for (String role : s.get().getJsonObject("roles").fieldNames()) {
          if ("ACTIVE".equals(s.get().getJsonObject("roles").getJsonObject(role).getString("state"))) {
            active++;
          }
        }
      }
    }
    return active >= 2 && nodes.httpStatus("n1", "/q/health/started") == 200
        && nodes.httpStatus("n1", "/q/health/ready") == 200 && nodes.httpStatus("n1", "/q/health/live") == 200;
  }
}
