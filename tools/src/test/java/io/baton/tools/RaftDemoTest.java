package io.baton.tools;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * Runs the README's first command's program: three node processes, kill -9 of the leader, a new
 * leader with a higher epoch, every acknowledged key still there (the demo throws otherwise), and
 * the killed node back from its disk. LocalCluster kills its processes even when this fails.
 */
@Timeout(value = 120, unit = TimeUnit.SECONDS)
class RaftDemoTest {
  @Test
  void demoFailsOverAfterKillMinusNine() throws Exception {
    final PrintStream original = System.out;
    final ByteArrayOutputStream captured = new ByteArrayOutputStream();
    System.setOut(new PrintStream(captured, true, StandardCharsets.UTF_8));
    try {
      RaftDemo.main(new String[] {"--rounds", "2"});
    } finally {
      System.setOut(original);
    }
    final String out = captured.toString(StandardCharsets.UTF_8);
    original.print(out);
    assertThat(out).contains("round 1: kill -9", "round 2: kill -9")
        .contains("all 100 acknowledged keys are there", "all 200 acknowledged keys are there")
        .contains("restarted from its disk and caught up")
        .contains("Failover over 2 kill -9 rounds");
    final java.util.regex.Matcher epochs = java.util.regex.Pattern
        .compile("round \\d: new leader n\\d \\(epoch (\\d+)\\)").matcher(out);
    final java.util.List<Long> seen = new java.util.ArrayList<>();
    while (epochs.find()) {
      seen.add(Long.parseLong(epochs.group(1)));
    }
    assertThat(seen).hasSize(2);
    assertThat(seen.get(1)).as("each takeover has a higher epoch").isGreaterThan(seen.get(0));
  }
}
