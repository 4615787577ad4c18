package io.baton.quorum;

import static org.assertj.core.api.Assertions.assertThat;

import io.baton.ha.grpc.BatonGrpc;
import io.baton.testkit.Dirs;
import io.baton.testkit.NetworkLab;
import io.baton.testkit.ServiceNodes;
import io.grpc.ManagedChannel;
import io.grpc.ManagedChannelBuilder;
import io.vertx.core.json.JsonObject;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Assumptions;

/**
 * Node processes of the example service for the quorum tests, each in its own network namespace
 * (or on loopback), with the invariants every test checks: from status polling ({@link #poll()}),
 * each node's epoch of a role never goes back and no two nodes are seen ACTIVE for one role with
 * the same epoch; from the nodes' own activation log lines ({@link #checkActivationLogs}), no
 * epoch was activated on two nodes and each node's activations have increasing epochs.
 */
final class QuorumCluster implements AutoCloseable {
  /** What the example's RootCoord handler logs in onActive (RoleManager's own "active (...)" line is not the handler's). */
  private static final Pattern ACTIVATION = Pattern.compile("\\[RootCoord\\] node (\\S+) role=(\\S+) epoch=(\\d+): active with");

  final NetworkLab lab;
  final ServiceNodes nodes;
  final Path dir;
  private final Map<String, ManagedChannel> channels = new HashMap<>();
  private final Map<String, Long> lastEpoch = new HashMap<>();
  private final Map<String, String> activeByEpoch = new HashMap<>();
  private long lastActiveSeen = System.nanoTime();
  private long longestWithoutActiveNanos;

  /** Skips the calling test, with the reason, where network namespaces cannot be made. */
  static void assumeNamespaces() {
    final Optional<String> unavailable = NetworkLab.unavailableReason();
    Assumptions.assumeTrue(unavailable.isEmpty(), () -> "no network namespaces here: " + unavailable.orElse(""));
  }

  /** {@code size} nodes with {@code properties}, in namespaces when {@code namespaces}; started. */
  QuorumCluster(int size, boolean namespaces, List<String> properties) throws IOException {
    final List<String> ids = new ArrayList<>();
    for (int i = 1; i <= size; i++) {
      ids.add("n" + i);
    }
    this.dir = Files.createTempDirectory("baton-quorum");
    NetworkLab made = null;
    ServiceNodes started = null;
    try {
      made = namespaces ? NetworkLab.start(ids) : null;
      started = new ServiceNodes(Path.of(System.getProperty("baton.example.app")), dir, properties, size);
      if (made != null) {
        started.in(made);
      }
      for (String id : ids) {
        started.start(id);
      }
    } catch (IOException | RuntimeException e) {
      if (started != null) {
        started.close();
      }
      if (made != null) {
        made.close();
      }
      throw e;
    }
    this.lab = made;
    this.nodes = started;
  }

  ManagedChannel channel(String id) {
    return channels.computeIfAbsent(id, n -> ManagedChannelBuilder.forAddress(nodes.host(n), nodes.httpPort(n))
        .usePlaintext().build());
  }

  List<ManagedChannel> channels() {
    return nodes.ids().stream().map(this::channel).toList();
  }

  BatonGrpc.BatonBlockingStub grpc(String id) {
    return BatonGrpc.newBlockingStub(channel(id)).withDeadlineAfter(15, TimeUnit.SECONDS);
  }

  /** Polls every running node once, checking the invariants for {@code role}; returns the statuses that answered. */
  Map<String, JsonObject> poll(String role) {
    final Map<String, JsonObject> out = new HashMap<>();
    boolean anyActive = false;
    for (String id : nodes.ids()) {
      final Optional<JsonObject> status = nodes.status(id);
      if (status.isEmpty()) {
        continue;
      }
      out.put(id, status.get());
      final JsonObject r = status.get().getJsonObject("roles").getJsonObject(role);
      final long epoch = r.getLong("epoch");
      final Long before = lastEpoch.put(id + "/" + role, epoch);
      assertThat(epoch).as("node %s: the epoch of %s never goes back", id, role).isGreaterThanOrEqualTo(before == null ? 0 : before);
      if ("ACTIVE".equals(r.getString("state"))) {
        anyActive = true;
        final String other = activeByEpoch.putIfAbsent(role + "/" + epoch, id);
        assertThat(other == null || other.equals(id)).as("two nodes ACTIVE for %s with epoch %d: %s and %s", role, epoch,
            other, id).isTrue();
      }
    }
    final long now = System.nanoTime();
    if (anyActive) {
      lastActiveSeen = now;
    } else {
      longestWithoutActiveNanos = Math.max(longestWithoutActiveNanos, now - lastActiveSeen);
    }
    return out;
  }

  /** Polls for {@code millis}, every ~20 ms. */
  void pollFor(String role, long millis) throws InterruptedException {
    final long end = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(millis);
    while (System.nanoTime() < end) {
      poll(role);
      Thread.sleep(20);
    }
  }

  /** The longest stretch, in ms, in which polling saw no node ACTIVE for the role (since the last reset). */
  long longestWithoutActiveMs() {
    return TimeUnit.NANOSECONDS.toMillis(longestWithoutActiveNanos);
  }

  void resetUnavailability() {
    lastActiveSeen = System.nanoTime();
    longestWithoutActiveNanos = 0;
  }

  /**
   * Checks the activation log lines of {@code role} that the example's RootCoord handler writes in
   * onActive ("[RootCoord] node n role=rootcoord epoch=e: active with ..."); returns how many it
   * logged.
   */
  int checkActivationLogs(String role) throws IOException {
    final Map<String, String> nodeByActivation = new HashMap<>();
    int count = 0;
    for (String id : nodes.ids()) {
      final Path log = nodes.log(id);
      if (!Files.exists(log)) {
        continue;
      }
      long last = 0;
      for (String line : Files.readAllLines(log)) {
        final Matcher m = ACTIVATION.matcher(line);
        if (!m.find() || !m.group(1).equals(id) || !m.group(2).equals(role)) {
          continue;
        }
        final long epoch = Long.parseLong(m.group(3));
        final String other = nodeByActivation.putIfAbsent(role + "/" + epoch, id);
        assertThat(other == null || other.equals(id)).as("%s epoch %d activated on %s and on %s (logs in %s)", role, epoch,
            other, id, dir).isTrue();
        assertThat(epoch).as("node %s activated %s with epoch %d after %d", id, role, epoch, last).isGreaterThan(last);
        last = epoch;
        count++;
      }
    }
    return count;
  }

  @Override
  public void close() {
    channels.values().forEach(ManagedChannel::shutdownNow);
    nodes.close();
    if (lab != null) {
      lab.close();
    }
    Dirs.deleteRecursively(dir);
  }
}
