package io.baton.ha.deployment;

import static org.assertj.core.api.Assertions.assertThat;

import io.quarkus.test.QuarkusUnitTest;
import org.junit.jupiter.api.Assertions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/** A configured role that no handler bean implements is an error naming baton.roles.<name>; so is a bad standby mode. */
class RoleWithoutHandlerTest {
  @RegisterExtension
  static final QuarkusUnitTest APP = new QuarkusUnitTest()
      .withApplicationRoot(jar -> jar.addClasses(TestRoles.RootCoord.class))
      .overrideConfigKey("baton.node-id", "n1")
      .overrideConfigKey("baton.peers", Ports.singleNodePeers())
      .overrideConfigKey("baton.data-dir", "target/never-created")
      .overrideConfigKey("baton.roles.datacoord.standby-mode", "warm")
      .assertException(t -> assertThat(MissingNodeIdTest.rootMessages(t))
          .contains("baton.roles.datacoord").contains("no bean implements RoleHandler with @BatonRole(\"datacoord\")"));

  @Test
  void doesNotStart() {
    Assertions.fail("the application should not have started");
  }
}
