package io.baton.ha.deployment;

import io.quarkus.test.QuarkusUnitTest;
import org.junit.jupiter.api.Assertions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/** A configured role that no handler bean implements is an error naming baton.roles.<name>; so is a bad standby mode. */
class RoleWithoutHandlerTest {
  @RegisterExtension
  static final QuarkusUnitTest APP = StartupFails.with(java.util.List.of("baton.roles.datacoord", "no bean implements RoleHandler with @BatonRole(\"datacoord\")"),
      "baton.node-id", "n1", "baton.peers", Fixtures.singleNodePeers(), "baton.data-dir", "target/never-created",
      "baton.roles.datacoord.standby-mode", "warm");

  @Test
  void doesNotStart() {
    Assertions.fail("the application should not have started");
  }
}
