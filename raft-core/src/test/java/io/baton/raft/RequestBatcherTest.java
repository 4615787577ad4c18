package io.baton.raft;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.baton.store.NoQuorumException;
import io.baton.store.Op;
import io.baton.store.Txn;
import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import org.junit.jupiter.api.Test;

class RequestBatcherTest {
  /** What the batcher sent, decoded, and the futures it waits on, in order. */
  private final List<Command> sent = new ArrayList<>();
  private final List<CompletableFuture<Reply>> outstanding = new ArrayList<>();

  private RequestBatcher batcher(int inFlight, int maxBytes, int maxSize) {
    return new RequestBatcher(bytes -> {
      sent.add(Codec.decodeCommand(ByteBuffer.wrap(bytes)));
      final CompletableFuture<Reply> f = new CompletableFuture<>();
      outstanding.add(f);
      return f;
    }, Codec::batch, inFlight, maxBytes, maxSize);
  }

  private static Command.TxnCommand put(String key) {
    return new Command.TxnCommand(Txn.of(List.of(), List.of(Op.put(key, "v"))));
  }

  @Test
  void aLoneWriteLeavesAtOnceAndLaterOnesLeaveTogetherInOrderWhenItIsAnswered() throws Exception {
    final RequestBatcher b = batcher(1, 1 << 20, 256);
    final CompletableFuture<Reply> first = b.submit(Codec.encode(put("a")));
    assertThat(sent).containsExactly(put("a"));
    final CompletableFuture<Reply> second = b.submit(Codec.encode(put("b")));
    final CompletableFuture<Reply> third = b.submit(Codec.encode(put("c")));
    assertThat(sent).hasSize(1); // queued behind the outstanding one, nothing waits for a timer
    outstanding.get(0).complete(new Reply.TxnDone(true, 1));
    assertThat(first.get()).isEqualTo(new Reply.TxnDone(true, 1));
    assertThat(sent).hasSize(2);
    assertThat(sent.get(1)).isEqualTo(new Command.TxnBatch(List.of(put("b"), put("c"))));
    outstanding.get(1).complete(new Reply.Batch(List.of(new Reply.TxnDone(true, 2),
        new Reply.Failure(Reply.Code.STALE_EPOCH, 9, "stale"))));
    assertThat(second.get()).isEqualTo(new Reply.TxnDone(true, 2));
    assertThat(third.get()).isEqualTo(new Reply.Failure(Reply.Code.STALE_EPOCH, 9, "stale"));
    // idle again: the next write leaves alone, at once
    b.submit(Codec.encode(put("d")));
    assertThat(sent).hasSize(3);
    assertThat(sent.get(2)).isEqualTo(put("d"));
  }

  @Test
  void aRerouteLetsWhatQueuedBehindARequestThatMayNeverBeAnsweredLeaveAtOnce() throws Exception {
    final RequestBatcher b = batcher(1, 1 << 20, 256);
    final CompletableFuture<Reply> stuck = b.submit(Codec.encode(put("a"))); // sent to the old leader
    final CompletableFuture<Reply> claim = b.submit(Codec.encode(put("b")));
    final CompletableFuture<Reply> other = b.submit(Codec.encode(put("c")));
    assertThat(sent).hasSize(1);
    b.rerouted(); // this node became the leader
    assertThat(sent).hasSize(2);
    assertThat(sent.get(1)).isEqualTo(new Command.TxnBatch(List.of(put("b"), put("c"))));
    outstanding.get(1).complete(new Reply.Batch(List.of(new Reply.TxnDone(true, 5), new Reply.TxnDone(true, 6))));
    assertThat(claim.get()).isEqualTo(new Reply.TxnDone(true, 5));
    assertThat(other.get()).isEqualTo(new Reply.TxnDone(true, 6));
    assertThat(stuck).isNotDone();
    // the window is the new route's: one request at a time again
    b.submit(Codec.encode(put("d")));
    b.submit(Codec.encode(put("e")));
    assertThat(sent).hasSize(3);
    // the old request's answer (here a timeout) reaches its caller and frees no place of the new route
    outstanding.get(0).completeExceptionally(new NoQuorumException("no answer within 3000 ms", null));
    assertThatThrownBy(stuck::get).hasCauseInstanceOf(NoQuorumException.class);
    assertThat(sent).as("e still waits for d").hasSize(3);
    outstanding.get(2).complete(new Reply.TxnDone(true, 7));
    assertThat(sent).hasSize(4);
    assertThat(sent.get(3)).isEqualTo(put("e"));
  }

  @Test
  void batchesStayWithinTheRequestLimitAndTheCount() {
    final int one = Codec.encode(put("k1")).length;
    // room for two transactions in a batch, not three
    final RequestBatcher b = batcher(1, Codec.BATCH_HEADER_BYTES + 2 * (one - 1) + 1, 256);
    b.submit(Codec.encode(put("k0")));
    for (int i = 1; i <= 5; i++) {
      b.submit(Codec.encode(put("k" + i)));
    }
    outstanding.get(0).complete(new Reply.TxnDone(true, 1));
    assertThat(sent.get(1)).isEqualTo(new Command.TxnBatch(List.of(put("k1"), put("k2"))));
    outstanding.get(1).complete(new Reply.Batch(List.of(new Reply.TxnDone(true, 2), new Reply.TxnDone(true, 3))));
    assertThat(sent.get(2)).isEqualTo(new Command.TxnBatch(List.of(put("k3"), put("k4"))));

    final RequestBatcher counted = batcher(1, 1 << 20, 2);
    sent.clear();
    outstanding.clear();
    counted.submit(Codec.encode(put("a")));
    counted.submit(Codec.encode(put("b")));
    counted.submit(Codec.encode(put("c")));
    counted.submit(Codec.encode(put("d")));
    outstanding.get(0).complete(new Reply.TxnDone(true, 1));
    assertThat(sent.get(1)).isEqualTo(new Command.TxnBatch(List.of(put("b"), put("c"))));
  }

  @Test
  void aFailedRequestFailsEveryWriteInItAndTheQueueMovesOn() {
    final RequestBatcher b = batcher(2, 1 << 20, 256);
    final CompletableFuture<Reply> a = b.submit(Codec.encode(put("a")));
    final CompletableFuture<Reply> c = b.submit(Codec.encode(put("c")));
    assertThat(sent).hasSize(2); // two may be outstanding
    final CompletableFuture<Reply> d = b.submit(Codec.encode(put("d")));
    final CompletableFuture<Reply> e = b.submit(Codec.encode(put("e")));
    outstanding.get(0).completeExceptionally(new NoQuorumException("no majority", null));
    assertThatThrownBy(a::get).isInstanceOf(ExecutionException.class).hasCauseInstanceOf(NoQuorumException.class);
    assertThat(sent.get(2)).isEqualTo(new Command.TxnBatch(List.of(put("d"), put("e"))));
    // an answer that does not fit the batch fails each of its writes rather than guessing
    outstanding.get(2).complete(new Reply.TxnDone(true, 5));
    assertThatThrownBy(d::get).hasCauseInstanceOf(IllegalStateException.class).hasMessageContaining("batch of 2");
    assertThatThrownBy(e::get).hasCauseInstanceOf(IllegalStateException.class);
    assertThat(c).isNotDone();
  }

  @Test
  void aSendThatThrowsFailsItsWritesOnly() {
    final int[] calls = {0};
    final RequestBatcher b = new RequestBatcher(bytes -> {
      if (calls[0]++ == 0) {
        throw new IllegalStateException("closed");
      }
      return CompletableFuture.completedFuture(new Reply.TxnDone(true, 1));
    }, Codec::batch, 1, 1 << 20, 256);
    assertThat(b.submit(Codec.encode(put("a")))).isCompletedExceptionally();
    assertThat(b.submit(Codec.encode(put("b")))).isCompletedWithValue(new Reply.TxnDone(true, 1));
  }

  @Test
  void linearizableReadsBatchIntoOneQuery() throws Exception {
    final RequestBatcher b = new RequestBatcher(bytes -> {
      sent.add(Codec.decodeCommand(ByteBuffer.wrap(bytes)));
      final CompletableFuture<Reply> f = new CompletableFuture<>();
      outstanding.add(f);
      return f;
    }, Codec::readBatch, 1, 1 << 20, 256);
    b.submit(Codec.encode(new Command.Get("a", false)));
    final CompletableFuture<Reply> get = b.submit(Codec.encode(new Command.Get("b", false)));
    final CompletableFuture<Reply> range = b.submit(Codec.encode(new Command.Range("p/", false)));
    outstanding.get(0).complete(new Reply.Read(new io.baton.store.ReadResult(List.of(), 1, 1)));
    assertThat(sent.get(1)).isEqualTo(new Command.ReadBatch(List.of(new Command.Get("b", false),
        new Command.Range("p/", false))));
    final Reply.Read r1 = new Reply.Read(new io.baton.store.ReadResult(List.of(), 3, 4));
    final Reply.Read r2 = new Reply.Read(new io.baton.store.ReadResult(List.of(), 3, 4));
    outstanding.get(1).complete(new Reply.Batch(List.of(r1, r2)));
    assertThat(get.get()).isSameAs(r1);
    assertThat(range.get()).isSameAs(r2);
  }
}
