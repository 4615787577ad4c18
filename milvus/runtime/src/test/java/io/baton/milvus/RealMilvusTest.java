package io.baton.milvus;

import static org.assertj.core.api.Assertions.assertThat;

import com.google.gson.JsonArray;
import com.google.gson.JsonObject;
import io.baton.store.MetadataStore;
import io.baton.testkit.ScriptedClock;
import io.baton.testkit.TestCluster;
import io.milvus.v2.service.collection.request.CreateCollectionReq;
import io.milvus.v2.service.collection.request.DropCollectionReq;
import io.milvus.v2.service.collection.request.ReleaseCollectionReq;
import io.milvus.v2.service.vector.request.InsertReq;
import io.milvus.v2.service.vector.request.SearchReq;
import io.milvus.v2.service.vector.request.data.FloatVec;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * Opt-in: the Milvus module against a real Milvus at {@code MILVUS_URI} (e.g.
 * {@code MILVUS_URI=http://localhost:19530 bin/test}); skipped with that message when it is not
 * set. It creates, loads (through the replica keeper, one replica), searches and drops a collection
 * named {@code baton_it_<time>}. No Milvus server can run on the machines this was written on, so it
 * has not run there.
 */
@Timeout(value = 300, unit = TimeUnit.SECONDS)
class RealMilvusTest {
  @Test
  void theClientTheMonitorAndTheReplicaKeeperAgainstARealMilvus() throws Exception {
    final String uri = System.getenv("MILVUS_URI");
    Assumptions.assumeTrue(uri != null && !uri.isBlank(),
        "MILVUS_URI is not set: no real Milvus to test against (set MILVUS_URI=http://host:19530 to run this test)");
    final String collection = "baton_it_" + System.currentTimeMillis();
    try (ResilientMilvusClient client = ResilientMilvusClient.builder(List.of(uri)).callTimeout(Duration.ofSeconds(60))
        .attemptTimeout(Duration.ofSeconds(30)).build();
        MilvusEndpointMonitor monitor = new MilvusEndpointMonitor(List.of(uri), Duration.ofSeconds(5), Duration.ofSeconds(30),
            Duration.ofSeconds(60), new ScriptedClock(), null);
        TestCluster cluster = new TestCluster(3).start()) {
      monitor.probeAll();
      assertThat(monitor.health().get(uri).state()).isEqualTo(MilvusEndpointMonitor.EndpointState.UP);
      client.call("createCollection", ResilientMilvusClient.Idempotence.IDEMPOTENT, m -> {
        m.createCollection(CreateCollectionReq.builder().collectionName(collection).dimension(4).build());
        return null;
      });
      try {
        // quick setup loads the collection: release it, so that the keeper has something to do
        client.call("releaseCollection", ResilientMilvusClient.Idempotence.IDEMPOTENT, m -> {
          m.releaseCollection(ReleaseCollectionReq.builder().collectionName(collection).build());
          return null;
        });
        final List<JsonObject> rows = new ArrayList<>();
        for (int i = 0; i < 10; i++) {
          final JsonObject row = new JsonObject();
          row.addProperty("id", (long) i);
          final JsonArray v = new JsonArray();
          for (int d = 0; d < 4; d++) {
            v.add((float) (i + d));
          }
          row.add("vector", v);
          rows.add(row);
        }
        client.insert(InsertReq.builder().collectionName(collection).data(rows).build());

        final MetadataStore store = cluster.awaitStable().metadata();
        final long epoch = store.put("keeper/epoch", "x").get(10, TimeUnit.SECONDS);
        final ReplicaKeeper keeper = new ReplicaKeeper(client, List.of(new ReplicaKeeper.Target(collection, 1)), "n1",
            Duration.ofSeconds(10));
        final long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(120);
        String status;
        do {
          status = keeper.reconcile(store.fencedBy("keeper/epoch", epoch), "keeper/", epoch, () -> true).get(0).status();
          Thread.sleep(1000);
        } while (!status.equals("converged") && System.nanoTime() < deadline);
        assertThat(status).isEqualTo("converged");
        assertThat(client.search(SearchReq.builder().collectionName(collection)
            .data(List.of(new FloatVec(new float[] {1, 2, 3, 4}))).limit(3).build()).getSearchResults()).hasSize(1);
      } finally {
        client.call("dropCollection", ResilientMilvusClient.Idempotence.IDEMPOTENT, m -> {
          m.dropCollection(DropCollectionReq.builder().collectionName(collection).build());
          return null;
        });
      }
    }
  }
}
