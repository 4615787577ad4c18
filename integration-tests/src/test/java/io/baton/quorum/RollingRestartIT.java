package io.baton.quorum;

import static org.assertj.core.api.Assertions.assertThat;

import com.google.protobuf.ByteString;
import io.baton.ha.grpc.GetRequest;
import io.baton.ha.grpc.PutRequest;
import io.grpc.StatusRuntimeException;
import io.vertx.core.json.JsonObject;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Random;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * A rolling restart of all three node processes (SIGTERM, wait, start again, wait until ready),
 * one by one, under leader and spread placement and on the etcd backend, under a client writing through the nodes in
 * rotation (the node being restarted is out of it, as a failing readiness probe takes a pod out of
 * a Kubernetes Service): a standby's restart changes no epoch for the role, the active's hands the role over exactly once (no unplanned election),
 * and no write fails beyond the documented retry (a write that fails, as one may while the
 * leadership moves, is sent once more, to another node, after 2 s); every acknowledged write is
 * there at the end.
 */
@ExtendWith(KeepLogsOnFailure.class)
@Timeout(value = 300, unit = TimeUnit.SECONDS)
class RollingRestartIT {
  private static final String ROLE = "rootcoord";
  private static final Duration AWAIT = Duration.ofSeconds(60);
  private QuorumCluster cluster;

  @AfterEach
  void stop() {
    if (cluster != null) {
      cluster.close();
    }
  }

  private static long epoch(JsonObject status) {
    return status.getJsonObject("roles").getJsonObject(ROLE).getLong("epoch");
  }

  /** The node being restarted, taken out of the client's rotation as a readiness probe takes it out of a Service. */
  private volatile String restarting;

  /** One write to a node in rotation picked at random; false if it failed. */
  private boolean write(String key, Random random) {
    final String out = restarting;
    final List<String> running = cluster.nodes.ids().stream().filter(id -> !id.equals(out)).toList();
    final String node = running.get(random.nextInt(running.size()));
    try {
      cluster.grpc(node).withDeadlineAfter(10, TimeUnit.SECONDS)
          .put(PutRequest.newBuilder().setKey(key).setValue(ByteString.copyFrom(key, StandardCharsets.UTF_8)).build());
      return true;
    } catch (StatusRuntimeException e) {
      System.out.printf("write %s to %s failed: %s%n", key, node, e.getStatus());
      return false;
    }
  }

  /*
   * Under spread, rebalancing is off: a restarted node would otherwise be handed roles a few seconds
   * after it is back, planned moves that this test would count against "a standby's restart moves nothing".
   */
  @ParameterizedTest(name = "{0}")
  @ValueSource(strings = {"leader", "spread", "etcd"})
  void everyNodeRestartedOneByOneUnderLoad(String setup) throws Exception {
    final boolean etcd = setup.equals("etcd"); // a 3-member etcd cluster, lease TTL 2 s
    cluster = new QuorumCluster(3, false, etcd,
        List.of("baton.placement=" + (etcd ? "leader" : setup), "baton.spread.rebalance-after=0"), QuorumCluster.SUITE);
    final var nodes = cluster.nodes;
    JsonObject active = nodes.awaitAgreedActive(ROLE, AWAIT);
    final List<String> acknowledged = Collections.synchronizedList(new ArrayList<>());
    final List<String> failedTwice = Collections.synchronizedList(new ArrayList<>());
    final List<String> retried = Collections.synchronizedList(new ArrayList<>());
    final AtomicBoolean running = new AtomicBoolean(true);
    final Thread writer = new Thread(() -> {
      final Random random = new Random(1);
      final long end = System.nanoTime() + TimeUnit.MINUTES.toNanos(4);
      for (int i = 0; i < 100_000 && running.get() && System.nanoTime() < end; i++) {
        final String key = "app/rolling-" + i;
        if (write(key, random)) {
          acknowledged.add(key);
          continue;
        }
        retried.add(key);
        try {
          Thread.sleep(2000);
        } catch (InterruptedException e) {
          return;
        }
        if (write(key, random)) {
          acknowledged.add(key);
        } else {
          failedTwice.add(key);
        }
      }
    }, "rolling-writer");
    writer.setDaemon(true);
    writer.start();

    // The restarted node starts at a lower CPU priority: here all three share two cores, and a starting JVM
    // (class loading, JIT) starved the one remaining follower for over the leader lease (0.9 s) in 1 of 3
    // clean runs, so the active gave its epoch up and claimed a new one in the same term (reproduced with
    // stress-ng; the logs show no election). On hosts of their own a starting node takes no CPU from its peers.
    // Once ready it gets the normal priority back and the next restart waits until it has stopped compiling
    // (below half a core; serving this test's writes takes about a quarter): left at nice 10 it was itself the
    // starved lone follower of the next restart (the same lapse, 1 in 4 runs).
    nodes.niceness(10);
    final List<String> order = new ArrayList<>(nodes.ids());
    order.remove(active.getString("node"));
    order.add(active.getString("node")); // the active last: two standby restarts first, then a handover
    final List<String> report = new ArrayList<>();
    for (String id : order) {
      final String before = active.getString("node");
      final long epochBefore = epoch(active);
      restarting = id;
      nodes.stop(id, true);
      nodes.awaitExit(id);
      nodes.start(id);
      assertThat(nodes.awaitReady(id, AWAIT)).as("node %s ready again; logs in %s", id, cluster.dir).isTrue();
      nodes.renice(id, 0);
      final double cores = nodes.awaitQuiet(id, 0.5, Duration.ofSeconds(1), Duration.ofSeconds(30));
      System.out.printf("node %s ready again, CPU over the last second %.2f cores%n", id, cores);
      restarting = null;
      active = nodes.awaitAgreedActive(ROLE, AWAIT);
      report.add(id + (id.equals(before) ? " (active)" : "") + ": epoch " + epochBefore + " -> " + epoch(active));
      if (id.equals(before)) {
        assertThat(active.getString("node")).as("the restarted active handed over").isNotEqualTo(id);
        assertThat(epoch(active)).as("one new epoch for the handover").isGreaterThan(epochBefore);
        assertThat(cluster.checkActivationLogs(ROLE)).isGreaterThanOrEqualTo(2);
      } else {
        assertThat(active.getString("node")).as("a standby's restart moves nothing").isEqualTo(before);
        assertThat(epoch(active)).as("a standby's restart changes no epoch").isEqualTo(epochBefore);
      }
    }
    Thread.sleep(1000);
    running.set(false);
    writer.join(30_000);
    System.out.printf("rolling restart (%s) %s: %d writes acknowledged, %d retried once, %d failed after the retry%n",
        setup, report, acknowledged.size(), retried.size(), failedTwice.size());
    assertThat(failedTwice).as("writes that failed after the documented retry").isEmpty();
    final String leader = active.getString("node");
    for (String key : new ArrayList<>(acknowledged)) {
      assertThat(cluster.grpc(leader).get(GetRequest.newBuilder().setKey(key).build()).getKvsCount())
          .as("acknowledged %s", key).isEqualTo(1);
    }
  }
}
