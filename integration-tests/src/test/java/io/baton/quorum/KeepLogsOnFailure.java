package io.baton.quorum;

import org.junit.jupiter.api.extension.AfterTestExecutionCallback;
import org.junit.jupiter.api.extension.ExtensionContext;

/**
 * Keeps the node logs of a test that failed: it runs after the test method and before its
 * {@code @AfterEach}, which closes the {@link QuorumCluster} (that would delete them otherwise).
 */
final class KeepLogsOnFailure implements AfterTestExecutionCallback {
  @Override
  public void afterTestExecution(ExtensionContext context) {
    context.getExecutionException().ifPresent(e -> QuorumCluster.testFailed());
  }
}
