package io.baton.ha;

import io.baton.testkit.EtcdCluster;
import java.time.Duration;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.RegisterExtension;

/** The role and member contract on the etcd backend (a real 3-member etcd cluster), spread placement, session TTL 2 s. */
@Timeout(value = 180, unit = TimeUnit.SECONDS)
class EtcdSpreadRoleContractTest extends RoleContract {
  @RegisterExtension
  static final EtcdCluster ETCD = new EtcdCluster(3);

  @Override
  protected BackendFixture fixture() {
    return BackendFixture.etcd(ETCD);
  }

  @Override
  protected Placement placement() {
    return Placement.spread(Duration.ofSeconds(2), Duration.ZERO);
  }
}
