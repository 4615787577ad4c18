package io.baton.ha;

import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Timeout;

/** The role and member contract on the Ratis backend (three nodes in this JVM), leader placement. */
@Timeout(value = 90, unit = TimeUnit.SECONDS)
class RatisLeaderRoleContractTest extends RoleContract {
  @Override
  protected BackendFixture fixture() {
    return BackendFixture.ratis();
  }

  @Override
  protected Placement placement() {
    return Placement.leader();
  }
}
