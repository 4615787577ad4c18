package io.baton.ha.deployment;

import io.quarkus.test.QuarkusUnitTest;
import org.junit.jupiter.api.Assertions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/** The etcd backend without endpoints stops start-up, naming the property. */
class EtcdWithoutEndpointsTest {
  @RegisterExtension
  static final QuarkusUnitTest APP = StartupFails.with(java.util.List.of("baton.etcd.endpoints", "required with baton.backend=etcd"),
      "baton.node-id", "n1", "baton.backend", "etcd");

  @Test
  void doesNotStart() {
    Assertions.fail("the application should not have started");
  }
}
