package io.baton.ha;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.baton.testkit.TestCluster;
import io.baton.testkit.Timing;
import java.nio.file.Path;
import java.time.Duration;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/** The backend's status says it rehearses from the call until the practice cluster is gone. */
@Timeout(value = 90, unit = TimeUnit.SECONDS)
class RatisBackendRehearsalTest {
  @TempDir
  Path tmp;

  @Test
  void theStatusShowsTheRehearsalUntilItEndsAndItRunsOnce() {
    try (TestCluster cluster = new TestCluster(1).start()) {
      final RatisBackend backend = new RatisBackend(cluster.running().get(0));
      assertThat(backend.raftStatus().orElseThrow().rehearsing()).isFalse();
      final Path dir = tmp.resolve("n1.rehearsal");
      backend.rehearse(dir);
      assertThat(backend.raftStatus().orElseThrow().rehearsing()).as("from the call on").isTrue();
      assertThatThrownBy(() -> backend.rehearse(dir)).isInstanceOf(IllegalStateException.class)
          .hasMessageContaining("once");
      Timing.waitUntil("the rehearsal's end", Duration.ofSeconds(60),
          () -> !backend.raftStatus().orElseThrow().rehearsing());
      assertThat(dir).doesNotExist();
    }
  }

  @Test
  void closingTheBackendStopsARunningRehearsal() {
    final TestCluster cluster = new TestCluster(1).start();
    try {
      final RatisBackend backend = new RatisBackend(cluster.running().get(0));
      final Path dir = tmp.resolve("n1.rehearsal");
      backend.rehearse(dir);
      backend.close(); // waits for the rehearsal to delete its storage
      assertThat(dir).doesNotExist();
      Timing.waitUntil("the rehearsal's end", Duration.ofSeconds(30),
          () -> Thread.getAllStackTraces().keySet().stream().noneMatch(t -> t.getName().equals("baton-rehearsal")));
    } finally {
      cluster.close();
    }
  }
}
