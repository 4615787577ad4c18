package io.baton.ha.deployment;

import java.io.IOException;
import java.io.UncheckedIOException;
import io.baton.raft.tools.LocalCluster;
import java.nio.file.Files;
import java.nio.file.Path;

/** Free ports and temp directories for extension tests. */
final class Ports {
  private Ports() {
  }

  static int free() {
    return LocalCluster.freePort();
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
    LocalCluster.deleteRecursively(Path.of(dir));
  }
}
