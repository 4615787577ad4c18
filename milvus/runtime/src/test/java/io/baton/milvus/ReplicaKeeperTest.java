package io.baton.milvus;

import static org.assertj.core.api.Assertions.assertThat;

import io.baton.milvus.ReplicaKeeper.Action;
import io.baton.milvus.ReplicaKeeper.Outcome;
import io.baton.milvus.ReplicaKeeper.Phase;
import io.baton.milvus.ReplicaKeeper.Target;
import io.baton.store.ForwardingMetadataStore;
import io.baton.store.MetadataStore;
import io.baton.store.Txn;
import io.baton.store.TxnResult;
import io.baton.testkit.MilvusTestDouble;
import io.baton.testkit.TestCluster;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * The replica keeper against a Milvus test double, recording into a real 3-node Ratis store
 * (in-JVM), fenced the way a role's store is: by an epoch key's revision.
 */
@Timeout(value = 120, unit = TimeUnit.SECONDS)
class ReplicaKeeperTest {
  private static final String PREFIX = "roles/replica-keeper/state/";
  private static final String EPOCH_KEY = "roles/replica-keeper/epoch";
  private TestCluster cluster;
  private MetadataStore store;
  private MilvusTestDouble milvus;
  private ResilientMilvusClient client;

  @BeforeEach
  void start() {
    cluster = new TestCluster(3).start();
    store = cluster.awaitStable().metadata();
    milvus = MilvusTestDouble.start("m1").createCollection("a", 4).createCollection("b", 4);
    client = ResilientMilvusClient.builder(List.of(milvus.uri())).build();
  }

  @AfterEach
  void stop() {
    client.close();
    milvus.close();
    cluster.close();
  }

  /** A new activation: the epoch key written again; its revision is the epoch. */
  private long activate() throws Exception {
    return store.put(EPOCH_KEY, "x").get(10, TimeUnit.SECONDS);
  }

  private ReplicaKeeper keeper(String node) {
    return new ReplicaKeeper(client, List.of(new Target("a", 2), Target.parse("b:1")), node, Duration.ofSeconds(10));
  }

  private static List<String> statuses(List<Outcome> outcomes) {
    return outcomes.stream().map(Outcome::status).toList();
  }

  @Test
  void convergesAndConvergesAgainAfterAMilvusRestartAndALostReplica() throws Exception {
    final long epoch = activate();
    final MetadataStore fenced = store.fencedBy(EPOCH_KEY, epoch);
    final ReplicaKeeper keeper = keeper("n1");

    assertThat(statuses(keeper.reconcile(fenced, PREFIX, epoch, () -> true))).containsExactly("load sent", "load sent");
    assertThat(milvus.replicas("a")).isEqualTo(2);
    assertThat(milvus.replicas("b")).isEqualTo(1);
    final List<Outcome> second = keeper.reconcile(fenced, PREFIX, epoch, () -> true);
    assertThat(statuses(second)).containsExactly("converged", "converged");
    assertThat(second.get(0).record()).isEqualTo(new Action("a", 2, Phase.DONE, 1, epoch, "n1"));
    assertThat(statuses(keeper.reconcile(fenced, PREFIX, epoch, () -> true))).containsExactly("converged", "converged");
    assertThat(milvus.loads("a")).isEqualTo(1);

    milvus.restart(); // loses every loaded collection
    assertThat(statuses(keeper.reconcile(fenced, PREFIX, epoch, () -> true))).containsExactly("load sent", "load sent");
    keeper.reconcile(fenced, PREFIX, epoch, () -> true);
    assertThat(keeper.read(store, PREFIX, "a")).isEqualTo(new Action("a", 2, Phase.DONE, 2, epoch, "n1"));

    milvus.loseReplica("a");
    assertThat(statuses(keeper.reconcile(fenced, PREFIX, epoch, () -> true))).containsExactly("load sent", "converged");
    assertThat(milvus.replicas("a")).isEqualTo(2);
    assertThat(milvus.loads("a")).isEqualTo(3);
    assertThat(milvus.loads("b")).isEqualTo(2);
  }

  @Test
  void aTakeoverInTheMiddleOfAnActionDoesNotApplyItTwice() throws Exception {
    milvus.holdLoads();
    final long first = activate();
    final AtomicInteger puts = new AtomicInteger();
    final long[] second = new long[1];
    // the first active is deposed right after it sent the load of "a", before it could record that Milvus accepted it
    final MetadataStore deposedMidAction = new ForwardingMetadataStore(store.fencedBy(EPOCH_KEY, first)) {
      @Override
      public CompletableFuture<TxnResult> txn(Txn txn) {
        if (puts.incrementAndGet() == 2) {
          try {
            second[0] = activate();
          } catch (Exception e) {
            throw new AssertionError(e);
          }
        }
        return super.txn(txn);
      }
    };
    assertThat(keeper("n1").reconcile(deposedMidAction, PREFIX, first, () -> true)).isEmpty();
    assertThat(milvus.loads("a")).isEqualTo(1);
    assertThat(milvus.loads("b")).as("the deposed active stopped").isZero();
    assertThat(keeper("n1").read(store, PREFIX, "a")).isEqualTo(new Action("a", 2, Phase.APPLYING, 1, first, "n1"));

    // the new active finds the action recorded by the old epoch, and Milvus loading: it does not load again
    final MetadataStore fenced = store.fencedBy(EPOCH_KEY, second[0]);
    final ReplicaKeeper next = keeper("n2");
    assertThat(statuses(next.reconcile(fenced, PREFIX, second[0], () -> true))).containsExactly("loading", "load sent");
    assertThat(milvus.loads("a")).isEqualTo(1);
    assertThat(next.read(store, PREFIX, "a")).isEqualTo(new Action("a", 2, Phase.APPLIED, 1, second[0], "n2"));
    assertThat(statuses(next.reconcile(fenced, PREFIX, second[0], () -> true))).containsExactly("loading", "loading");
    milvus.finishLoads();
    assertThat(statuses(next.reconcile(fenced, PREFIX, second[0], () -> true))).containsExactly("converged", "converged");
    assertThat(milvus.loads("a")).isEqualTo(1);
    assertThat(milvus.loads("b")).isEqualTo(1);

    // the old active, still running a pass: its first record write is rejected, so it sends nothing to Milvus
    milvus.restart();
    assertThat(keeper("n1").reconcile(store.fencedBy(EPOCH_KEY, first), PREFIX, first, () -> true)).isEmpty();
    assertThat(milvus.loads("a")).isEqualTo(1);
  }
}
