package io.baton.ha.deployment;

import io.quarkus.test.QuarkusUnitTest;
import org.junit.jupiter.api.Assertions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/** A boolean property with a value that is neither true nor false stops start-up, naming the property (not read as false). */
class InvalidBooleanTest {
  @RegisterExtension
  static final QuarkusUnitTest APP = StartupFails.with(java.util.List.of("baton.etcd-api.enabled", "use true or false"),
      "baton.etcd-api.enabled", "maybe", "baton.node-id", "n1", "baton.peers", Fixtures.singleNodePeers(),
      "baton.data-dir", "target/never-created");

  @Test
  void doesNotStart() {
    Assertions.fail("the application should not have started");
  }
}
