package io.baton.ha.deployment;

import static org.assertj.core.api.Assertions.assertThat;

import io.quarkus.test.QuarkusUnitTest;
import org.junit.jupiter.api.Assertions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/** An unknown standby mode stops start-up; the error names the property and the bad value. */
class BadStandbyModeTest {
  @RegisterExtension
  static final QuarkusUnitTest APP = new QuarkusUnitTest()
      .withApplicationRoot(jar -> jar.addClasses(TestRoles.RootCoord.class))
      .overrideConfigKey("baton.node-id", "n1")
      .overrideConfigKey("baton.peers", Ports.singleNodePeers())
      .overrideConfigKey("baton.roles.rootcoord.standby-mode", "lukewarm")
      .assertException(t -> assertThat(MissingNodeIdTest.rootMessages(t))
          .contains("baton.roles.rootcoord.standby-mode").contains("lukewarm"));

  @Test
  void doesNotStart() {
    Assertions.fail("the application should not have started");
  }
}
