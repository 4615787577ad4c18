package io.baton.raft;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.concurrent.CancellationException;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * The practice cluster with real Ratis servers: it hands its leadership around and leaves nothing
 * behind; closed from another thread it stops with a {@link CancellationException}.
 */
@Timeout(value = 120, unit = TimeUnit.SECONDS)
class RehearsalTest {
  @TempDir
  Path tmp;

  @Test
  void handsLeadershipAroundAndDeletesItsStorage() throws Exception {
    final Path dir = tmp.resolve("n1.rehearsal");
    Files.createDirectories(dir.resolve("left-by-a-killed-process"));
    final Duration took;
    try (Rehearsal r = new Rehearsal(dir)) {
      took = r.run(3, 5);
    }
    assertThat(took).isPositive();
    assertThat(dir).doesNotExist();
  }

  @Test
  void aRehearsalEndsAtItsDeadlineWhateverIsLeft() throws Exception {
    final Path dir = tmp.resolve("n1.rehearsal");
    try (Rehearsal r = new Rehearsal(dir, Duration.ofSeconds(2))) {
      assertThatThrownBy(() -> r.run(100_000, 5)).isInstanceOf(java.util.concurrent.TimeoutException.class)
          .hasMessageContaining("2000 ms");
    }
    assertThat(dir).doesNotExist();
  }

  @Test
  void closingStopsARunningRehearsal() throws Exception {
    final Path dir = tmp.resolve("n1.rehearsal");
    final Rehearsal r = new Rehearsal(dir);
    final CompletableFuture<Duration> run = CompletableFuture.supplyAsync(() -> {
      try {
        return r.run(1000, 5);
      } catch (Exception e) {
        throw new CompletionException(e);
      }
    });
    while (!Files.exists(dir.resolve("rehearsal-1")) && !run.isDone()) {
      Thread.sleep(5);
    }
    r.close();
    assertThatThrownBy(() -> run.get(60, TimeUnit.SECONDS)).hasCauseInstanceOf(CancellationException.class);
    assertThat(dir).doesNotExist();
  }

  @Test
  void aClosedRehearsalDoesNotStart() {
    final Rehearsal r = new Rehearsal(tmp.resolve("r"));
    r.close();
    assertThatThrownBy(() -> r.run(1, 1)).isInstanceOf(CancellationException.class);
    assertThatThrownBy(() -> new Rehearsal(tmp).run(-1, 1)).isInstanceOf(IllegalArgumentException.class);
  }
}
