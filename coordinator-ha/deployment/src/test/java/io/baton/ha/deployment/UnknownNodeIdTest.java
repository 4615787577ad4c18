package io.baton.ha.deployment;

import io.quarkus.test.QuarkusUnitTest;
import org.junit.jupiter.api.Assertions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/** A node id that is not among the peers stops start-up with an error naming baton.node-id. */
class UnknownNodeIdTest {
  @RegisterExtension
  static final QuarkusUnitTest APP = StartupFails.with(java.util.List.of("invalid Baton configuration, baton.node-id", "'n7' is not among the peers"),
      "baton.node-id", "n7", "baton.peers", Fixtures.singleNodePeers(), "baton.data-dir", "target/never-created");

  @Test
  void doesNotStart() {
    Assertions.fail("the application should not have started");
  }
}
