package io.baton.ha.deployment;

import io.quarkus.test.QuarkusUnitTest;
import org.junit.jupiter.api.Assertions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/** A gRPC inbound limit too small for a put of the largest value stops start-up, naming the property. */
class SmallGrpcInboundLimitTest {
  @RegisterExtension
  static final QuarkusUnitTest APP = StartupFails.with(java.util.List.of("quarkus.grpc.server.max-inbound-message-size",
          "262144 bytes is below what a put of the largest value"),
      "baton.node-id", "n1", "baton.peers", Fixtures.singleNodePeers(),
      "quarkus.grpc.server.max-inbound-message-size", "262144");

  @Test
  void doesNotStart() {
    Assertions.fail("the application should not have started");
  }
}
