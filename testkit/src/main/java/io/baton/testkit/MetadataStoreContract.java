package io.baton.testkit;

import static io.baton.testkit.Timing.await;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.baton.store.Compare;
import io.baton.store.KeyValue;
import io.baton.store.MetadataStore;
import io.baton.store.Op;
import io.baton.store.ReadResult;
import io.baton.store.StaleEpochException;
import io.baton.store.Txn;
import io.baton.store.TxnResult;
import io.baton.store.Watch;
import io.baton.store.WatchEvent;
import io.baton.store.WatchListener;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.UUID;
import java.util.concurrent.CopyOnWriteArrayList;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * The {@link MetadataStore} contract every backend must keep, written once and run against each
 * (the Ratis store in MetadataStoreTest, the etcd store in coordinator-ha). Each test works under its own fresh key
 * prefix, so one cluster serves every test of a subclass.
 */
public abstract class MetadataStoreContract {
  /** The store under test (a subclass's shared cluster). */
  protected abstract MetadataStore store();

  /** This test's own key prefix. */
  protected String p;

  @BeforeEach
  void freshPrefix() {
    p = "contract/" + UUID.randomUUID() + "/";
  }

  private static byte[] bytes(String s) {
    return s.getBytes(StandardCharsets.UTF_8);
  }

  @Test
  void revisionsVersionsAndDeletesFollowEtcd() {
    final long r1 = await(store().put(p + "a", "1"));
    final long r2 = await(store().put(p + "a", "2"));
    assertThat(r2).isEqualTo(r1 + 1);
    final KeyValue kv = await(store().get(p + "a")).first().orElseThrow();
    assertThat(kv.valueAsString()).isEqualTo("2");
    assertThat(kv.createRevision()).isEqualTo(r1);
    assertThat(kv.modRevision()).isEqualTo(r2);
    assertThat(kv.version()).isEqualTo(2);
    assertThat(await(store().delete(p + "a"))).isEqualTo(r2 + 1);
    assertThat(await(store().get(p + "a")).kvs()).isEmpty();
    assertThat(await(store().get(p + "a")).revision()).isGreaterThanOrEqualTo(r2 + 1);
  }

  @Test
  void compareAndSetOnModRevisionAndOnValue() {
    assertThat(await(store().compareAndSet(p + "k", 0, bytes("first"))).succeeded()).isTrue();
    assertThat(await(store().compareAndSet(p + "k", 0, bytes("again"))).succeeded()).isFalse();
    final long rev = await(store().get(p + "k")).first().orElseThrow().modRevision();
    assertThat(await(store().compareAndSet(p + "k", rev, bytes("second"))).succeeded()).isTrue();
    assertThat(await(store().compareAndSet(p + "k", bytes("wrong"), bytes("x"))).succeeded()).isFalse();
    assertThat(await(store().compareAndSet(p + "missing", bytes(""), bytes("x"))).succeeded())
        .as("a value compare on a missing key fails").isFalse();
    assertThat(await(store().compareAndSet(p + "k", bytes("second"), bytes("third"))).succeeded()).isTrue();
    assertThat(await(store().get(p + "k")).first().orElseThrow().valueAsString()).isEqualTo("third");
  }

  @Test
  void rangesAreKeyOrderedAndTransactionsAllOrNothing() {
    await(store().txn(Txn.of(List.of(), List.of(Op.put(p + "b", "2"), Op.put(p + "a", "1"), Op.put(p + "c", "3")))));
    final ReadResult all = await(store().range(p));
    assertThat(all.kvs()).extracting(KeyValue::key).containsExactly(p + "a", p + "b", p + "c");
    assertThat(all.kvs()).extracting(KeyValue::modRevision).containsOnly(all.kvs().get(0).modRevision());

    final TxnResult failed = await(store().txn(Txn.of(List.of(Compare.value(p + "a", "1"), Compare.absent(p + "b")),
        List.of(Op.put(p + "other", "changed"), Op.deletePrefix(p + "a")))));
    assertThat(failed.succeeded()).isFalse();
    assertThat(await(store().range(p)).kvs()).extracting(KeyValue::key).containsExactly(p + "a", p + "b", p + "c");

    final TxnResult ok = await(store().txn(Txn.of(List.of(Compare.version(p + "c", 1)), List.of(Op.deletePrefix(p)))));
    assertThat(ok.succeeded()).isTrue();
    assertThat(await(store().range(p)).kvs()).isEmpty();
  }

  @Test
  void aFenceHoldsOnlyWhileItsKeyKeepsTheRevisionItWasLastWrittenAt() {
    final long epoch = await(store().put(p + "holder", "n1"));
    final MetadataStore fenced = store().fencedBy(p + "holder", epoch);
    await(fenced.put(p + "state", "by n1"));
    assertThat(await(fenced.compareAndSet(p + "state", bytes("wrong"), bytes("x"))).succeeded())
        .as("a failed compare under a holding fence is not a stale epoch").isFalse();
    final long rewritten = await(store().put(p + "holder", "n1 again"));
    assertThatThrownBy(() -> await(fenced.put(p + "state", "stale")))
        .as("a write of the fence key is a newer epoch")
        .isInstanceOfSatisfying(StaleEpochException.class, e -> assertThat(e.currentEpoch()).isEqualTo(rewritten));
    await(store().delete(p + "holder"));
    assertThatThrownBy(() -> await(fenced.put(p + "state", "stale"))).isInstanceOf(StaleEpochException.class);
    final long newEpoch = await(store().put(p + "holder", "n2"));
    assertThatThrownBy(() -> await(fenced.put(p + "state", "stale")))
        .isInstanceOfSatisfying(StaleEpochException.class, e -> assertThat(e.currentEpoch()).isEqualTo(newEpoch));
    assertThat(await(store().get(p + "state")).first().orElseThrow().valueAsString()).isEqualTo("by n1");
    await(store().fencedBy(p + "holder", newEpoch).put(p + "state", "by n2"));
  }

  @Test
  void watchesDeliverEveryChangeInOrderOnceAndResume() {
    final long start = await(store().put(p + "x", "0"));
    final List<WatchEvent> seen = new CopyOnWriteArrayList<>();
    final Watch watch = store().watch(p, start, new WatchListener() {
      @Override
      public void onEvent(WatchEvent event) {
        seen.add(event);
      }
    });
    await(store().put(p + "x", "1"));
    await(store().put(p + "y", "2"));
    final long deleted = await(store().delete(p + "x"));
    await(store().put("elsewhere/" + p, "not watched"));
    Timing.waitUntil("four events", Duration.ofSeconds(10), () -> seen.size() >= 4);
    assertThat(seen).extracting(WatchEvent::type).containsExactly(WatchEvent.Type.PUT, WatchEvent.Type.PUT,
        WatchEvent.Type.PUT, WatchEvent.Type.DELETE);
    assertThat(seen).extracting(WatchEvent::revision).isSorted().doesNotHaveDuplicates();
    assertThat(seen.get(0).revision()).isEqualTo(start);
    assertThat(seen.get(3).kv().key()).isEqualTo(p + "x");
    assertThat(seen.get(3).revision()).isEqualTo(deleted);
    // a watch may also count revisions outside its prefix as passed (the Ratis store does)
    Timing.waitUntil("the watch has passed the delete", Duration.ofSeconds(10), () -> watch.nextRevision() > deleted);
    final long resumeFrom = watch.nextRevision();
    watch.close();

    // resuming from nextRevision gives exactly what followed
    final long after = await(store().put(p + "z", "3"));
    final List<WatchEvent> resumed = new CopyOnWriteArrayList<>();
    final Watch again = store().watch(p, resumeFrom, new WatchListener() {
      @Override
      public void onEvent(WatchEvent event) {
        resumed.add(event);
      }
    });
    Timing.waitUntil("the resumed event", Duration.ofSeconds(10), () -> !resumed.isEmpty());
    again.close();
    assertThat(resumed).extracting(WatchEvent::revision).containsExactly(after);
  }

  @Test
  void progressFollowsTheLastEventOfEachRevisionWithTheRevisionToResumeFrom() {
    final long start = await(store().put(p + "first", "0"));
    final List<String> calls = new CopyOnWriteArrayList<>();
    final Watch watch = store().watch(p, start, new WatchListener() {
      @Override
      public void onEvent(WatchEvent event) {
        calls.add(event.key().substring(p.length()) + "@" + event.revision());
      }

      @Override
      public void onProgress(long nextRevision) {
        calls.add("progress " + nextRevision);
      }
    });
    final long both = await(store().txn(Txn.of(List.of(), List.of(Op.put(p + "a", "1"), Op.put(p + "b", "1")))))
        .revision();
    Timing.waitUntil("the transaction's progress", Duration.ofSeconds(10),
        () -> calls.contains("progress " + (both + 1)));
    watch.close();
    assertThat(calls).containsExactly("first@" + start, "progress " + (start + 1), "a@" + both, "b@" + both,
        "progress " + (both + 1));
  }

  @Test
  void leasesBindKeysAndRevokingDeletesThem() {
    final long lease = await(store().grantLease(Duration.ofSeconds(30)));
    await(store().put(p + "bound", bytes("x"), lease));
    await(store().put(p + "free", "y"));
    await(store().keepAlive(lease));
    assertThat(await(store().get(p + "bound")).first().orElseThrow().leaseId()).isEqualTo(lease);
    await(store().revokeLease(lease));
    assertThat(await(store().range(p)).kvs()).extracting(KeyValue::key).containsExactly(p + "free");
    assertThatThrownBy(() -> await(store().keepAlive(lease))).isInstanceOf(IllegalStateException.class);
    await(store().revokeLease(lease)); // a no-op when gone
    assertThatThrownBy(() -> await(store().put(p + "late", bytes("x"), lease)))
        .as("binding to a lease that is gone").isInstanceOf(RuntimeException.class);
  }

  @Test
  void badRequestsAreRefusedAndNothingIsApplied() {
    assertThatThrownBy(() -> await(store().put("", "x"))).isInstanceOf(IllegalArgumentException.class);
    assertThatThrownBy(() -> await(store().txn(Txn.of(List.of(), List.of(Op.put(p + "d", "1"), Op.put(p + "d", "2"))))))
        .isInstanceOf(IllegalArgumentException.class);
    assertThatThrownBy(() -> await(store().put(p + "big", new byte[(1 << 20) + 1])))
        .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("limit");
    assertThat(await(store().range(p)).kvs()).isEmpty();
    await(store().put(p + "still", "serving"));
  }
}
