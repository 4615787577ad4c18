package io.baton.ha.deployment;

import static org.assertj.core.api.Assertions.assertThat;

import io.quarkus.test.QuarkusUnitTest;
import org.junit.jupiter.api.Assertions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/** A node id that is not among the peers stops start-up with an error naming baton.node-id. */
class UnknownNodeIdTest {
  @RegisterExtension
  static final QuarkusUnitTest APP = new QuarkusUnitTest()
      .withApplicationRoot(jar -> jar.addClasses(TestRoles.RootCoord.class))
      .overrideConfigKey("baton.node-id", "n7")
      .overrideConfigKey("baton.peers", Ports.singleNodePeers())
      .overrideConfigKey("baton.data-dir", "target/never-created")
      .assertException(t -> assertThat(MissingNodeIdTest.rootMessages(t))
          .contains("invalid Baton configuration, baton.node-id").contains("'n7' is not among the peers"));

  @Test
  void doesNotStart() {
    Assertions.fail("the application should not have started");
  }
}
