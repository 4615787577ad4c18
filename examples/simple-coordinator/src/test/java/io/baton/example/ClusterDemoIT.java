package io.baton.example;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * Runs the README's first command's program against the packaged application: three service
 * processes, kill -9 of the active node, both roles taken over by another node with a higher
 * epoch, the killed node back as standby. ClusterDemo stops its processes even when this fails.
 */
@Timeout(value = 240, unit = TimeUnit.SECONDS)
class ClusterDemoIT {
  private static String run(String... args) throws Exception {
    final PrintStream original = System.out;
    final ByteArrayOutputStream captured = new ByteArrayOutputStream();
    System.setOut(new PrintStream(captured, true, StandardCharsets.UTF_8));
    try {
      ClusterDemo.main(args);
    } finally {
      System.setOut(original);
      original.print(captured.toString(StandardCharsets.UTF_8)); // also when it failed: what it saw
    }
    return captured.toString(StandardCharsets.UTF_8);
  }

  private static void assertEpochsGrow(String out) {
    final var m = java.util.regex.Pattern.compile("epoch (\\d+) -> (\\d+)").matcher(out);
    while (m.find()) {
      assertThat(Long.parseLong(m.group(2))).as("the new epoch is higher").isGreaterThan(Long.parseLong(m.group(1)));
    }
  }

  @Test
  void rolesAreTakenOverAfterKillMinusNine() throws Exception {
    final String out = run("--rounds", "2");
    assertThat(out).contains("rootcoord is active on", "querycoord is active on")
        .containsPattern("round 1: rootcoord taken over by n\\d, onActive returned \\d+ ms after the kill .*"
            + "epoch (\\d+) -> (\\d+) \\(HOT standby\\)")
        .containsPattern("round 2: querycoord taken over by n\\d, onActive returned \\d+ ms after the kill .*"
            + "epoch \\d+ -> \\d+ \\(WARM standby\\)")
        .contains("restarted and has joined every role")
        .contains("Takeover (kill -9 of the active -> the new active's onActive returned), over 2 rounds");
    assertEpochsGrow(out);
  }

  /** Spread placement on real processes: the dead node's role moves once its session expires. */
  @Test
  void spreadRolesMoveOffAKilledNode() throws Exception {
    final String out = run("--rounds", "1", "--placement", "spread");
    assertThat(out).contains("placement spread")
        .containsPattern("round 1: rootcoord taken over by n\\d, onActive returned \\d+ ms after the kill .*"
            + "epoch (\\d+) -> (\\d+) \\(HOT standby\\)")
        .contains("restarted and has joined every role");
    assertEpochsGrow(out);
  }

  /** The etcd backend on real processes: a local 3-member etcd cluster, the role moves after the lease expires. */
  @Test
  void etcdBackendRolesMoveOffAKilledNode() throws Exception {
    final String out = run("--rounds", "1", "--etcd", "2s");
    assertThat(out).contains("etcd backend")
        .containsPattern("round 1: rootcoord taken over by n\\d, onActive returned \\d+ ms after the kill .*"
            + "epoch (\\d+) -> (\\d+) \\(HOT standby\\)")
        .contains("restarted and has joined every role");
    assertEpochsGrow(out);
  }
}
