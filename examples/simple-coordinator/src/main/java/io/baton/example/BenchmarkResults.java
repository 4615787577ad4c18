package io.baton.example;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.List;

/**
 * Where a benchmark leaves its raw figures when it is given {@code --results DIR} (bin/bench does,
 * and makes BENCHMARKS.md and its plots from them): tab-separated tables with a header line, and
 * {@code meta.tsv}, one {@code key<TAB>value} line per fact about the run (versions, JVMs, load).
 * Without a directory nothing is written.
 */
final class BenchmarkResults {
  private final Path dir;

  private BenchmarkResults(Path dir) {
    this.dir = dir;
  }

  /** Results kept under {@code dir} (created when missing), or none when {@code dir} is null. */
  static BenchmarkResults at(Path dir) {
    if (dir != null) {
      try {
        Files.createDirectories(dir);
      } catch (IOException e) {
        throw new UncheckedIOException("cannot create the results directory " + dir, e);
      }
    }
    return new BenchmarkResults(dir);
  }

  /** Writes (replaces) {@code name}: the header, then one line per row; fields are joined with tabs. */
  void table(String name, List<String> header, List<List<?>> rows) {
    if (dir == null) {
      return;
    }
    final StringBuilder out = new StringBuilder(String.join("\t", header)).append('\n');
    for (List<?> row : rows) {
      if (row.size() != header.size()) {
        throw new IllegalArgumentException(name + ": a row of " + row.size() + " fields under a header of "
            + header.size());
      }
      for (int i = 0; i < row.size(); i++) {
        final String field = String.valueOf(row.get(i));
        if (field.indexOf('\t') >= 0 || field.indexOf('\n') >= 0) {
          throw new IllegalArgumentException(name + ": a field holds a tab or a line break: " + field);
        }
        out.append(i == 0 ? "" : "\t").append(field);
      }
      out.append('\n');
    }
    write(name, out.toString(), false);
  }

  /** Adds a fact about the run to {@code meta.tsv} (later lines with the same key win). */
  void meta(String key, String value) {
    if (dir == null) {
      return;
    }
    write("meta.tsv", key + "\t" + value.replace('\t', ' ').replace('\n', ' ') + "\n", true);
  }

  /** Writes (replaces) a text file of free-form lines, e.g. a benchmark's notes. */
  void lines(String name, List<String> lines) {
    if (dir != null) {
      write(name, lines.isEmpty() ? "" : String.join("\n", lines) + "\n", false);
    }
  }

  private void write(String name, String text, boolean append) {
    try {
      Files.writeString(dir.resolve(name), text, StandardCharsets.UTF_8, StandardOpenOption.CREATE,
          append ? StandardOpenOption.APPEND : StandardOpenOption.TRUNCATE_EXISTING, StandardOpenOption.WRITE);
    } catch (IOException e) {
      throw new UncheckedIOException("cannot write " + dir.resolve(name), e);
    }
  }

  /** The first line of {@code java -version} of the given java command, e.g. for the nodes' JVM. */
  static String javaVersion(String java) {
    try {
      final Process p = new ProcessBuilder(java, "-version").redirectErrorStream(true).start();
      final String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
      p.waitFor();
      return out.lines().filter(l -> l.contains("version")).findFirst().orElse(java).trim();
    } catch (IOException e) {
      return java + " (version unknown: " + e.getMessage() + ")";
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      return java + " (version unknown)";
    }
  }
}
