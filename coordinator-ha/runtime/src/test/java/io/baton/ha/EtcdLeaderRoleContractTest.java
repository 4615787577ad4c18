package io.baton.ha;

import io.baton.testkit.EtcdCluster;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.RegisterExtension;

/** The role and member contract on the etcd backend (a real 3-member etcd cluster), leader placement. */
@Timeout(value = 180, unit = TimeUnit.SECONDS)
class EtcdLeaderRoleContractTest extends RoleContract {
  @RegisterExtension
  static final EtcdCluster ETCD = new EtcdCluster(3);

  @Override
  protected BackendFixture fixture() {
    return BackendFixture.etcd(ETCD);
  }

  @Override
  protected Placement placement() {
    return Placement.leader();
  }
}
