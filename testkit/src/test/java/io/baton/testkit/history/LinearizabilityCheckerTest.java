package io.baton.testkit.history;

import static org.assertj.core.api.Assertions.assertThat;

import io.baton.testkit.history.LinearizabilityChecker.Result;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;

class LinearizabilityCheckerTest {
  private static final long U = Long.MAX_VALUE;
  private final LinearizabilityChecker checker = new LinearizabilityChecker();

  private static KvOp put(int client, String key, String value, long call, long ret) {
    return new KvOp(client, KvOp.Kind.PUT, key, value, value, call, ret);
  }

  private static KvOp get(int client, String key, String result, long call, long ret) {
    return new KvOp(client, KvOp.Kind.GET, key, null, result, call, ret);
  }

  private Result check(KvOp... ops) {
    return checker.check(List.of(ops)).result();
  }

  @Test
  void sequentialOperationsAreLinearizable() {
    assertThat(check(get(1, "x", null, 0, 1), put(1, "x", "a", 2, 3), get(2, "x", "a", 4, 5), put(2, "x", "b", 6, 7),
        get(1, "x", "b", 8, 9))).isEqualTo(Result.LINEARIZABLE);
  }

  @Test
  void aReadConcurrentWithAWriteMaySeeEitherValue() {
    assertThat(check(put(1, "x", "a", 0, 10), get(2, "x", "a", 1, 2))).isEqualTo(Result.LINEARIZABLE);
    assertThat(check(put(1, "x", "a", 0, 10), get(2, "x", null, 1, 2))).isEqualTo(Result.LINEARIZABLE);
  }

  @Test
  void aStaleReadAfterTheWriteReturnedIsNot() {
    final LinearizabilityChecker.Verdict v = checker.check(List.of(put(1, "x", "a", 0, 1), get(2, "x", null, 2, 3)));
    assertThat(v.result()).isEqualTo(Result.NOT_LINEARIZABLE);
    assertThat(v.key()).isEqualTo("x");
    assertThat(v.toString()).contains("get(x) -> null");
  }

  @Test
  void readsCannotSeeValuesGoBackInTime() {
    // two concurrent writes; one reader sees b then a, another a then b: no single order explains both
    assertThat(check(put(1, "x", "a", 0, 10), put(2, "x", "b", 0, 10), get(3, "x", "b", 11, 12), get(3, "x", "a", 13, 14)))
        .isEqualTo(Result.NOT_LINEARIZABLE);
    assertThat(check(put(1, "x", "a", 0, 10), put(2, "x", "b", 0, 10), get(3, "x", "b", 5, 6), get(3, "x", "a", 7, 8)))
        .isEqualTo(Result.LINEARIZABLE);
  }

  @Test
  void aWriteOfUnknownOutcomeMayTakeEffectLateOrNever() {
    assertThat(check(put(1, "x", "a", 0, U), get(2, "x", null, 5, 6), get(2, "x", "a", 7, 8))).isEqualTo(Result.LINEARIZABLE);
    assertThat(check(put(1, "x", "a", 0, U), get(2, "x", null, 5, 6))).isEqualTo(Result.LINEARIZABLE);
    assertThat(check(put(1, "x", "a", 0, U), get(2, "x", "a", 5, 6), get(2, "x", null, 7, 8)))
        .isEqualTo(Result.NOT_LINEARIZABLE);
    assertThat(check(get(2, "x", "a", 0, 1), put(1, "x", "a", 5, U))).as("not before its call")
        .isEqualTo(Result.NOT_LINEARIZABLE);
  }

  @Test
  void keysAreIndependentRegisters() {
    assertThat(check(put(1, "x", "a", 0, 1), put(1, "y", "b", 2, 3), get(2, "x", "a", 4, 5), get(2, "y", null, 6, 7)))
        .isEqualTo(Result.NOT_LINEARIZABLE);
  }

  /**
   * A history generated from a real register: each operation takes effect at a point between its
   * call and return, points in increasing order, reads return the value at their point; calls
   * overlap with up to a few other operations.
   */
  private static List<KvOp> fromRealRegister(int n, long seed) {
    final Random random = new Random(seed);
    final List<KvOp> ops = new ArrayList<>();
    final java.util.Map<String, String> register = new java.util.HashMap<>();
    long point = 0;
    for (int i = 0; i < n; i++) {
      point += 10;
      final long call = point - 1 - random.nextInt(25);
      final long ret = point + 1 + random.nextInt(25);
      final String key = "k" + random.nextInt(3);
      if (random.nextInt(3) == 0) {
        register.put(key, "v" + i);
        ops.add(put(i % 5, key, "v" + i, call, ret));
      } else {
        ops.add(get(i % 5, key, register.get(key), call, ret));
      }
    }
    return ops;
  }

  @Test
  void largeHistoriesOfARealRegisterAreLinearizable() {
    for (long seed = 1; seed <= 5; seed++) {
      assertThat(checker.check(fromRealRegister(3000, seed)).result()).as("seed %d", seed).isEqualTo(Result.LINEARIZABLE);
    }
  }

  @Test
  void oneReadOfAValueNobodyWroteMakesItNot() {
    final List<KvOp> ops = fromRealRegister(3000, 3);
    for (int i = ops.size() / 2; ; i++) {
      final KvOp op = ops.get(i);
      if (op.kind() == KvOp.Kind.GET) {
        ops.set(i, get(op.client(), op.key(), "never-written", op.call(), op.ret()));
        break;
      }
    }
    assertThat(checker.check(ops).result()).isEqualTo(Result.NOT_LINEARIZABLE);
  }

  @Test
  void aSearchThatExplodesGivesUpAsUnknownNeverAsAPass() {
    final List<KvOp> ops = new ArrayList<>();
    for (int i = 0; i < 40; i++) {
      ops.add(put(i, "x", "v" + i, 0, 100)); // all concurrent
    }
    ops.add(get(99, "x", "nothing-wrote-this", 200, 201));
    assertThat(new LinearizabilityChecker(10_000).check(ops).result()).isEqualTo(Result.UNKNOWN);
  }
}
