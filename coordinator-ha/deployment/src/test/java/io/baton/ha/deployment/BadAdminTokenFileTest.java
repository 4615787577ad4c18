package io.baton.ha.deployment;

import io.quarkus.test.QuarkusUnitTest;
import org.junit.jupiter.api.Assertions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/** A token file that cannot be read stops start-up, naming the property and the file. */
class BadAdminTokenFileTest {
  @RegisterExtension
  static final QuarkusUnitTest APP = StartupFails.with(
      java.util.List.of("baton.admin.token-file", "cannot read token file", "no-such-tokens"),
      "baton.admin.token-file", "target/no-such-tokens", "baton.node-id", "n1", "baton.peers",
      Fixtures.singleNodePeers(), "baton.data-dir", "target/never-created");

  @Test
  void doesNotStart() {
    Assertions.fail("the application should not have started");
  }
}
