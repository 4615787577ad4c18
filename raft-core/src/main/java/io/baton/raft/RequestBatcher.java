package io.baton.raft;

import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.function.Function;

/**
 * Puts the requests that callers submit while earlier ones are still on their way into one
 * request: transactions into one log entry ({@link Command.TxnBatch}), so that under concurrent
 * load one Raft round (one forwarded request, one append, one replication, one fsync on each node,
 * one apply) serves many writes instead of one; linearizable reads into one query to the leader
 * ({@link Command.ReadBatch}). Nothing waits for a batch to fill: a request submitted while fewer
 * than {@code maxInFlight} are outstanding is sent at once (alone, as it would be without
 * batching); the others queue and leave together, in submission order, as soon as one outstanding
 * request is answered.
 *
 * <p>The state machine applies a batch's transactions one after the other, each with its own
 * revision, compares, fence and reply, exactly as if each were its own entry; one failing its
 * compares or fence does not affect the others. A batch of reads is answered from one state, as
 * each read alone could have been. A failure of the whole request (no majority, a timeout) fails
 * every request in it with the same exception: a write's outcome is then unknown, as a single
 * write's would be.
 */
final class RequestBatcher {
  private final Function<byte[], CompletableFuture<Reply>> send;
  private final Function<List<byte[]>, byte[]> combine;
  private final int maxInFlight;
  private final int maxBatchBytes;
  private final int maxBatchSize;
  private final ArrayDeque<Pending> queue = new ArrayDeque<>();
  private int inFlight;
  /** Counts {@link #rerouted()} calls: a request sent in an earlier route no longer holds a place in the window. */
  private long route;

  private record Pending(byte[] encoded, CompletableFuture<Reply> reply) {}

  /** Requests sent as one, and the route (see {@link #rerouted()}) in which they took their place in the window. */
  private record Batch(List<Pending> requests, long route) {}

  /**
   * @param send          sends one encoded request (alone or a batch) and completes with its reply
   * @param combine       encodes a batch of encoded requests ({@link Codec#batch} or {@link Codec#readBatch})
   * @param maxInFlight   how many requests may be outstanding before later ones queue
   * @param maxBatchBytes the largest encoded batch (the node's request limit)
   * @param maxBatchSize  the most requests in one batch
   */
  RequestBatcher(Function<byte[], CompletableFuture<Reply>> send, Function<List<byte[]>, byte[]> combine,
      int maxInFlight, int maxBatchBytes, int maxBatchSize) {
    if (maxInFlight < 1 || maxBatchSize < 1) {
      throw new IllegalArgumentException("maxInFlight and maxBatchSize must be at least 1");
    }
    this.send = send;
    this.combine = combine;
    this.maxInFlight = maxInFlight;
    this.maxBatchBytes = maxBatchBytes;
    this.maxBatchSize = maxBatchSize;
  }

  /** Sends {@code encoded} (a valid encoded request that {@code combine} takes) alone or in a batch; completes with its own reply. */
  CompletableFuture<Reply> submit(byte[] encoded) {
    final Pending p = new Pending(encoded, new CompletableFuture<>());
    final Batch batch;
    synchronized (this) {
      queue.add(p);
      batch = takeBatch();
    }
    if (batch != null) {
      send(batch);
    }
    return p.reply();
  }

  /** The next batch to send, or null when none may go now. Holds the lock. */
  private Batch takeBatch() {
    if (inFlight >= maxInFlight || queue.isEmpty()) {
      return null;
    }
    final List<Pending> batch = new ArrayList<>();
    int bytes = Codec.BATCH_HEADER_BYTES;
    while (!queue.isEmpty() && batch.size() < maxBatchSize
        && (batch.isEmpty() || bytes + queue.peek().encoded().length - 1 <= maxBatchBytes)) {
      final Pending next = queue.poll();
      bytes += next.encoded().length - 1;
      batch.add(next);
    }
    inFlight++;
    return new Batch(batch, route);
  }

  /**
   * Requests from now on take another route than the outstanding ones (this node became the
   * leader: they go to its own server, while those went to the old leader, which may never answer
   * before the request timeout). The outstanding requests stop holding places in the window, so
   * that what queued behind them leaves at once; they still complete with their own answer or
   * failure. They are concurrent with every later request, so either may take effect first.
   */
  void rerouted() {
    final Batch batch;
    synchronized (this) {
      route++;
      inFlight = 0;
      batch = takeBatch();
    }
    if (batch != null) {
      send(batch);
    }
  }

  private void send(Batch taken) {
    final List<Pending> batch = taken.requests();
    CompletableFuture<Reply> sent;
    try {
      sent = send.apply(batch.size() == 1 ? batch.get(0).encoded()
          : combine.apply(batch.stream().map(Pending::encoded).toList()));
    } catch (RuntimeException e) {
      sent = CompletableFuture.failedFuture(e);
    }
    sent.whenComplete((reply, error) -> {
      final Batch next;
      synchronized (this) {
        if (taken.route() == route) {
          inFlight--;
        }
        next = takeBatch();
      }
      if (next != null) {
        send(next); // first keep the pipeline full, then answer this batch's callers
      }
      answer(batch, reply, error);
    });
  }

  private static void answer(List<Pending> batch, Reply reply, Throwable error) {
    if (error != null) {
      batch.forEach(p -> p.reply().completeExceptionally(error));
    } else if (batch.size() == 1) {
      batch.get(0).reply().complete(reply);
    } else if (reply instanceof Reply.Batch b && b.replies().size() == batch.size()) {
      for (int i = 0; i < batch.size(); i++) {
        batch.get(i).reply().complete(b.replies().get(i));
      }
    } else {
      final IllegalStateException wrong = new IllegalStateException("a batch of " + batch.size()
          + " requests was answered with " + reply);
      batch.forEach(p -> p.reply().completeExceptionally(wrong));
    }
  }
}
