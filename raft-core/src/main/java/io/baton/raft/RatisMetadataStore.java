package io.baton.raft;

import io.baton.store.BatonException;
import io.baton.store.ClosedException;
import io.baton.store.Futures;
import io.baton.store.MetadataStore;
import io.baton.store.NoQuorumException;
import io.baton.store.NotLeaderException;
import io.baton.store.ReadConsistency;
import io.baton.store.ReadResult;
import io.baton.store.StaleEpochException;
import io.baton.store.Txn;
import io.baton.store.TxnResult;
import io.baton.store.Watch;
import io.baton.store.WatchListener;
import java.io.IOException;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.function.Function;
import org.apache.ratis.client.RaftClient;
import org.apache.ratis.protocol.Message;
import org.apache.ratis.protocol.RaftClientReply;
import org.apache.ratis.protocol.exceptions.AlreadyClosedException;
import org.apache.ratis.protocol.exceptions.StateMachineException;

/**
 * The {@link MetadataStore} over a Ratis client: writes and linearizable reads go to the leader
 * (the client finds it and follows leader changes); stale reads and watches are served by the
 * local replica when there is one.
 *
 * <p>Ratis' ordered client fails every later request once one request has exhausted its retries
 * (its sliding window keeps the failure). So after a request times out or exhausts its retries,
 * this store closes that client and continues with a fresh one from its factory: one lost
 * majority must not poison the node for good.
 */
final class RatisMetadataStore implements MetadataStore {
  private static final org.slf4j.Logger LOG = org.slf4j.LoggerFactory.getLogger(RatisMetadataStore.class);

  /**
   * Writes (and, apart, linearizable reads) this store keeps outstanding before the next ones queue
   * for a batch: one. Measured with the etcd API's put benchmark (3 nodes, 64 clients, 2026-12-04):
   * one request at a time per node did 3690 puts/s, two 2813, none batched 1073; a node's single
   * request still overlaps with the other nodes' in the leader's log.
   */
  static final int IN_FLIGHT = 1;

  /** The most requests in one batch (a batch is also bounded by the request size limit). */
  static final int MAX_BATCH = 256;

  private final String name;
  private final java.util.function.Supplier<RaftClient> clientFactory;
  private final java.util.concurrent.atomic.AtomicReference<RaftClient> client;
  private final MetadataStateMachine local;
  private final LocalServer localServer;
  private final RequestValidator validator;
  private final Duration requestTimeout;
  private final RequestBatcher writes;
  private final RequestBatcher reads;
  private volatile boolean closed;

  /** This node's own Raft server, for requests made while it leads. */
  interface LocalServer {
    /** Submits {@code message} to this node's server if it leads now; null if it does not. */
    CompletableFuture<RaftClientReply> submitIfLeader(Message message, boolean read);
  }

  /**
   * @param local       this node's replica, or null for a client without one
   * @param localServer this node's server, or null for a client without one
   */
  RatisMetadataStore(String name, java.util.function.Supplier<RaftClient> clientFactory, MetadataStateMachine local,
      LocalServer localServer, RequestValidator validator, Duration requestTimeout) {
    this.name = name;
    this.clientFactory = clientFactory;
    this.client = new java.util.concurrent.atomic.AtomicReference<>(clientFactory.get());
    this.local = local;
    this.localServer = localServer;
    this.validator = validator;
    this.requestTimeout = requestTimeout;
    this.writes = new RequestBatcher(bytes -> write(bytes, Function.identity()), Codec::batch, IN_FLIGHT,
        validator.maxRequestBytes(), MAX_BATCH);
    this.reads = new RequestBatcher(bytes -> readFromLeader(bytes, Function.identity()), Codec::readBatch, IN_FLIGHT,
        validator.maxRequestBytes(), MAX_BATCH);
  }

  @Override
  public CompletableFuture<ReadResult> get(String key, ReadConsistency consistency) {
    return read(new Command.Get(key, consistency == ReadConsistency.STALE), consistency);
  }

  @Override
  public CompletableFuture<ReadResult> range(String prefix, ReadConsistency consistency) {
    return read(new Command.Range(prefix, consistency == ReadConsistency.STALE), consistency);
  }

  @Override
  public CompletableFuture<TxnResult> txn(Txn txn) {
    final byte[] bytes;
    try {
      bytes = encodeValid(new Command.TxnCommand(txn));
    } catch (RuntimeException e) {
      return CompletableFuture.failedFuture(e);
    }
    return writes.submit(bytes).thenApply(reply -> {
      final Reply.TxnDone done = expect(reply, Reply.TxnDone.class, txn.fence() == null ? 0 : txn.fence().revision());
      return new TxnResult(done.succeeded(), done.revision());
    });
  }

  @Override
  public Watch watch(String prefix, long fromRevision, WatchListener listener) {
    if (closed) {
      throw new ClosedException("metadata store closed");
    }
    if (local == null) {
      throw new UnsupportedOperationException("watch needs a local replica: call it on a RaftNode's store");
    }
    return local.watch(prefix, fromRevision, listener);
  }

  @Override
  public CompletableFuture<Long> grantLease(Duration ttl) {
    return write(new Command.LeaseGrant(ttl.toMillis()), r -> expect(r, Reply.LeaseGranted.class).leaseId());
  }

  @Override
  public CompletableFuture<Void> keepAlive(long leaseId) {
    return write(new Command.LeaseKeepAlive(leaseId), r -> {
      expect(r, Reply.LeaseDone.class);
      return null;
    });
  }

  @Override
  public CompletableFuture<Long> revokeLease(long leaseId) {
    return write(new Command.LeaseRevoke(leaseId), r -> expect(r, Reply.LeaseDone.class).revision());
  }

  /** Proposes a lease expiry (the leader's expiry clock uses this). */
  CompletableFuture<Long> expireLease(long leaseId) {
    return write(new Command.LeaseExpire(leaseId), r -> expect(r, Reply.LeaseDone.class).revision());
  }

  void close() {
    closed = true;
    closeQuietly(client.get());
  }

  private static void closeQuietly(RaftClient c) {
    try {
      c.close();
    } catch (IOException | RuntimeException e) {
      // closing only releases channels
    }
  }

  /**
   * Closes replaced clients. Closing a Ratis client waits for each of its gRPC channels to
   * terminate (up to 3 s + 2 s each), and {@link #replace} runs in a request's completion, often on
   * the JDK's one shared timer thread of {@code orTimeout}: closing there would hold up every other
   * request's timeout in the process meanwhile.
   */
  private static final java.util.concurrent.Executor CLOSER = java.util.concurrent.Executors.newCachedThreadPool(r -> {
    final Thread t = new Thread(r, "baton-raft-client-close");
    t.setDaemon(true);
    return t;
  });

  /**
   * This node became the leader: requests from now on go to its own server. A batch forwarded to
   * the old leader just before it was cut off may get no answer until the request timeout, and
   * must not hold up what queued behind it (the new leader's claim of the roles among them).
   */
  void becameLeader() {
    writes.rerouted();
    reads.rerouted();
  }

  /** Replaces {@code failed} with a fresh client, unless that was done already or we are closed. */
  private void replace(RaftClient failed, RuntimeException why) {
    if (closed) {
      return;
    }
    final RaftClient fresh = clientFactory.get();
    if (client.compareAndSet(failed, fresh)) {
      LOG.info("{}: replacing Raft client {} with {} after: {}", name, failed.getId(), fresh.getId(), why.getMessage());
      CLOSER.execute(() -> closeQuietly(failed));
    } else {
      closeQuietly(fresh); // never used: no channel to wait for
    }
    if (closed) {
      closeQuietly(client.get());
    }
  }

  // ---- plumbing -------------------------------------------------------------------------

  private CompletableFuture<ReadResult> read(Command.Read command, ReadConsistency consistency) {
    final byte[] bytes;
    try {
      bytes = encodeValid(command);
    } catch (RuntimeException e) {
      return CompletableFuture.failedFuture(e);
    }
    if (consistency == ReadConsistency.STALE && local != null) {
      return CompletableFuture.completedFuture(local.readLocal(command));
    }
    // to the leader; without a local replica a stale read is served there without the lease check
    final Function<Reply, ReadResult> onReply = reply -> expect(reply, Reply.Read.class).result();
    if (consistency == ReadConsistency.STALE) {
      return readFromLeader(bytes, onReply);
    }
    return reads.submit(bytes).thenApply(onReply);
  }

  /** Sends an encoded, validated read (or batch of reads) to the leader. */
  private <T> CompletableFuture<T> readFromLeader(byte[] bytes, Function<Reply, T> onReply) {
    final Message message = MetadataStateMachine.toMessage(bytes);
    return direct(message, true, "read", onReply, () -> {
      final RaftClient c = client.get();
      return finish(c, c.async().sendReadOnlyUnordered(message), "read", onReply);
    });
  }

  private <T> CompletableFuture<T> write(Command.Write command, Function<Reply, T> onReply) {
    final byte[] bytes;
    try {
      bytes = encodeValid(command);
    } catch (RuntimeException e) {
      return CompletableFuture.failedFuture(e);
    }
    return write(bytes, onReply);
  }

  /** Sends an encoded, validated write. */
  private <T> CompletableFuture<T> write(byte[] bytes, Function<Reply, T> onReply) {
    final Message message = MetadataStateMachine.toMessage(bytes);
    return direct(message, false, "write", onReply, () -> {
      final RaftClient c = client.get();
      return finish(c, c.async().send(message), "write", onReply);
    });
  }

  /**
   * On the leader, hands the request to this node's own server, without a network round trip
   * (and without the client's leader discovery, which after an election may first try the old
   * leader). Anywhere else, or when leadership moved between the check and the submission
   * (nothing was appended then), sends it through the client as usual.
   */
  private <T> CompletableFuture<T> direct(Message message, boolean read, String what, Function<Reply, T> onReply,
      java.util.function.Supplier<CompletableFuture<T>> viaClient) {
    final CompletableFuture<RaftClientReply> submitted = localServer == null ? null
        : localServer.submitIfLeader(message, read);
    if (submitted == null) {
      return viaClient.get();
    }
    final CompletableFuture<T> result = new CompletableFuture<>();
    submitted.orTimeout(requestTimeout.toMillis(), TimeUnit.MILLISECONDS).whenComplete((reply, error) -> {
      try {
        if (error == null && !reply.isSuccess() && notAppended(reply.getException(), read)) {
          viaClient.get().whenComplete((v, e) -> {
            if (e != null) {
              result.completeExceptionally(Futures.unwrap(e));
            } else {
              result.complete(v);
            }
          });
        } else if (error != null) {
          result.completeExceptionally(translate(error, what));
        } else if (!reply.isSuccess()) {
          result.completeExceptionally(translate(reply.getException(), what));
        } else {
          result.complete(onReply.apply(Codec.decodeReply(reply.getMessage().getContent().asReadOnlyByteBuffer())));
        }
      } catch (RuntimeException e) {
        result.completeExceptionally(e);
      }
    });
    return result;
  }

  /**
   * A refusal that proves the request never entered the log, so that sending it again (as a new
   * request, through the client) cannot apply it twice. For a write, a NotLeaderException proves
   * nothing: Ratis answers every request still pending when a leader steps down with one, and such
   * a request may already be on a majority and commit under the next leader (the soak caught a put
   * applied twice that way, the second time over newer acknowledged writes). Only "not ready yet"
   * is refused before anything is appended.
   */
  private static boolean notAppended(Throwable e, boolean read) {
    if (e instanceof org.apache.ratis.protocol.exceptions.LeaderNotReadyException) {
      return true;
    }
    return read && (e instanceof org.apache.ratis.protocol.exceptions.NotLeaderException
        || e instanceof org.apache.ratis.protocol.exceptions.ReadException);
  }

  private byte[] encodeValid(Command command) {
    if (closed) {
      throw new ClosedException("metadata store closed");
    }
    final byte[] bytes = Codec.encode(command);
    validator.validate(command, bytes.length);
    return bytes;
  }

  private <T> CompletableFuture<T> finish(RaftClient c, CompletableFuture<RaftClientReply> sent, String what,
      Function<Reply, T> onReply) {
    final CompletableFuture<T> result = new CompletableFuture<>();
    sent.orTimeout(requestTimeout.toMillis(), TimeUnit.MILLISECONDS).whenComplete((reply, error) -> {
      try {
        if (error != null) {
          final RuntimeException failure = translate(error, what);
          if (failure instanceof NoQuorumException) {
            replace(c, failure);
          }
          result.completeExceptionally(failure);
        } else if (!reply.isSuccess()) {
          result.completeExceptionally(translate(reply.getException(), what));
        } else {
          result.complete(onReply.apply(Codec.decodeReply(reply.getMessage().getContent().asReadOnlyByteBuffer())));
        }
      } catch (RuntimeException e) {
        result.completeExceptionally(e);
      }
    });
    return result;
  }

  /** Turns a failed {@link Reply} into its exception, or returns the reply as {@code type}. */
  static <R extends Reply> R expect(Reply reply, Class<R> type) {
    return expect(reply, type, 0);
  }

  static <R extends Reply> R expect(Reply reply, Class<R> type, long fenceEpoch) {
    if (reply instanceof Reply.Failure f) {
      switch (f.code()) {
        case STALE_EPOCH -> throw new StaleEpochException(fenceEpoch, f.detail());
        case LEASE_NOT_FOUND -> throw new IllegalStateException(f.message());
        default -> throw new IllegalArgumentException(f.message());
      }
    }
    if (!type.isInstance(reply)) {
      throw new IllegalStateException("unexpected reply " + reply.getClass().getSimpleName()
          + " where " + type.getSimpleName() + " was expected");
    }
    return type.cast(reply);
  }

  private RuntimeException translate(Throwable error, String what) {
    final Throwable e = Futures.unwrap(error);
    if (e instanceof BatonException b) {
      return b;
    }
    if (e instanceof StateMachineException sme) {
      final Throwable cause = sme.getCause() != null ? sme.getCause() : sme;
      return new IllegalArgumentException(cause.getMessage(), sme);
    }
    if (e instanceof IllegalArgumentException || e instanceof IllegalStateException) {
      return (RuntimeException) e;
    }
    if (closed) {
      return new ClosedException(what + " failed: the store is closed (" + e.getMessage() + ")");
    }
    if (e instanceof org.apache.ratis.protocol.exceptions.NotLeaderException nle) {
      final String leader = nle.getSuggestedLeader() == null ? null : nle.getSuggestedLeader().getId().toString();
      if ("write".equals(what)) {
        // the leader may have stepped down while the write was pending, already on a majority
        return new NoQuorumException("write reached a node that is not, or no longer, the leader"
            + (leader == null ? "" : " (the leader is " + leader + ")") + "; it may still commit if a majority has it", e);
      }
      return new io.baton.store.NotLeaderException(what + " reached a node that is not the leader"
          + (leader == null ? "" : "; the leader is " + leader), leader);
    }
    // every other failure leaves a write's outcome unknown: an attempt may sit in some log and commit later
    final String unknown = "write".equals(what) ? "; it may still commit if a majority returns" : "";
    if (e instanceof AlreadyClosedException) {
      // an earlier request on the same client exhausted its retries; the client is being replaced
      return new NoQuorumException(what + " failed together with an earlier request that got no majority"
          + unknown + "; retry", e);
    }
    if (e instanceof TimeoutException) {
      return new NoQuorumException(what + " got no answer from a majority within " + requestTimeout.toMillis()
          + " ms" + unknown, e);
    }
    if (e instanceof IOException || e instanceof org.apache.ratis.protocol.exceptions.RaftException) {
      return new NoQuorumException(what + " failed, no majority reachable" + unknown + ": " + e.getMessage(), e);
    }
    return new NoQuorumException(what + " failed" + unknown + ": " + e, e);
  }
}
