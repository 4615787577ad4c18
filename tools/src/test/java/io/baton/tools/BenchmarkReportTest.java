package io.baton.tools;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.awt.image.BufferedImage;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import javax.imageio.ImageIO;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class BenchmarkReportTest {
  @TempDir
  Path dir;

  @Test
  void reportsEachPointWithItsRatioAndWhetherTheTargetWasMet() throws IOException {
    final Path results = Files.createDirectories(dir.resolve("results"));
    Files.writeString(results.resolve("kv.tsv"), """
        system\tpoint\tops\tseconds\terrors\tops_per_s\tp50_ms\tp99_ms\tp99.9_ms
        etcd\tput:1\t1000\t10\t0\t100.000\t1.000\t2.000\t3.000
        etcd\tput:64\t10000\t10\t0\t1000.000\t10.000\t20.000\t30.000
        etcd\tstale-get:64\t10000\t10\t0\t1000.000\t1.000\t2.000\t3.000
        baton\tput:1\t900\t10\t0\t90.000\t1.100\t1.900\t5.000
        baton\tput:64\t12000\t10\t2\t1200.000\t9.000\t25.000\t40.000
        baton\tstale-get:64\t25000\t10\t0\t2500.000\t0.500\t1.000\t2.000
        """);
    final StringBuilder cdf = new StringBuilder("system\tpoint\tpercentile\tlatency_ms\n");
    for (String system : List.of("etcd", "baton")) {
      for (int p = 1; p <= 100; p++) {
        cdf.append(system).append("\tput:64\t").append(p).append('\t').append(p / 10.0).append('\n');
      }
    }
    Files.writeString(results.resolve("kv-cdf.tsv"), cdf);
    final StringBuilder takeover = new StringBuilder("case\tround\tms\n");
    for (int round = 1; round <= 30; round++) {
      takeover.append("kill\t").append(round).append('\t').append(200 + round * 10).append('\n');
      takeover.append("term\t").append(round).append('\t').append(100 + round).append('\n');
    }
    Files.writeString(results.resolve("takeover.tsv"), takeover);
    Files.writeString(results.resolve("takeover-notes.txt"), "kill, median round (360 ms, new active n2): detected +90 ms\n");
    Files.writeString(results.resolve("restart.tsv"), """
        setup\trestart\tstarted_ms\tcaught_up_ms
        jdk25+aot\t1\t450\t700
        jdk25+aot\t2\t520\t900
        jdk25+aot\t3\t480\t800
        """);
    Files.writeString(results.resolve("meta.tsv"), "etcd.version\tetcd Version: 3.4.23\nkv.points\t[put:1], 10 s each\n");
    final Path out = dir.resolve("BENCHMARKS.md");
    final Path images = dir.resolve("docs/benchmarks");

    new BenchmarkReport(results, out, images, null, "bin/bench", false).write();

    final String md = Files.readString(out);
    assertThat(md).contains("| cores | ").contains("etcd Version: 3.4.23");
    // put:1: Baton's p99 1.9 ≤ etcd's 2.0; put:64: 1.2 × etcd misses 1.5 ×; stale gets: 2.5 × meets 2 ×
    assertThat(md).contains("| put:1 | 100 | 1.00 / 2.00 / 3.00 | 90 | 1.10 / 1.90 / 5.00 | 0.90 | p99 ≤ etcd's | yes |");
    assertThat(md).contains("| put:64 | 1000 | 10.00 / 20.00 / 30.00 | 1200 | 9.00 / 25.00 / 40.00 | 1.20 | ≥ 1.5 × etcd"
        + " | **no** |");
    assertThat(md).contains("| stale-get:64 | 1000 |").contains("| 2.50 | ≥ 2 × etcd | yes |");
    assertThat(md).contains("Errors (requests that failed; not counted in ops/s): baton put:64 2.");
    // kill: p50 is the 15th of 210..500 = 350 > 300; term: p99 = 130 ≤ 200
    assertThat(md).contains("| kill | 30 | 350 | 500 | 500 | p50 ≤ 300, p99 ≤ 800 | **no** |");
    assertThat(md).contains("| term | 30 | 115 | 130 | 130 | p99 ≤ 200 | yes |");
    assertThat(md).contains("- kill, median round (360 ms, new active n2): detected +90 ms");
    assertThat(md).contains("| jdk25+aot | - | 3 | 480 / 520 | 800 / 900 | started p50 ≤ 500, caught up p50 ≤ 1000 | yes |");
    // images: linked relative to the report, and real PNGs
    final List<String> links = new ArrayList<>();
    md.lines().filter(l -> l.startsWith("![")).forEach(l -> links.add(l.substring(l.indexOf("](") + 2, l.length() - 1)));
    assertThat(links).contains("docs/benchmarks/kv-throughput.png", "docs/benchmarks/kv-cdf-put-64.png",
        "docs/benchmarks/takeover-kill.png", "docs/benchmarks/takeover-term.png")
        .doesNotContain("docs/benchmarks/kv-cdf-put-1.png"); // no quantiles for it: no plot, no link
    for (String link : links) {
      final BufferedImage image = ImageIO.read(dir.resolve(link).toFile());
      assertThat(image).as(link).isNotNull();
      assertThat(image.getWidth()).isEqualTo(800);
    }
  }

  @Test
  void saysWhatWasNotRunAndRefusesAMalformedTable() throws IOException {
    final Path results = Files.createDirectories(dir.resolve("results"));
    final Path out = dir.resolve("BENCHMARKS.md");
    new BenchmarkReport(results, out, dir.resolve("img"), null, "bin/bench --quick", true).write();
    assertThat(Files.readString(out)).contains("**a --quick run**").contains("Not run (no kv.tsv)")
        .contains("Not run (no takeover.tsv)").contains("Not run (no restart.tsv)");

    Files.writeString(results.resolve("restart.tsv"), "setup\trestart\tstarted_ms\tcaught_up_ms\njdk17\t1\t900\n");
    assertThatThrownBy(() -> new BenchmarkReport(results, out, dir.resolve("img"), null, "bin/bench", false).write())
        .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("restart.tsv: a line of 3 fields");
  }
}
