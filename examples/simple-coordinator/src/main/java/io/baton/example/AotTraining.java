package io.baton.example;

import io.baton.ha.grpc.BatonGrpc;
import io.baton.ha.grpc.TransferRoleRequest;
import io.baton.testkit.Dirs;
import io.baton.testkit.ServiceNodes;
import io.grpc.ManagedChannel;
import io.grpc.ManagedChannelBuilder;
import io.vertx.core.json.JsonObject;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.TimeUnit;

/**
 * Builds the JDK 25 AOT cache (JEP 483/514) of the example service with a training run: a 3-node
 * cluster on loopback, node n1 recording with {@code -XX:AOTCacheOutput}. Once every role is
 * active somewhere and n1 has answered its status and health endpoints, the roles move the ways a
 * takeover moves them, so that n1 loads and profiles those paths before the first real takeover
 * needs them (the classes of an election, of a new leader's start and claim, of a handover, found
 * in the cache instead of the jars): transferred to n1 (it is elected on request and claims them),
 * transferred away from n1 (it hands them over), taken over after a kill -9 of their node (n1 sees
 * the crash and votes or is elected), transferred to n1 again. Then n1 is stopped gracefully
 * (SIGTERM: it hands its roles over) and the JVM writes the cache as it exits. Run it with the JDK
 * that will use the cache, and the same application path: a cache from another JDK or for another
 * class path is ignored by the JVM.
 *
 * <p>Arguments: {@code --app quarkus-run.jar --java PATH --output app.aot}.
 */
public final class AotTraining {
  private static final List<String> ROLES = List.of("rootcoord", "querycoord");
  private static final Duration AGREE = Duration.ofSeconds(60);

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
    try (ServiceNodes nodes = new ServiceNodes(app, dir, List.of()).rehearse(true).jvm(java, List.of())) {
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
      moveTo(nodes, "n1");
      moveTo(nodes, "n2");
      nodes.stop("n2", false); // kill -9: the crash path
      nodes.awaitExit("n2");
      nodes.awaitAgreedActive(ROLES, AGREE);
      nodes.start("n2");
      moveTo(nodes, "n1");
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

  /** Asks the active node to transfer the roles to {@code target} and waits until every node names it. */
  private static void moveTo(ServiceNodes nodes, String target) throws InterruptedException {
    final String active = nodes.awaitAgreedActive(ROLES, AGREE).get(ROLES.get(0)).getString("node");
    if (!active.equals(target)) {
      final ManagedChannel channel = ManagedChannelBuilder.forAddress("127.0.0.1", nodes.httpPort(active))
          .usePlaintext().build();
      try {
        BatonGrpc.newBlockingStub(channel).withDeadlineAfter(30, TimeUnit.SECONDS)
            .transferRole(TransferRoleRequest.newBuilder().setRole(ROLES.get(0)).setTarget(target).build());
      } finally {
        channel.shutdownNow();
      }
    }
    final long deadline = System.nanoTime() + AGREE.toNanos();
    while (!nodes.awaitAgreedActive(ROLES, AGREE).values().stream().allMatch(s -> s.getString("node").equals(target))) {
      if (System.nanoTime() > deadline) {
        throw new IllegalStateException("the roles did not move to " + target + " within " + AGREE.toSeconds()
            + " s; logs are in " + nodes.dir());
      }
      Thread.sleep(20);
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
