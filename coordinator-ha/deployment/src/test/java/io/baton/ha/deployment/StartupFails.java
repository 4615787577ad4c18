package io.baton.ha.deployment;

import static org.assertj.core.api.Assertions.assertThat;

import io.quarkus.test.QuarkusUnitTest;
import java.util.List;

/** The shape of every bad-configuration test: a one-role application that must not start. */
final class StartupFails {
  private StartupFails() {
  }

  /**
   * An application with the rootcoord test role and {@code keyValues} (key, value, key, value…)
   * as its configuration, whose start-up must fail with an error whose messages (the whole cause
   * chain) contain every one of {@code expected}.
   */
  static QuarkusUnitTest with(List<String> expected, String... keyValues) {
    if (keyValues.length % 2 != 0) {
      throw new IllegalArgumentException("keyValues come in pairs");
    }
    QuarkusUnitTest app = new QuarkusUnitTest().withApplicationRoot(jar -> jar.addClasses(TestRoles.RootCoord.class));
    for (int i = 0; i < keyValues.length; i += 2) {
      app = app.overrideConfigKey(keyValues[i], keyValues[i + 1]);
    }
    return app.assertException(t -> assertThat(messages(t)).contains(expected));
  }

  /** Every message of {@code t}'s cause chain, one per line. */
  static String messages(Throwable t) {
    final StringBuilder b = new StringBuilder();
    for (Throwable c = t; c != null; c = c.getCause()) {
      b.append(c.getMessage()).append('\n');
    }
    return b.toString();
  }
}
