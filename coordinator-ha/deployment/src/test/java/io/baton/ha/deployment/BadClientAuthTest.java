package io.baton.ha.deployment;

import io.quarkus.test.QuarkusUnitTest;
import org.junit.jupiter.api.Assertions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/** An unknown client-certificate mode stops start-up; the error names the property, the value and the accepted ones. */
class BadClientAuthTest {
  @RegisterExtension
  static final QuarkusUnitTest APP = StartupFails.with(java.util.List.of("baton.http.client-auth", "maybe", "required"),
      "baton.node-id", "n1", "baton.peers", Fixtures.singleNodePeers(),
      "baton.http.client-auth", "maybe");

  @Test
  void doesNotStart() {
    Assertions.fail("the application should not have started");
  }
}
