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

  static String singleNodePeers() {
    return "n1=127.0.0.1:" + free();
  }

  static void deleteQuietly(String dir) {
    Dirs.deleteRecursively(Path.of(dir));
  }
}
