package io.baton.ha.deployment;

import io.quarkus.test.QuarkusUnitTest;
import org.junit.jupiter.api.Assertions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/** Spread placement with a session TTL below the minimum stops start-up, naming the property. */
class BadSessionTtlTest {
  @RegisterExtension
  static final QuarkusUnitTest APP = StartupFails.with(java.util.List.of("baton.spread.session-ttl", "below the minimum of 200 ms"),
      "baton.node-id", "n1", "baton.peers", Fixtures.singleNodePeers(), "baton.placement", "spread",
      "baton.spread.session-ttl", "100ms");

  @Test
  void doesNotStart() {
    Assertions.fail("the application should not have started");
  }
}
