package io.baton.ha.deployment;

import io.quarkus.test.QuarkusUnitTest;
import org.junit.jupiter.api.Assertions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/** An unknown standby mode stops start-up; the error names the property and the bad value. */
class BadStandbyModeTest {
  @RegisterExtension
  static final QuarkusUnitTest APP = StartupFails.with(java.util.List.of("baton.roles.rootcoord.standby-mode", "lukewarm"),
      "baton.node-id", "n1", "baton.peers", Fixtures.singleNodePeers(),
      "baton.roles.rootcoord.standby-mode", "lukewarm");

  @Test
  void doesNotStart() {
    Assertions.fail("the application should not have started");
  }
}
