package io.baton.ha;

import static org.assertj.core.api.Assertions.assertThat;

import io.baton.etcd.EtcdMetadataStore;
import io.baton.store.ForwardingMetadataStore;
import io.baton.store.MetadataStore;
import io.baton.store.MonotonicClock;
import io.baton.store.ReadConsistency;
import io.baton.store.ReadResult;
import io.baton.testkit.EtcdCluster;
import io.baton.testkit.Timing;
import java.time.Duration;
import java.util.List;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * The etcd elector reads the elections from whichever member jetcd picks. A member behind the
 * others (just back from a partition, still applying what it missed) answers with an older view,
 * in which a candidate whose key is gone may still lead: such a read must not make the leader step
 * down (reads stay monotonic). Only when reads stay behind for a whole TTL (a restored cluster) are
 * they taken as they are.
 */
@Timeout(value = 60, unit = TimeUnit.SECONDS)
class EtcdElectorReadTest {
  @RegisterExtension
  static final EtcdCluster ETCD = new EtcdCluster(1);
  private static final String ROLE = "rootcoord";
  private static final Duration TTL = Duration.ofSeconds(2);

  private final String namespace = "/elector-read-" + UUID.randomUUID() + "/";
  private final List<ExecutorService> loops = new java.util.concurrent.CopyOnWriteArrayList<>();
  private EtcdMetadataStore storeA;
  private EtcdMetadataStore storeB;
  private EtcdElector a;
  private EtcdElector b;

  @AfterEach
  void tearDown() {
    for (EtcdElector e : new EtcdElector[] {a, b}) {
      if (e != null) {
        e.close();
      }
    }
    for (EtcdMetadataStore s : new EtcdMetadataStore[] {storeA, storeB}) {
      if (s != null) {
        s.close();
      }
    }
    loops.forEach(ExecutorService::shutdownNow);
  }

  private EtcdMetadataStore store() {
    return BackendFixture.etcdStore(ETCD, namespace);
  }

  private EtcdElector elector(MetadataStore store, String node) {
    return elector(store, node, TTL, false);
  }

  /** With {@code tickOnWake}, a wake ticks the elector (as the role manager's check does); otherwise only the test ticks it. */
  private EtcdElector elector(MetadataStore store, String node, Duration ttl, boolean tickOnWake) {
    final ExecutorService checks = Executors.newSingleThreadExecutor();
    loops.add(checks);
    final AtomicReference<EtcdElector> self = new AtomicReference<>();
    self.set(elector(store, node, ttl, tickOnWake ? () -> checks.execute(() -> self.get().tick()) : () -> { }));
    return self.get();
  }

  private EtcdElector elector(MetadataStore store, String node, Duration ttl, Runnable wake) {
    final EtcdElector e = new EtcdElector(store, node, "election", List.of(ROLE), ttl, Duration.ofSeconds(5),
        MonotonicClock.SYSTEM);
    final ExecutorService loop = Executors.newSingleThreadExecutor();
    loops.add(loop);
    e.start(loop, wake);
    return e;
  }

  private static long awaitEpoch(EtcdElector e, String what) {
    return Timing.waitFor(what, Duration.ofSeconds(15), () -> {
      e.tick();
      final long epoch = e.confirmedEpoch(ROLE);
      return epoch > 0 ? epoch : null;
    });
  }

  @Test
  void aReadFromAMemberBehindDoesNotDeposeTheLeaderUnlessItStaysBehindForATtl() throws Exception {
    storeA = store();
    storeB = store();
    final Rewinding rewinding = new Rewinding(storeB, "election/" + ROLE + "/");
    a = elector(storeA, "a");
    awaitEpoch(a, "a leads");
    b = elector(rewinding, "b");
    Timing.waitUntil("b campaigned and sees a leading", Duration.ofSeconds(15), () -> {
      b.tick();
      return "a".equals(b.activeNode(ROLE)) && rewinding.last != null && rewinding.last.kvs().size() == 2;
    });
    final ReadResult old = rewinding.last; // a's key and b's, a first
    a.close(); // revokes a's session: its key is gone
    a = null;
    final long epoch = awaitEpoch(b, "b leads once a's key is gone");

    rewinding.answer = old; // from now on b's reads come from a member that is behind
    final long until = System.nanoTime() + TTL.toNanos() / 2;
    while (System.nanoTime() < until) {
      b.tick();
      assertThat(b.confirmedEpoch(ROLE)).as("a read of an older revision does not move the role").isEqualTo(epoch);
      Thread.sleep(20);
    }
    assertThat(rewinding.rewound).as("reads were answered from the older view").isPositive();

    Timing.waitUntil("reads behind for a whole TTL are taken as they are", Duration.ofSeconds(10), () -> {
      b.tick();
      return "a".equals(b.activeNode(ROLE));
    });
    assertThat(b.confirmedEpoch(ROLE)).isZero();
  }

  @Test
  void aReadThatMissedTheChangeAWatchReportedIsMadeAgainAtOnce() throws Exception {
    final Duration ttl = Duration.ofSeconds(10); // b is ticked by wakes alone below: its session must outlast the test
    storeA = store();
    storeB = store();
    final Rewinding rewinding = new Rewinding(storeB, "election/" + ROLE + "/");
    a = elector(storeA, "a", ttl, false);
    awaitEpoch(a, "a leads");
    b = elector(rewinding, "b", ttl, true);
    Timing.waitUntil("b campaigned and sees a leading", Duration.ofSeconds(15), () -> {
      b.tick();
      return "a".equals(b.activeNode(ROLE)) && rewinding.last != null && rewinding.last.kvs().size() == 2;
    });
    rewinding.staleOnce = rewinding.last; // the first read that would show a's key gone shows it still there

    a.close(); // revokes a's session: its key is deleted, and b's watch wakes b
    a = null;
    // nothing ticks b now but its wakes: the watch's one, and the re-read that the stale answer calls for
    Timing.waitUntil("b leads, woken only by the change", Duration.ofSeconds(5), () -> b.confirmedEpoch(ROLE) > 0);
    assertThat(rewinding.rewound).as("one read was answered from before the change").isEqualTo(1);
  }

  @Test
  void aReadThatShowsANewLeaderWakesTheRoleCheckAtOnce() throws Exception {
    storeA = store();
    storeB = store();
    a = elector(storeA, "a");
    awaitEpoch(a, "a leads");
    // the role manager's check (the wake) must run again once the read shows b leading: a check
    // that ran before it saw the old view, and the next periodic one is up to an interval away
    final AtomicReference<EtcdElector> bRef = new AtomicReference<>();
    final AtomicInteger wokenSeeingBLead = new AtomicInteger();
    b = elector(storeB, "b", TTL, () -> {
      final EtcdElector e = bRef.get();
      if (e != null && e.confirmedEpoch(ROLE) > 0) {
        wokenSeeingBLead.incrementAndGet();
      }
    });
    bRef.set(b);
    Timing.waitUntil("b campaigned and sees a leading", Duration.ofSeconds(15), () -> {
      b.tick();
      return "a".equals(b.activeNode(ROLE));
    });

    a.close(); // revokes a's session: its key is gone, b's key is the oldest
    a = null;
    awaitEpoch(b, "b leads");
    Timing.waitUntil("b's role check was woken by the read that showed it leading", Duration.ofSeconds(5),
        () -> wokenSeeingBLead.get() > 0);
  }

  /**
   * Answers reads of {@code prefix} with {@link #answer} once set, as a member behind the others
   * would; or, once, with {@link #staleOnce} in place of the first read that has fewer keys than it.
   */
  private static final class Rewinding extends ForwardingMetadataStore {
    private final String prefix;
    volatile ReadResult last;
    volatile ReadResult answer;
    volatile ReadResult staleOnce;
    volatile int rewound;

    Rewinding(MetadataStore delegate, String prefix) {
      super(delegate);
      this.prefix = prefix;
    }

    @Override
    public CompletableFuture<ReadResult> range(String p, ReadConsistency consistency) {
      final ReadResult old = answer;
      if (p.equals(prefix) && old != null) {
        rewound++;
        return CompletableFuture.completedFuture(old);
      }
      return super.range(p, consistency).thenApply(r -> {
        if (!p.equals(prefix)) {
          return r;
        }
        final ReadResult before = staleOnce;
        if (before != null && r.kvs().size() < before.kvs().size()) {
          staleOnce = null;
          rewound++;
          return before;
        }
        last = r;
        return r;
      });
    }
  }
}
