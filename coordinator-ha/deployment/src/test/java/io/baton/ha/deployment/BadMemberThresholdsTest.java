package io.baton.ha.deployment;

import static org.assertj.core.api.Assertions.assertThat;

import io.quarkus.test.QuarkusUnitTest;
import org.junit.jupiter.api.Assertions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/** down-after not above suspect-after stops start-up with an error naming both properties. */
class BadMemberThresholdsTest {
  @RegisterExtension
  static final QuarkusUnitTest APP = new QuarkusUnitTest()
      .withApplicationRoot(jar -> jar.addClasses(TestRoles.RootCoord.class))
      .overrideConfigKey("baton.node-id", "n1")
      .overrideConfigKey("baton.peers", Ports.singleNodePeers())
      .overrideConfigKey("baton.data-dir", "target/never-created")
      .overrideConfigKey("baton.members.suspect-after", "5s")
      .overrideConfigKey("baton.members.down-after", "2s")
      .assertException(t -> assertThat(MissingNodeIdTest.rootMessages(t))
          .contains("baton.members.down-after").contains("baton.members.suspect-after"));

  @Test
  void doesNotStart() {
    Assertions.fail("the application should not have started");
  }
}
