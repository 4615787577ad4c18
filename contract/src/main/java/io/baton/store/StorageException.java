package io.baton.store;

import java.nio.file.Path;

/**
 * The storage directory is unusable, or a snapshot or log file in it is corrupt. The node refuses
 * to start rather than start empty; {@link #file()} names what to inspect.
 */
public final class StorageException extends BatonException {
  private final Path file;

  public StorageException(Path file, String message, Throwable cause) {
    super(message + " (" + file + ")", cause);
    this.file = file;
  }

  /** The file or directory at fault. */
  public Path file() {
    return file;
  }

  @Override
  public boolean isRetryable() {
    return false;
  }
}
