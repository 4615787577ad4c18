package io.baton.ha;

import static org.assertj.core.api.Assertions.assertThat;

import io.baton.store.MetadataStore;
import io.baton.store.NoQuorumException;
import io.baton.store.ReadConsistency;
import io.baton.store.ReadResult;
import io.baton.store.Txn;
import io.baton.store.TxnResult;
import io.baton.store.Watch;
import io.baton.store.WatchListener;
import io.baton.testkit.ScriptedClock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import org.junit.jupiter.api.Test;

/**
 * The session's keep-alive schedule and deadline, on a scripted clock and a store whose answers the
 * test gives by hand (nothing sleeps): a keep-alive that gets no answer does not hold the next ones
 * back, a late answer cannot shorten the deadline, and without any answer the session lapses at
 * {@code validFor} after the last answered send.
 */
class LeaseSessionTest {
  private static final Duration TTL = Duration.ofSeconds(2);
  private static final Duration EVERY = Duration.ofMillis(200);
  private static final Duration VALID_FOR = Duration.ofMillis(1600);

  private final ScriptedClock clock = new ScriptedClock();
  private final KeepAliveStore store = new KeepAliveStore();
  private final LeaseSession session = new LeaseSession("n1", "etcd session", store, TTL, EVERY, VALID_FOR, clock,
      null, new LeaseSession.Listener() { });

  LeaseSessionTest() {
    session.start(Runnable::run);
    session.tick();
    store.grants.get(0).complete(7L);
    assertThat(session.valid()).isTrue();
  }

  @Test
  void aKeepAliveWithoutAnAnswerDoesNotHoldTheNextOnesBack() {
    clock.advance(EVERY);
    session.tick(); // sent to a server that never answers
    assertThat(store.keepAlives).hasSize(1);
    for (int i = 0; i < 7; i++) { // 1.4 s: the first keep-alive would still wait for its 2 s timeout
      clock.advance(EVERY);
      session.tick();
      store.keepAlives.get(store.keepAlives.size() - 1).complete(null); // the other servers answer
    }
    assertThat(store.keepAlives).hasSize(8);
    clock.advance(Duration.ofMillis(1500)); // 1.5 s after the last answered send: still held
    assertThat(session.valid()).isTrue();
    store.keepAlives.get(0).completeExceptionally(new NoQuorumException("no answer within 2000 ms", null));
    assertThat(session.valid()).as("a failed keep-alive does not end a session the others kept").isTrue();
    assertThat(session.id()).isEqualTo(7L);
  }

  @Test
  void aLateAnswerToAnOlderKeepAliveDoesNotShortenTheDeadline() {
    clock.advance(EVERY);
    session.tick();
    clock.advance(EVERY);
    session.tick();
    store.keepAlives.get(1).complete(null); // the newer one first: held until 400 + 1600 ms
    store.keepAlives.get(0).complete(null); // then the older one (sent at 200 ms)
    clock.advance(Duration.ofMillis(1599));
    assertThat(session.valid()).isTrue();
    clock.advance(Duration.ofMillis(1));
    assertThat(session.valid()).isFalse();
  }

  @Test
  void atMostAFewKeepAlivesAreOutAtOnceAndWithoutAnswersTheSessionLapses() {
    for (int i = 0; i < 10; i++) {
      clock.advance(EVERY);
      session.tick();
    }
    assertThat(store.keepAlives).hasSize(LeaseSession.KEEP_ALIVES_IN_FLIGHT);
    assertThat(session.valid()).as("2 s after the grant's send, nothing answered").isFalse();
    store.keepAlives.get(0).completeExceptionally(new NoQuorumException("no answer within 2000 ms", null));
    clock.advance(EVERY);
    session.tick();
    assertThat(store.keepAlives).as("a slot freed by the failure is used").hasSize(LeaseSession.KEEP_ALIVES_IN_FLIGHT + 1);
  }

  @Test
  void anExpiredLeaseEndsTheSessionEvenWithOtherKeepAlivesOut() {
    clock.advance(EVERY);
    session.tick();
    clock.advance(EVERY);
    session.tick();
    store.keepAlives.get(0).completeExceptionally(new IllegalStateException("lease not found"));
    assertThat(session.id()).isZero();
    store.keepAlives.get(1).complete(null); // an answer for the old lease changes nothing
    assertThat(session.valid()).isFalse();
    session.tick();
    assertThat(store.grants).as("a new session is asked for at once").hasSize(2);
  }

  /** Grants and keep-alives that stay pending until the test completes them; nothing else. */
  private static final class KeepAliveStore implements MetadataStore {
    final List<CompletableFuture<Long>> grants = new ArrayList<>();
    final List<CompletableFuture<Void>> keepAlives = new ArrayList<>();

    @Override
    public CompletableFuture<Long> grantLease(Duration ttl) {
      final CompletableFuture<Long> f = new CompletableFuture<>();
      grants.add(f);
      return f;
    }

    @Override
    public CompletableFuture<Void> keepAlive(long leaseId) {
      final CompletableFuture<Void> f = new CompletableFuture<>();
      keepAlives.add(f);
      return f;
    }

    @Override
    public CompletableFuture<ReadResult> get(String key, ReadConsistency consistency) {
      throw new UnsupportedOperationException();
    }

    @Override
    public CompletableFuture<ReadResult> range(String prefix, ReadConsistency consistency) {
      throw new UnsupportedOperationException();
    }

    @Override
    public CompletableFuture<TxnResult> txn(Txn txn) {
      throw new UnsupportedOperationException();
    }

    @Override
    public Watch watch(String prefix, long fromRevision, WatchListener listener) {
      throw new UnsupportedOperationException();
    }

    @Override
    public CompletableFuture<Long> revokeLease(long leaseId) {
      throw new UnsupportedOperationException();
    }
  }
}
