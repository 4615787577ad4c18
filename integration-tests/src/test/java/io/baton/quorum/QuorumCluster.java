package io.baton.quorum;

import com.google.protobuf.ByteString;
import io.baton.ha.grpc.BatonGrpc;
import io.baton.ha.grpc.Fence;
import io.baton.ha.grpc.GetRequest;
import io.baton.ha.grpc.PutRequest;
import io.baton.testkit.Dirs;
import io.baton.testkit.FaultReport;
import io.baton.testkit.LocalEtcdCluster;
import io.baton.testkit.NetworkLab;
import io.baton.testkit.ServiceNodes;
import io.baton.testkit.history.LinearizabilityChecker;
import io.grpc.ManagedChannel;
import io.grpc.ManagedChannelBuilder;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.vertx.core.json.JsonObject;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Assumptions;

/**
 * Node processes of the example service for the quorum tests, each in its own network namespace
 * (or on loopback), with the invariants every test checks: from status polling ({@link #poll()}),
 * each node's epoch of a role never goes back and no two nodes are seen ACTIVE for one role with
 * the same epoch; from the nodes' own activation log lines ({@link #checkActivationLogs}), no
 * epoch was activated on two nodes and each node's activations have increasing epochs. A broken
 * invariant is recorded in the {@link FaultReport} before the test fails; so is every fault a test
 * reports with {@link #record}, with the takeover timed from {@link #faultInjected()}.
 */
final class QuorumCluster implements AutoCloseable {
  /** What the example's RootCoord handler logs in onActive (RoleManager's own "active (...)" line is not the handler's). */
  private static final Pattern ACTIVATION = Pattern.compile("\\[RootCoord\\] node (\\S+) role=(\\S+) epoch=(\\d+): active with");

  final NetworkLab lab;
  /** The etcd cluster on the etcd backend, else null. */
  final LocalEtcdCluster etcd;
  final ServiceNodes nodes;
  final Path dir;
  final FaultReport report;
  private final Map<String, ManagedChannel> channels = new HashMap<>();
  private final Map<String, Long> lastEpoch = new HashMap<>();
  private final Map<String, String> activeByEpoch = new HashMap<>();
  private final Set<String> paused = new HashSet<>();
  private long lastActiveSeen = System.nanoTime();
  private long longestWithoutActiveNanos;
  private long highestEpoch;
  private long faultAt;
  private long epochAtFault;
  private long takeoverNanos = -1;

  /** The suite's report: target/quorum-report.json and .txt (the failsafe run sets baton.report.dir). */
  static final FaultReport SUITE = new FaultReport("quorum-report", Path.of(System.getProperty("baton.report.dir", "target")));

  /** Skips the calling test, with the reason, where network namespaces cannot be made. */
  static void assumeNamespaces() {
    final Optional<String> unavailable = NetworkLab.unavailableReason();
    Assumptions.assumeTrue(unavailable.isEmpty(), () -> "no network namespaces here: " + unavailable.orElse(""));
  }

  /** {@code size} nodes with {@code properties}, in namespaces when {@code namespaces}; started. */
  QuorumCluster(int size, boolean namespaces, List<String> properties) throws IOException, InterruptedException {
    this(size, namespaces, properties, SUITE);
  }

  /** The same, recording into {@code report}. */
  QuorumCluster(int size, boolean namespaces, List<String> properties, FaultReport report)
      throws IOException, InterruptedException {
    this(size, namespaces, false, properties, report);
  }

  /**
   * With {@code etcd}, on the etcd backend: an etcd cluster of {@code size} members, member i next
   * to node i (in its namespace, so a fault to a node's host cuts its etcd member off too), the
   * nodes' lease TTL 2 s.
   */
  QuorumCluster(int size, boolean namespaces, boolean etcd, List<String> properties, FaultReport report)
      throws IOException, InterruptedException {
    failed = false; // a new test
    this.report = report;
    final List<String> ids = new ArrayList<>();
    for (int i = 1; i <= size; i++) {
      ids.add("n" + i);
    }
    this.dir = Files.createTempDirectory("baton-quorum");
    NetworkLab made = null;
    LocalEtcdCluster members = null;
    ServiceNodes started = null;
    try {
      made = namespaces ? NetworkLab.start(ids) : null;
      final List<String> all = new ArrayList<>(properties);
      if (etcd) {
        members = new LocalEtcdCluster(size);
        if (made != null) {
          members.in(made, ids);
        }
        members.start();
        all.addAll(List.of("baton.backend=etcd", "baton.etcd.endpoints=" + String.join(",", members.endpoints()),
            "baton.etcd.lease-ttl=2s"));
      }
      started = new ServiceNodes(Path.of(System.getProperty("baton.example.app")), dir, all, size);
      if (made != null) {
        started.in(made);
      }
      for (String id : ids) {
        started.start(id);
      }
    } catch (Exception e) {
      if (started != null) {
        started.close();
      }
      if (members != null) {
        members.close();
      }
      if (made != null) {
        made.close();
      }
      throw e;
    }
    this.lab = made;
    this.etcd = members;
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
      final Optional<JsonObject> status = paused.contains(id) ? Optional.empty() : nodes.status(id);
      if (status.isEmpty()) {
        continue;
      }
      out.put(id, status.get());
      final JsonObject r = status.get().getJsonObject("roles").getJsonObject(role);
      final long epoch = r.getLong("epoch");
      // per process: a restarted node may report an older epoch until it has caught up
      final Long before = lastEpoch.put(id + "/" + nodes.process(id).pid() + "/" + role, epoch);
      invariant(before == null || epoch >= before, "node %s: the epoch of %s went back from %d to %d", id, role, before, epoch);
      highestEpoch = Math.max(highestEpoch, epoch);
      if ("ACTIVE".equals(r.getString("state"))) {
        anyActive = true;
        final String other = activeByEpoch.putIfAbsent(role + "/" + epoch, id);
        invariant(other == null || other.equals(id), "two nodes ACTIVE for %s with epoch %d: %s and %s", role, epoch, other,
            id);
        if (faultAt != 0 && takeoverNanos < 0 && epoch > epochAtFault) {
          takeoverNanos = System.nanoTime() - faultAt;
        }
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

  /**
   * While {@code pausing}, polling leaves node {@code id} out (a paused process would hold every
   * poll up for the HTTP timeout).
   */
  void pausing(String id, boolean pausing) {
    if (pausing) {
      paused.add(id);
    } else {
      paused.remove(id);
    }
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
   * A fault is injected now: from here, {@link #takeoverMs()} times the first poll that sees a
   * node ACTIVE with an epoch above every epoch polled so far, and the unavailability starts anew.
   */
  void faultInjected() {
    faultAt = System.nanoTime();
    epochAtFault = highestEpoch;
    takeoverNanos = -1;
    resetUnavailability();
  }

  /** Since {@link #faultInjected()}, until a higher epoch was seen ACTIVE; -1 while none was. */
  long takeoverMs() {
    return takeoverNanos < 0 ? -1 : TimeUnit.NANOSECONDS.toMillis(takeoverNanos);
  }

  /**
   * Records the fault injected at the last {@link #faultInjected()} in the report, with the
   * clients' history checked (null: none was); a history that is not linearizable is a violation,
   * kept in a file next to the report.
   */
  void record(String kind, String placement, String target, long unavailableMs, KvLoad load,
      LinearizabilityChecker.Verdict verdict) throws IOException {
    report.add(new FaultReport.Fault(kind, placement, target, takeoverMs(), unavailableMs,
        load == null ? 0 : load.history().operations().size(), verdict == null ? "-" : verdict.result().name()));
    if (verdict != null && verdict.result() == LinearizabilityChecker.Result.NOT_LINEARIZABLE) {
      final Path kept = Path.of(System.getProperty("baton.report.dir", "target"))
          .resolve("not-linearizable-" + kind + "-" + System.currentTimeMillis() + ".txt");
      Files.writeString(kept, verdict.toString());
      report.violation(kind + " (" + placement + ", on " + target + "): the history is not linearizable on key "
          + verdict.key() + "; the key's operations are in " + kept);
    }
  }

  /**
   * Sends every running node a write fenced by the deposed {@code epoch} of {@code role}; each must
   * reject it with FAILED_PRECONDITION (else: a violation). Waits for ready: a node may have just
   * been restarted, and its channel still backs off.
   */
  void rejectsEverywhere(String role, long epoch) throws InterruptedException {
    for (String id : nodes.ids()) {
      if (!nodes.isRunning(id)) {
        continue;
      }
      // a node whose store cannot decide now (etcd: "no leader" just after a heal) answers UNAVAILABLE: that
      // is no verdict, so ask again (with a new key) for up to 15 s; a fenced write can never apply later
      // (its fence compare fails whenever it is applied), which the read of every key tried below confirms
      final List<String> tried = new ArrayList<>();
      final long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(15);
      while (true) {
        final String key = "app/fenced-" + epoch + "-" + System.nanoTime();
        tried.add(key);
        try {
          grpc(id).withWaitForReady().put(PutRequest.newBuilder().setKey(key).setValue(ByteString.copyFromUtf8("x"))
              .setFence(Fence.newBuilder().setRole(role).setEpoch(epoch)).build());
          invariant(false, "node %s accepted a write fenced by the deposed epoch %d of %s", id, epoch, role);
        } catch (StatusRuntimeException e) {
          final Status.Code code = e.getStatus().getCode();
          if ((code == Status.Code.UNAVAILABLE || code == Status.Code.DEADLINE_EXCEEDED) && System.nanoTime() < deadline) {
            Thread.sleep(200);
            continue;
          }
          invariant(code == Status.Code.FAILED_PRECONDITION,
              "a write fenced by the deposed epoch %d of %s, sent to %s, failed with %s %s instead of FAILED_PRECONDITION",
              epoch, role, id, code, e.getStatus().getDescription());
          break;
        }
      }
      for (String key : tried) {
        invariant(grpc(id).withWaitForReady().get(GetRequest.newBuilder().setKey(key).build()).getKvsCount() == 0,
            "a write fenced by the deposed epoch %d of %s, sent to %s, was applied (key %s exists)", epoch, role, id, key);
      }
    }
  }

  /** Records a broken invariant in the report and fails. */
  void invariant(boolean holds, String format, Object... args) {
    if (!holds) {
      final String what = String.format(format, args) + " (node logs in " + dir + ")";
      report.violation(what);
      throw new AssertionError(what);
    }
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
        invariant(other == null || other.equals(id), "%s epoch %d activated on %s and on %s (the handlers' logs)", role, epoch,
            other, id);
        invariant(epoch > last, "node %s activated %s with epoch %d after %d (its handler's log)", id, role, epoch, last);
        last = epoch;
        count++;
      }
    }
    return count;
  }

  /** Set by {@link KeepLogsOnFailure} when the running test failed: its cluster keeps the node logs. */
  private static volatile boolean failed;

  static void testFailed() {
    failed = true;
  }

  @Override
  public void close() {
    channels.values().forEach(ManagedChannel::shutdownNow);
    nodes.close();
    if (etcd != null) {
      etcd.close();
    }
    if (lab != null) {
      lab.close();
    }
    if (Boolean.getBoolean("baton.quorum.keep-logs") || failed) {
      System.out.println("node logs kept in " + dir + (failed ? " (the test failed)" : ""));
    } else {
      Dirs.deleteRecursively(dir);
    }
  }
}
