package io.baton.ha.deployment;

import io.quarkus.test.QuarkusUnitTest;
import org.junit.jupiter.api.Assertions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/** down-after not above suspect-after stops start-up with an error naming both properties. */
class BadMemberThresholdsTest {
  @RegisterExtension
  static final QuarkusUnitTest APP = StartupFails.with(java.util.List.of("baton.members.down-after", "baton.members.suspect-after"),
      "baton.node-id", "n1", "baton.peers", Fixtures.singleNodePeers(), "baton.data-dir", "target/never-created",
      "baton.members.suspect-after", "5s", "baton.members.down-after", "2s");

  @Test
  void doesNotStart() {
    Assertions.fail("the application should not have started");
  }
}
