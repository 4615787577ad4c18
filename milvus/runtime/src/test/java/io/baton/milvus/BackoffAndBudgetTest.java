package io.baton.milvus;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.time.Duration;
import org.junit.jupiter.api.Test;

class BackoffAndBudgetTest {
  @Test
  void theCeilingDoublesFromTheBaseUpToTheMax() {
    final Backoff b = new Backoff(Duration.ofMillis(50), Duration.ofMillis(300), () -> 0.5);
    assertThat(b.ceiling(1)).isEqualTo(Duration.ofMillis(50));
    assertThat(b.ceiling(2)).isEqualTo(Duration.ofMillis(100));
    assertThat(b.ceiling(3)).isEqualTo(Duration.ofMillis(200));
    assertThat(b.ceiling(4)).isEqualTo(Duration.ofMillis(300));
    assertThat(b.ceiling(100)).isEqualTo(Duration.ofMillis(300));
  }

  @Test
  void fullJitterSpansTheWholeWindowFromZero() {
    final double[] r = {0.0};
    final Backoff b = new Backoff(Duration.ofMillis(50), Duration.ofSeconds(2), () -> r[0]);
    assertThat(b.delay(3)).isEqualTo(Duration.ZERO);
    r[0] = 0.999;
    assertThat(b.delay(3)).isLessThanOrEqualTo(Duration.ofMillis(200)).isGreaterThan(Duration.ofMillis(199));
    r[0] = 0.25;
    assertThat(b.delay(2)).isEqualTo(Duration.ofMillis(25));
    r[0] = 1.0;
    assertThatThrownBy(() -> b.delay(1)).isInstanceOf(IllegalStateException.class);
  }

  @Test
  void badBackoffSettingsAreRefused() {
    assertThatThrownBy(() -> new Backoff(Duration.ZERO, Duration.ofSeconds(1), Math::random)).hasMessageContaining("base");
    assertThatThrownBy(() -> new Backoff(Duration.ofSeconds(2), Duration.ofSeconds(1), Math::random)).hasMessageContaining("max");
  }

  @Test
  void theBudgetStopsRetriesAfterHalfItsTokensAndRefillsWithSuccesses() {
    final RetryBudget budget = new RetryBudget(10, 0.5);
    for (int i = 0; i < 4; i++) {
      budget.onFailure();
    }
    assertThat(budget.allowsRetry()).isTrue(); // 6 > 5
    budget.onFailure();
    assertThat(budget.allowsRetry()).isFalse(); // 5 is not above half
    budget.onSuccess();
    assertThat(budget.allowsRetry()).isTrue(); // 5.5
    for (int i = 0; i < 100; i++) {
      budget.onSuccess();
    }
    assertThat(budget.tokens()).isEqualTo(10.0);
  }
}
