package io.baton.ha;

import java.time.Duration;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Timeout;

/** The role and member contract on the Ratis backend (three nodes in this JVM), spread placement, session TTL 2 s. */
@Timeout(value = 90, unit = TimeUnit.SECONDS)
class RatisSpreadRoleContractTest extends RoleContract {
  @Override
  protected BackendFixture fixture() {
    return BackendFixture.ratis();
  }

  @Override
  protected Placement placement() {
    return Placement.spread(Duration.ofSeconds(2), Duration.ZERO);
  }
}
