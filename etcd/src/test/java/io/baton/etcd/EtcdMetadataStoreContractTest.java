package io.baton.etcd;

import io.baton.store.MetadataStore;
import io.baton.testkit.EtcdCluster;
import io.baton.testkit.MetadataStoreContract;
import io.etcd.jetcd.Client;
import java.time.Duration;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.RegisterExtension;

/** The same MetadataStore contract as the Ratis backend's, on a real 3-member etcd cluster. */
@Timeout(value = 120, unit = TimeUnit.SECONDS)
class EtcdMetadataStoreContractTest extends MetadataStoreContract {
  @RegisterExtension
  static final EtcdCluster ETCD = new EtcdCluster(3);

  private static EtcdMetadataStore store;

  @BeforeAll
  static void connect() {
    store = new EtcdMetadataStore(Client.builder().endpoints(ETCD.endpoints().toArray(String[]::new)).build(),
        Duration.ofSeconds(5));
  }

  @AfterAll
  static void disconnect() {
    store.close();
  }

  @Override
  protected MetadataStore store() {
    return store;
  }

  /** A watch from a compacted revision ends with CompactedException (not a hang), and a fresh read-then-watch recovers. */
  @org.junit.jupiter.api.Test
  void aWatchFromACompactedRevisionFailsClearlyAndCanBeResumedFromARead() throws Exception {
    final long first = io.baton.testkit.Timing.await(store.put(p + "a", "1"));
    final long latest = io.baton.testkit.Timing.await(store.put(p + "a", "2"));
    store.client().getKVClient().compact(latest).get(10, TimeUnit.SECONDS);
    final java.util.concurrent.CompletableFuture<io.baton.store.BatonException> failed =
        new java.util.concurrent.CompletableFuture<>();
    store.watch(p, first, new io.baton.store.WatchListener() {
      @Override
      public void onEvent(io.baton.store.WatchEvent event) {
      }

      @Override
      public void onError(io.baton.store.BatonException error) {
        failed.complete(error);
      }
    });
    org.assertj.core.api.Assertions.assertThat(failed.get(10, TimeUnit.SECONDS))
        .isInstanceOf(io.baton.store.CompactedException.class);
    // recovery, as a HOT standby does it: read the state, then watch from the read's revision + 1
    final io.baton.store.ReadResult now = io.baton.testkit.Timing.await(store.range(p));
    final java.util.List<io.baton.store.WatchEvent> seen = new java.util.concurrent.CopyOnWriteArrayList<>();
    final io.baton.store.Watch watch = store.watch(p, now.revision() + 1, seen::add);
    final long next = io.baton.testkit.Timing.await(store.put(p + "a", "3"));
    io.baton.testkit.Timing.waitUntil("the event after the read", Duration.ofSeconds(10), () -> !seen.isEmpty());
    watch.close();
    org.assertj.core.api.Assertions.assertThat(seen.get(0).revision()).isEqualTo(next);
  }
}
