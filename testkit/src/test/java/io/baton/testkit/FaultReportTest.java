package io.baton.testkit;

import static org.assertj.core.api.Assertions.assertThat;

import io.vertx.core.json.JsonObject;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class FaultReportTest {
  @Test
  void nearestRankPercentiles() {
    final List<Long> values = List.of(5L, 1L, 4L, 2L, 3L);
    assertThat(FaultReport.percentile(values, 50)).isEqualTo(3);
    assertThat(FaultReport.percentile(values, 99)).isEqualTo(5);
    assertThat(FaultReport.percentile(values, 100)).isEqualTo(5);
    assertThat(FaultReport.percentile(values, 20)).isEqualTo(1);
    assertThat(FaultReport.percentile(List.of(), 50)).isEqualTo(-1);
  }

  @Test
  void summarizesFaultsTakeoversHistoriesAndViolationsAndRewritesItsFiles(@TempDir Path dir) throws Exception {
    final FaultReport report = new FaultReport("soak", dir);
    report.fact("seed", 7);
    report.add(new FaultReport.Fault("kill", "leader", "n1", 400, 450, 100, "LINEARIZABLE"));
    report.add(new FaultReport.Fault("kill", "leader", "n2", 600, 650, 120, "LINEARIZABLE"));
    report.add(new FaultReport.Fault("pause-100ms", "leader", "n3", -1, 0, 0, "-"));

    JsonObject json = new JsonObject(Files.readString(dir.resolve("soak.json")));
    assertThat(json.getInteger("faultsInjected")).isEqualTo(3);
    assertThat(json.getJsonObject("faultsByKind").getInteger("kill")).isEqualTo(2);
    assertThat(json.getJsonObject("takeoverMs").getInteger("count")).isEqualTo(2); // the pause caused none
    assertThat(json.getJsonObject("takeoverMs").getLong("p50")).isEqualTo(400);
    assertThat(json.getJsonObject("takeoverMs").getLong("max")).isEqualTo(600);
    assertThat(json.getLong("historiesChecked")).isEqualTo(2);
    assertThat(json.getLong("operationsChecked")).isEqualTo(220);
    assertThat(json.getJsonArray("violations")).isEmpty();
    assertThat(json.getJsonObject("facts").getString("seed")).isEqualTo("7");

    report.violation("two nodes ACTIVE for rootcoord with epoch 4: n1 and n2");
    json = new JsonObject(Files.readString(dir.resolve("soak.json")));
    assertThat(json.getJsonArray("violations")).hasSize(1);
    assertThat(Files.readString(dir.resolve("soak.txt")))
        .contains("faults injected: 3")
        .contains("p50 400 ms, p99 600 ms, max 600 ms")
        .contains("histories checked: 2, operations checked: 220, not linearizable: 0")
        .contains("violations: 1\n  two nodes ACTIVE for rootcoord with epoch 4: n1 and n2");
  }
}
