package io.baton.testkit;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Comparator;

/** Directories that tests create and must remove whatever happens. */
public final class Dirs {
  private Dirs() {
  }

  /**
   * A test's tear-down: closes {@code resource} (the node processes that use {@code dir}, say) if
   * there is one, then deletes {@code dir} if there is one, also when closing failed.
   */
  public static void closeThenDelete(AutoCloseable resource, Path dir) {
    try {
      if (resource != null) {
        resource.close();
      }
    } catch (Exception e) {
      throw new IllegalStateException("closing " + resource + " failed (" + dir + " is deleted anyway)", e);
    } finally {
      deleteRecursively(dir);
    }
  }

  /** Deletes a directory tree, best effort (files may vanish meanwhile). */
  public static void deleteRecursively(Path dir) {
    if (dir == null || !Files.exists(dir)) {
      return;
    }
    try (var walk = Files.walk(dir)) {
      walk.sorted(Comparator.reverseOrder()).forEach(p -> {
        try {
          Files.deleteIfExists(p);
        } catch (IOException e) {
          // best effort
        }
      });
    } catch (IOException | UncheckedIOException e) {
      // best effort
    }
  }
}
