package io.baton.ha.deployment;

import static org.assertj.core.api.Assertions.assertThat;

import io.quarkus.test.QuarkusUnitTest;
import org.junit.jupiter.api.Assertions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/** Spread placement with a session TTL below the minimum stops start-up, naming the property. */
class BadSessionTtlTest {
  @RegisterExtension
  static final QuarkusUnitTest APP = new QuarkusUnitTest()
      .withApplicationRoot(jar -> jar.addClasses(TestRoles.RootCoord.class))
      .overrideConfigKey("baton.node-id", "n1")
      .overrideConfigKey("baton.peers", Ports.singleNodePeers())
      .overrideConfigKey("baton.placement", "spread")
      .overrideConfigKey("baton.spread.session-ttl", "100ms")
      .assertException(t -> assertThat(MissingNodeIdTest.rootMessages(t))
          .contains("baton.spread.session-ttl").contains("below the minimum of 200 ms"));

  @Test
  void doesNotStart() {
    Assertions.fail("the application should not have started");
  }
}
