package io.baton.ha;

import io.baton.raft.RaftNode;
import io.baton.raft.TestCluster;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Timeout;

/** The role contract on the Ratis backend (leader placement): a 3-node cluster in this JVM. */
@Timeout(value = 90, unit = TimeUnit.SECONDS)
class RatisRoleContractTest extends RoleContract {
  private TestCluster cluster;

  @Override
  protected List<String> startBackend() {
    cluster = new TestCluster(3).start();
    return cluster.running().stream().map(RaftNode::nodeId).toList();
  }

  @Override
  protected RoleManager newManager(String id, List<RoleManager.RoleSpec> roles) {
    final RaftNode node = cluster.node(id);
    return new RoleManager(node, roles, executor, RoleManager.defaultCheckInterval(node));
  }

  @Override
  protected void crash(String id) {
    cluster.crash(id);
  }

  @Override
  protected void stopBackend() {
    if (cluster != null) {
      cluster.close();
    }
  }

  @Override
  protected Duration takeoverWithin() {
    return Duration.ofSeconds(15);
  }
}
