package io.baton.example;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.TimeUnit;

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

  /**
   * The first line of a command's output that names a version, e.g. of {@code java -version} for
   * the nodes' JVM or {@code etcd --version}; what went wrong instead when it cannot be read.
   */
  static String versionOf(String... command) {
    try {
      final Process p = new ProcessBuilder(command).redirectErrorStream(true).start();
      final String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
      p.waitFor(10, TimeUnit.SECONDS);
      return out.lines().filter(l -> l.toLowerCase(Locale.ROOT).contains("version")).findFirst()
          .orElse(String.join(" ", command) + " printed no version").trim();
    } catch (IOException e) {
      return command[0] + " (version unknown: " + e.getMessage() + ")";
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      return command[0] + " (version unknown)";
    }
  }

  /** The nearest-rank percentile of sorted values (p50 of 30 is the 15th, p99 the 30th), as bin/bench's report. */
  static <T> T nearestRank(List<T> sorted, double p) {
    final int rank = (int) Math.ceil(p / 100.0 * sorted.size());
    return sorted.get(Math.max(0, Math.min(sorted.size(), rank) - 1));
  }
}
