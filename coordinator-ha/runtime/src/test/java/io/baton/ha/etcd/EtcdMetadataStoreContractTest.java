package io.baton.ha.etcd;

import io.baton.raft.MetadataStore;
import io.baton.raft.MetadataStoreContract;
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
    final long first = io.baton.raft.Timing.await(store.put(p + "a", "1"));
    final long latest = io.baton.raft.Timing.await(store.put(p + "a", "2"));
    store.client().getKVClient().compact(latest).get(10, TimeUnit.SECONDS);
    final java.util.concurrent.CompletableFuture<io.baton.raft.BatonException> failed =
        new java.util.concurrent.CompletableFuture<>();
    store.watch(p, first, new io.baton.raft.WatchListener() {
      @Override
      public void onEvent(io.baton.raft.WatchEvent event) {
      }

      @Override
      public void onError(io.baton.raft.BatonException error) {
        failed.complete(error);
      }
    });
    org.assertj.core.api.Assertions.assertThat(failed.get(10, TimeUnit.SECONDS))
        .isInstanceOf(io.baton.raft.CompactedException.class);
    // recovery, as a HOT standby does it: read the state, then watch from the read's revision + 1
    final io.baton.raft.ReadResult now = io.baton.raft.Timing.await(store.range(p));
    final java.util.List<io.baton.raft.WatchEvent> seen = new java.util.concurrent.CopyOnWriteArrayList<>();
    final io.baton.raft.Watch watch = store.watch(p, now.revision() + 1, seen::add);
    final long next = io.baton.raft.Timing.await(store.put(p + "a", "3"));
    io.baton.raft.Timing.waitUntil("the event after the read", Duration.ofSeconds(10), () -> !seen.isEmpty());
    watch.close();
    org.assertj.core.api.Assertions.assertThat(seen.get(0).revision()).isEqualTo(next);
  }
}
