package io.baton.raft;

import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Timeout;

/** The MetadataStore contract on the Ratis backend: a 3-node cluster, used through a follower. */
@Timeout(value = 60, unit = TimeUnit.SECONDS)
class RatisMetadataStoreContractTest extends MetadataStoreContract {
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
}
