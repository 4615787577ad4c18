package io.baton.ha;

import static io.baton.testkit.Timing.await;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.baton.etcd.EtcdMetadataStore;
import io.baton.store.ForwardingMetadataStore;
import io.baton.store.MetadataStore;
import io.baton.store.MonotonicClock;
import io.baton.store.Txn;
import io.baton.store.TxnResult;
import io.baton.testkit.EtcdCluster;
import io.baton.testkit.Timing;
import java.time.Duration;
import java.util.List;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * A node sees who leads an election (a read and a watch, no session needed) before its own
 * campaign key is confirmed. Until it is, the node cannot take the role over: it is not a
 * candidate, its readiness says so, and a transfer to it is refused rather than sent to a node
 * that is not in the election.
 */
@Timeout(value = 60, unit = TimeUnit.SECONDS)
class EtcdElectorCandidacyTest {
  @RegisterExtension
  static final EtcdCluster ETCD = new EtcdCluster(1);
  private static final String ROLE = "rootcoord";

  private final String namespace = "/elector-candidacy-" + UUID.randomUUID() + "/";
  private final List<AutoCloseable> closing = new CopyOnWriteArrayList<>();

  @AfterEach
  void tearDown() throws Exception {
    for (int i = closing.size() - 1; i >= 0; i--) {
      closing.get(i).close();
    }
  }

  private EtcdMetadataStore store() {
    final EtcdMetadataStore store = BackendFixture.etcdStore(ETCD, namespace);
    closing.add(store);
    return store;
  }

  private EtcdElector elector(MetadataStore store, String node) {
    final EtcdElector e = new EtcdElector(store, node, "election", List.of(ROLE), Duration.ofSeconds(10),
        Duration.ofSeconds(5), MonotonicClock.SYSTEM);
    final ExecutorService loop = Executors.newSingleThreadExecutor();
    closing.add(loop::shutdownNow);
    closing.add(e);
    e.start(loop, () -> { });
    return e;
  }

  @Test
  void aNodeIsACandidateOnlyOnceItsCampaignKeyIsConfirmed() {
    final EtcdElector a = elector(store(), "a");
    Timing.waitUntil("a leads", Duration.ofSeconds(15), () -> {
      a.tick();
      return a.confirmedEpoch(ROLE) > 0;
    });
    assertThat(a.candidate(ROLE)).isTrue();

    final HeldCampaigns held = new HeldCampaigns(store());
    final EtcdElector b = elector(held, "b");
    assertThat(b.candidate(ROLE)).as("before its session").isFalse();
    Timing.waitUntil("b sees a lead while its own campaign is held", Duration.ofSeconds(15), () -> {
      b.tick();
      return "a".equals(b.activeNode(ROLE)) && held.asked.get() > 0;
    });
    assertThat(b.candidate(ROLE)).as("its campaign key is not confirmed").isFalse();
    assertThatThrownBy(() -> await(a.transfer(ROLE, "b"))).isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("node b is not a candidate for role rootcoord")
        .hasMessageContaining("campaign is not confirmed yet").hasMessageContaining("candidates: [a]");

    held.release.complete(null);
    Timing.waitUntil("b's campaign confirmed", Duration.ofSeconds(15), () -> {
      b.tick();
      return b.candidate(ROLE);
    });
    assertThat(b.confirmedEpoch(ROLE)).as("behind a, a candidate but not the leader").isZero();

    b.close();
    assertThat(b.candidate(ROLE)).as("closed: no session, no campaign").isFalse();
  }

  /** Holds every transaction (a campaign is one) until {@link #release} completes. */
  private static final class HeldCampaigns extends ForwardingMetadataStore {
    final CompletableFuture<Void> release = new CompletableFuture<>();
    final AtomicInteger asked = new AtomicInteger();

    HeldCampaigns(MetadataStore delegate) {
      super(delegate);
    }

    @Override
    public CompletableFuture<TxnResult> txn(Txn txn) {
      asked.incrementAndGet();
      return release.thenCompose(v -> super.txn(txn));
    }
  }
}
