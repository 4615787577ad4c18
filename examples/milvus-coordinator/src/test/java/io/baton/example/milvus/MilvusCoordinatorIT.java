package io.baton.example.milvus;

import static org.assertj.core.api.Assertions.assertThat;

import com.google.gson.JsonArray;
import com.google.gson.JsonObject;
import io.baton.milvus.MilvusCallException;
import io.baton.milvus.ResilientMilvusClient;
import io.baton.testkit.MilvusTestDouble;
import io.baton.testkit.ServiceNodes;
import io.milvus.v2.service.vector.request.InsertReq;
import io.milvus.v2.service.vector.request.SearchReq;
import io.milvus.v2.service.vector.request.data.FloatVec;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Predicate;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * The packaged Milvus coordinator, 3 node processes on the embedded Ratis store, next to a Milvus
 * test double with three proxies (no Milvus server runs on these machines): replica-keeper loads
 * the collections, milvus-watch records the proxies' health; then the seed scenario: a search loop
 * through the resilient client while the coordinator's active node is killed and one Milvus proxy
 * dies. It prints how many searches failed.
 */
@Timeout(value = 240, unit = TimeUnit.SECONDS)
class MilvusCoordinatorIT {
  private static final Duration AWAIT = Duration.ofSeconds(60);
  private final List<MilvusTestDouble> proxies = new ArrayList<>();
  private ServiceNodes nodes;
  private Path dir;

  /** Starts the three coordinator nodes, watching {@code endpoints}. */
  private void startNodes(String endpoints) throws Exception {
    dir = Files.createTempDirectory("baton-milvus-coordinator");
    nodes = new ServiceNodes(Path.of(System.getProperty("baton.example.app")), dir, List.of(
        "baton.milvus.endpoints=" + endpoints, "milvus-coordinator.collections=docs:2,news:1",
        "milvus-coordinator.reconcile-interval=500ms", "baton.milvus.timeout=300ms", "baton.milvus.probe-interval=200ms",
        "baton.milvus.suspect-after=1s", "baton.milvus.down-after=3s"));
    for (String id : nodes.ids()) {
      nodes.start(id);
    }
  }

  /** Starts a Milvus test double with three proxies and the coordinator nodes watching them. */
  private void startWithMilvus() throws Exception {
    final MilvusTestDouble first = MilvusTestDouble.start("proxy-1").createCollection("docs", 4).createCollection("news", 4);
    proxies.add(first);
    proxies.add(first.addProxy("proxy-2"));
    proxies.add(first.addProxy("proxy-3"));
    startNodes(String.join(",", proxies.stream().map(MilvusTestDouble::uri).toList()));
  }

  @AfterEach
  void stop() throws Exception {
    if (nodes != null) {
      nodes.close();
    }
    proxies.forEach(MilvusTestDouble::close);
    if (dir != null) {
      io.baton.testkit.Dirs.deleteRecursively(dir);
    }
  }

  /** Waits until a running node's status satisfies {@code check}; returns that status. */
  private io.vertx.core.json.JsonObject await(String what, Predicate<io.vertx.core.json.JsonObject> check) throws InterruptedException {
    final long deadline = System.nanoTime() + AWAIT.toNanos();
    while (System.nanoTime() < deadline) {
      for (String id : nodes.ids()) {
        final var status = nodes.status(id);
        if (status.isPresent() && check.test(status.get())) {
          return status.get();
        }
      }
      Thread.sleep(50);
    }
    throw new AssertionError("not within " + AWAIT.toSeconds() + " s: " + what + "; node logs in " + dir);
  }

  private static String section(io.vertx.core.json.JsonObject status, String section, String key) {
    final var s = status.getJsonObject("sections").getJsonObject(section);
    return s == null ? null : s.getString(key);
  }

  private static boolean isActive(io.vertx.core.json.JsonObject status, String role) {
    return "ACTIVE".equals(status.getJsonObject("roles").getJsonObject(role).getString("state"));
  }

  @Test
  void keepsReplicasRecordsMilvusHealthAndSearchesRideThroughFailovers() throws Exception {
    startWithMilvus();
    final MilvusTestDouble milvus = proxies.get(0);
    final var active = nodes.awaitAgreedActive("replica-keeper", AWAIT);
    final String activeNode = active.getString("node");
    final long epoch = active.getJsonObject("roles").getJsonObject("replica-keeper").getLong("epoch");

    // replica-keeper: both collections loaded with their replicas, the actions recorded DONE
    await("docs and news recorded DONE", s -> String.valueOf(section(s, "replica-keeper", "docs")).startsWith("phase=DONE replicas=2 seq=1")
        && String.valueOf(section(s, "replica-keeper", "news")).startsWith("phase=DONE replicas=1 seq=1"));
    assertThat(milvus.replicas("docs")).isEqualTo(2);
    assertThat(milvus.loads("docs")).isEqualTo(1);
    // milvus-watch: every proxy recorded UP, on every node (the standbys mirror the record)
    for (MilvusTestDouble p : proxies) {
      await(p.name() + " recorded UP", s -> !isActive(s, "milvus-watch") && String.valueOf(section(s, "milvus", p.uri())).startsWith("UP by "));
    }

    // the seed scenario: searches through the resilient client while the active coordinator is killed and a proxy dies
    try (ResilientMilvusClient client = ResilientMilvusClient.builder(proxies.stream().map(MilvusTestDouble::uri).toList())
        .attemptTimeout(Duration.ofSeconds(1)).connectTimeout(Duration.ofSeconds(1)).build()) {
      client.insert(InsertReq.builder().collectionName("docs").data(List.of(row(1), row(2), row(3))).build());
      final AtomicBoolean running = new AtomicBoolean(true);
      final AtomicInteger searches = new AtomicInteger();
      final List<String> failures = java.util.Collections.synchronizedList(new ArrayList<>());
      final Thread loop = new Thread(() -> {
        final long end = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
        while (running.get() && System.nanoTime() < end && searches.get() < 100_000) {
          try {
            client.search(SearchReq.builder().collectionName("docs").data(List.of(new FloatVec(new float[] {1, 2, 3, 4})))
                .limit(2).build());
          } catch (MilvusCallException e) {
            failures.add(e.getMessage());
          }
          searches.incrementAndGet();
        }
      }, "search-loop");
      loop.start();
      Thread.sleep(500);
      final long killedAt = System.nanoTime();
      nodes.stop(activeNode, false); // kill -9 of the active coordinator
      final var next = nodes.awaitAgreedActive("replica-keeper", AWAIT);
      final long takeoverMs = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - killedAt);
      assertThat(next.getString("node")).isNotEqualTo(activeNode);
      assertThat(next.getJsonObject("roles").getJsonObject("replica-keeper").getLong("epoch")).isGreaterThan(epoch);
      proxies.get(1).stop(); // a Milvus proxy dies
      final long proxyDiedAt = System.nanoTime();
      final MilvusTestDouble dead = proxies.get(1);
      await(dead.name() + " recorded SUSPECT", s -> String.valueOf(section(s, "milvus", dead.uri())).startsWith("SUSPECT by "));
      final long suspectMs = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - proxyDiedAt);
      await(dead.name() + " recorded DOWN", s -> String.valueOf(section(s, "milvus", dead.uri())).startsWith("DOWN by "));
      final long downMs = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - proxyDiedAt);
      Thread.sleep(500);
      running.set(false);
      loop.join(30_000);
      System.out.printf("milvus seed scenario: %d searches, %d failed, while the active coordinator %s was killed (takeover seen "
          + "after %d ms) and %s died (recorded SUSPECT after %d ms, DOWN after %d ms); endpoints now %s%n", searches.get(),
          failures.size(), activeNode, takeoverMs, dead.name(), suspectMs, downMs, client.endpointStates());
      assertThat(failures).as("searches that failed").isEmpty();
      assertThat(searches.get()).isPositive();
    }
    // the new active continued from the records: nothing was loaded again
    assertThat(milvus.loads("docs")).isEqualTo(1);
    assertThat(milvus.loads("news")).isEqualTo(1);

    // a Milvus restart loses the loaded collections: the new active loads them again
    milvus.restart();
    await("docs loaded again", s -> String.valueOf(section(s, "replica-keeper", "docs")).startsWith("phase=DONE replicas=2 seq=2"));
    assertThat(milvus.loads("docs")).isEqualTo(2);
  }

  @Test
  void withoutMilvusItStartsElectsFailsOverAndSaysMilvusIsUnreachable() throws Exception {
    final String nowhere = "http://127.0.0.1:" + io.baton.testkit.Ports.free();
    startNodes(nowhere);
    final var active = nodes.awaitAgreedActive("replica-keeper", AWAIT);
    await("the unreachable endpoint recorded DOWN", s -> String.valueOf(section(s, "milvus", nowhere)).startsWith("DOWN by "));
    final String activeNode = active.getString("node");
    final String other = nodes.ids().stream().filter(id -> !id.equals(activeNode)).findFirst().orElseThrow();
    assertThat(nodes.httpStatus(other, "/q/health/group/milvus")).isEqualTo(503);
    assertThat(nodes.httpStatus(other, "/q/health/ready")).isEqualTo(200);
    nodes.stop(activeNode, false);
    final var next = nodes.awaitAgreedActive("replica-keeper", AWAIT);
    assertThat(next.getString("node")).isNotEqualTo(activeNode);
    assertThat(section(next, "milvus", nowhere)).startsWith("DOWN by ").contains("no answer");
    final Path log = nodes.log(next.getString("node"));
    final long deadline = System.nanoTime() + AWAIT.toNanos();
    while (!Files.readString(log).contains("role=replica-keeper epoch=" + next.getJsonObject("roles")
        .getJsonObject("replica-keeper").getLong("epoch") + ": collection docs milvus error: ")) {
      assertThat(System.nanoTime()).as("the new active says why it cannot keep docs; log " + log).isLessThan(deadline);
      Thread.sleep(100);
    }
  }

  private static JsonObject row(long id) {
    final JsonObject row = new JsonObject();
    row.addProperty("id", id);
    final JsonArray v = new JsonArray();
    for (int i = 0; i < 4; i++) {
      v.add(i + id);
    }
    row.add("vector", v);
    return row;
  }
}
