package io.baton.ha.deployment;

import io.quarkus.test.QuarkusUnitTest;
import org.junit.jupiter.api.Assertions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/** Without baton.node-id the application does not start, and the error names the property. */
class MissingNodeIdTest {
  @RegisterExtension
  static final QuarkusUnitTest APP = StartupFails.with(java.util.List.of("baton.node-id"),
      "baton.peers", Fixtures.singleNodePeers());

  @Test
  void doesNotStart() {
    Assertions.fail("the application should not have started");
  }
}
