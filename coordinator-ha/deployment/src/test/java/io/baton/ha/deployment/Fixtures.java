package io.baton.ha.deployment;

import io.baton.testkit.Dirs;
import io.baton.testkit.Ports;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;

/** Free ports and temp directories for extension tests. */
final class Fixtures {
  private Fixtures() {
  }

  static int free() {
    return Ports.free();
  }

  static String tempDir() {
    try {
      return Files.createTempDirectory("baton-ext-").toString();
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  /**
   * The value stored under {@code key}, made by {@code make} the first time. A QuarkusUnitTest
   * class is initialized twice (by JUnit, and again in the application's class loader), so a
   * static field that must be the same in both (a port, a directory of files the application was
   * configured with) is made once here; system properties are what both class loaders share.
   */
  static String once(String key, java.util.function.Supplier<String> make) {
    synchronized (System.getProperties()) {
      final String name = "test-fixture." + key; // not under baton. or quarkus.: those are checked as configuration
      String value = System.getProperty(name);
      if (value == null) {
        value = make.get();
        System.setProperty(name, value);
      }
      return value;
    }
  }

  static String singleNodePeers() {
    return "n1=127.0.0.1:" + free();
  }

  static void deleteQuietly(String dir) {
    Dirs.deleteRecursively(Path.of(dir));
  }
}
