package io.baton.raft;

import static io.baton.testkit.Timing.await;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.baton.store.ClosedException;
import io.baton.store.MetadataStore;
import io.baton.store.Op;
import io.baton.store.ReadConsistency;
import io.baton.store.ReadResult;
import io.baton.store.Txn;
import io.baton.testkit.MetadataStoreContract;
import io.baton.testkit.TestCluster;
import io.baton.testkit.Timing;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * The {@link MetadataStoreContract} on the Ratis backend (a 3-node cluster, used through a
 * follower), and what the Ratis store adds: local stale reads, limits, bad bytes, a client without
 * a replica.
 */
@Timeout(value = 60, unit = TimeUnit.SECONDS)
class MetadataStoreTest extends MetadataStoreContract {
  private static TestCluster cluster;
  private static MetadataStore viaFollower;

  @BeforeAll
  static void startCluster() {
    cluster = new TestCluster(3).start();
    viaFollower = cluster.other(cluster.leader()).metadata();
  }

  @AfterAll
  static void stopCluster() {
    cluster.close();
  }

  @Override
  protected MetadataStore store() {
    return viaFollower;
  }

  private static byte[] bytes(String s) {
    return s.getBytes(StandardCharsets.UTF_8);
  }

  @Test
  void staleReadsAreLocalAndSayWhatTheyReflect() {
    final long rev = await(viaFollower.put("s/k", "v"));
    final RaftNode follower = cluster.running().stream().filter(n -> !n.leadership().leader()).findFirst().orElseThrow();
    Timing.waitUntil("the follower applies revision " + rev, Duration.ofSeconds(5),
        () -> await(follower.metadata().get("s/k", ReadConsistency.STALE)).revision() >= rev);
    final ReadResult stale = await(follower.metadata().get("s/k", ReadConsistency.STALE));
    assertThat(stale.first().orElseThrow().valueAsString()).isEqualTo("v");
    assertThat(stale.appliedIndex()).isPositive();
  }

  @Test
  void valueSizeLimitIsExactAndClear() {
    final byte[] limit = new byte[RaftNodeOptions.DEFAULT_MAX_VALUE_BYTES];
    assertThat(await(viaFollower.put("big/ok", limit))).isPositive();
    assertThat(await(viaFollower.get("big/ok")).first().orElseThrow().value()).hasSize(limit.length);
    assertThatThrownBy(() -> await(viaFollower.put("big/no", new byte[limit.length + 1])))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("big/no").hasMessageContaining("1048577 bytes").hasMessageContaining("maxValueBytes");
    assertThat(await(viaFollower.get("big/no")).kvs()).isEmpty();
  }

  @Test
  void invalidRequestsAreRefusedBeforeTheLog() {
    assertThatThrownBy(() -> await(viaFollower.put("", "x"))).hasMessageContaining("key is empty");
    assertThatThrownBy(() -> await(viaFollower.txn(Txn.of(List.of(), List.of(Op.put("d", "1"), Op.delete("d"))))))
        .hasMessageContaining("written twice");
    assertThatThrownBy(() -> await(viaFollower.put("l", bytes("x"), 424242)))
        .hasMessageContaining("lease 424242 not found");
    // the node keeps serving
    assertThat(await(viaFollower.put("after/bad", "ok"))).isPositive();
  }

  @Test
  void badBytesSentToTheLeaderAreRejectedWithoutHarm() throws Exception {
    final RaftNode leader = cluster.leader();
    try (org.apache.ratis.client.RaftClient raw = RaftNode.newClient(cluster.clusterName(),
        RaftNode.toRaftPeers(cluster.peers()), Duration.ofSeconds(5), RaftNodeOptions.DEFAULT_MAX_REQUEST_BYTES, null)) {
      assertThatThrownBy(() -> raw.io().send(org.apache.ratis.protocol.Message.valueOf("garbage bytes")))
          .hasMessageContaining("malformed Baton request: unsupported format version");
    }
    assertThat(await(leader.metadata().put("after/garbage", "ok"))).isPositive();
  }

  @Test
  void aClientWithoutAReplicaWritesAndReads() {
    try (MetadataClient client = new MetadataClient(cluster.clusterName(), cluster.peers(), Duration.ofSeconds(5))) {
      final long rev = await(client.put("c/k", "from a client"));
      assertThat(await(client.get("c/k")).first().orElseThrow().modRevision()).isEqualTo(rev);
      assertThat(await(client.get("c/k", ReadConsistency.STALE)).revision()).isPositive();
      assertThatThrownBy(() -> client.watch("c/", 0, e -> { })).isInstanceOf(UnsupportedOperationException.class);
      client.close();
      assertThatThrownBy(() -> await(client.get("c/k"))).isInstanceOf(ClosedException.class);
    }
  }
}
