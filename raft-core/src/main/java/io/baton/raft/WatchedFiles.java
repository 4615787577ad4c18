package io.baton.raft;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Optional;

/**
 * Small files (certificates, keys, token lists) read again when their content changes: each check
 * reads them whole and compares the bytes with those last seen, so a rewrite is noticed whatever
 * the file system's time resolution and even at the same size. [Thread-safe]
 */
public final class WatchedFiles {
  private final List<Path> files;
  private List<byte[]> seen;

  public WatchedFiles(List<Path> files) {
    this.files = List.copyOf(files);
  }

  public List<Path> files() {
    return files;
  }

  /**
   * The files' contents when they differ from those last seen (always on the first call), else
   * empty; the contents returned count as seen from then on, whether or not they could be used.
   *
   * @throws IOException when a file cannot be read (nothing counts as seen then)
   */
  public synchronized Optional<List<byte[]>> changes() throws IOException {
    final List<byte[]> now = new ArrayList<>(files.size());
    for (Path f : files) {
      now.add(Files.readAllBytes(f));
    }
    if (seen != null && sameAs(now)) {
      return Optional.empty();
    }
    seen = now;
    return Optional.of(now);
  }

  private boolean sameAs(List<byte[]> now) {
    for (int i = 0; i < now.size(); i++) {
      if (!Arrays.equals(now.get(i), seen.get(i))) {
        return false;
      }
    }
    return true;
  }
}
