package io.baton.etcd;

import io.baton.store.ClosedException;
import io.baton.store.CompactedException;
import io.baton.store.Compare;
import io.baton.store.Fence;
import io.baton.store.Futures;
import io.baton.store.KeyValue;
import io.baton.store.MetadataStore;
import io.baton.store.NoQuorumException;
import io.baton.store.Op;
import io.baton.store.ReadConsistency;
import io.baton.store.ReadResult;
import io.baton.store.RequestLimits;
import io.baton.store.StaleEpochException;
import io.baton.store.Txn;
import io.baton.store.TxnResult;
import io.baton.store.Watch;
import io.baton.store.WatchEvent;
import io.baton.store.WatchListener;
import io.etcd.jetcd.ByteSequence;
import io.etcd.jetcd.Client;
import io.etcd.jetcd.common.exception.EtcdException;
import io.etcd.jetcd.kv.GetResponse;
import io.etcd.jetcd.kv.TxnResponse;
import io.etcd.jetcd.op.Cmp;
import io.etcd.jetcd.op.CmpTarget;
import io.etcd.jetcd.options.DeleteOption;
import io.etcd.jetcd.options.GetOption;
import io.etcd.jetcd.options.PutOption;
import io.etcd.jetcd.options.WatchOption;
import io.etcd.jetcd.watch.WatchResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;

/**
 * The {@link MetadataStore} contract on an etcd cluster, through jetcd: etcd's own keys, revisions,
 * transactions, watches and leases, which the contract was modelled on.
 *
 * <p>A {@link Fence} is a compare of the fence key's mod revision; when it fails, the same
 * transaction reads the key, so a failed fence is told apart from a failed compare.
 *
 * <p>Differences from the Ratis store, all documented in the README: a lease TTL is rounded up
 * to whole seconds, and etcd may raise it to its own minimum; {@code STALE}
 * reads are etcd serializable reads of the member the client talks to; {@link ReadResult#appliedIndex()}
 * is 0. Every call fails with {@link NoQuorumException} when etcd does not answer within
 * {@code requestTimeout} (for a write: outcome unknown).
 */
public final class EtcdMetadataStore implements MetadataStore, AutoCloseable {
  private static final ByteSequence ALL = ByteSequence.from(new byte[] {0});

  /**
   * etcd's request header ({@code hasleader: true}) that makes a member without a leader (cut off
   * from its cluster's majority) reject a request at once with {@code UNAVAILABLE "etcdserver: no
   * leader"}, before doing anything, instead of holding it until the request times out (a write) or
   * answering from its stale copy (a serializable read, and a watch that would never see another
   * event). Build the client with {@code .header(REQUIRE_LEADER_HEADER, "true")}, as Baton does;
   * watches ask for it themselves.
   */
  public static final String REQUIRE_LEADER_HEADER = "hasleader";

  private final Client client;
  private final Duration requestTimeout;
  private final RequestLimits limits;
  private final AtomicBoolean closed = new AtomicBoolean();

  /**
   * With the contract's default limits ({@link RequestLimits#DEFAULT}: values up to 1 MiB; etcd's
   * own default request limit is 1.5 MiB).
   */
  public EtcdMetadataStore(Client client, Duration requestTimeout) {
    this(client, requestTimeout, RequestLimits.DEFAULT);
  }

  public EtcdMetadataStore(Client client, Duration requestTimeout, RequestLimits limits) {
    this.client = Objects.requireNonNull(client, "client");
    this.requestTimeout = Objects.requireNonNull(requestTimeout, "requestTimeout");
    this.limits = Objects.requireNonNull(limits, "limits");
  }

  /** The jetcd client (shared with the etcd elector). */
  public Client client() {
    return client;
  }

  @Override
  public CompletableFuture<ReadResult> get(String key, ReadConsistency consistency) {
    RequestLimits.requireKey(key, "key");
    return call("get " + key, () -> client.getKVClient().get(bytes(key),
        GetOption.builder().withSerializable(consistency == ReadConsistency.STALE).build()))
        .thenApply(EtcdMetadataStore::toResult);
  }

  @Override
  public CompletableFuture<ReadResult> range(String prefix, ReadConsistency consistency) {
    Objects.requireNonNull(prefix, "prefix");
    final GetOption.Builder option = GetOption.builder().withSerializable(consistency == ReadConsistency.STALE);
    final ByteSequence from = prefix.isEmpty() ? ALL : bytes(prefix);
    if (prefix.isEmpty()) {
      option.withRange(ALL);
    } else {
      option.isPrefix(true);
    }
    return call("range " + prefix, () -> client.getKVClient().get(from, option.build()))
        .thenApply(EtcdMetadataStore::toResult);
  }

  @Override
  public CompletableFuture<TxnResult> txn(Txn txn) {
    try {
      limits.validate(txn);
    } catch (IllegalArgumentException e) {
      return CompletableFuture.failedFuture(e);
    }
    final List<Cmp> cmps = new ArrayList<>();
    final Fence fence = txn.fence();
    if (fence != null) {
      cmps.add(new Cmp(bytes(fence.key()), Cmp.Op.EQUAL, CmpTarget.modRevision(fence.revision())));
    }
    for (Compare c : txn.compares()) {
      cmps.add(toCmp(c));
    }
    final List<io.etcd.jetcd.op.Op> ops = new ArrayList<>();
    for (Op op : txn.ops()) {
      ops.add(toOp(op));
    }
    // on failure, read the fence key in the same transaction: a failed fence is a stale epoch
    final io.etcd.jetcd.op.Op[] orElse = fence == null ? new io.etcd.jetcd.op.Op[0]
        : new io.etcd.jetcd.op.Op[] {io.etcd.jetcd.op.Op.get(bytes(fence.key()), GetOption.DEFAULT)};
    return call("txn", () -> client.getKVClient().txn().If(cmps.toArray(Cmp[]::new))
        .Then(ops.toArray(io.etcd.jetcd.op.Op[]::new)).Else(orElse).commit())
        .thenApply(r -> toTxnResult(txn, r));
  }

  private static TxnResult toTxnResult(Txn txn, TxnResponse r) {
    final long revision = r.getHeader().getRevision();
    if (!r.isSucceeded() && txn.fence() != null) {
      final List<io.etcd.jetcd.KeyValue> fenceKey = r.getGetResponses().isEmpty() ? List.of()
          : r.getGetResponses().get(0).getKvs();
      final long current = fenceKey.isEmpty() ? 0 : fenceKey.get(0).getModRevision();
      if (current != txn.fence().revision()) {
        throw new StaleEpochException(txn.fence().revision(), current);
      }
    }
    return new TxnResult(r.isSucceeded(), revision);
  }

  @Override
  public Watch watch(String prefix, long fromRevision, WatchListener listener) {
    Objects.requireNonNull(prefix, "prefix");
    Objects.requireNonNull(listener, "listener");
    if (closed.get()) {
      throw new ClosedException("etcd metadata store closed");
    }
    final AtomicLong next = new AtomicLong(fromRevision);
    final AtomicBoolean ended = new AtomicBoolean();
    // canceled by a member that loses its leader, so the watch is re-created on a member that has one
    final WatchOption.Builder option = WatchOption.builder().withRequireLeader(true);
    if (prefix.isEmpty()) {
      option.withRange(ALL);
    } else {
      option.isPrefix(true);
    }
    if (fromRevision > 0) {
      option.withRevision(fromRevision);
    }
    final io.etcd.jetcd.Watch.Watcher watcher = client.getWatchClient().watch(prefix.isEmpty() ? ALL : bytes(prefix),
        option.build(), new io.etcd.jetcd.Watch.Listener() {
          @Override
          public void onNext(WatchResponse response) {
            if (ended.get()) {
              return;
            }
            if (response.isCreatedNotify() && next.get() == 0) {
              next.compareAndSet(0, response.getHeader().getRevision() + 1);
            }
            if (response.isProgressNotify()) {
              // every event up to the header's revision has been sent
              next.accumulateAndGet(response.getHeader().getRevision() + 1, Math::max);
            }
            // etcd never splits a revision's events across responses (no fragmenting asked for):
            // a revision is complete at the next revision's first event and at the response's end
            long revision = 0;
            for (io.etcd.jetcd.watch.WatchEvent e : response.getEvents()) {
              final KeyValue kv = toKeyValue(e.getKeyValue());
              if (revision != 0 && kv.modRevision() != revision) {
                next.set(revision + 1);
                listener.onProgress(revision + 1);
              }
              revision = kv.modRevision();
              listener.onEvent(new WatchEvent(e.getEventType() == io.etcd.jetcd.watch.WatchEvent.EventType.DELETE
                  ? WatchEvent.Type.DELETE : WatchEvent.Type.PUT, kv, revision));
            }
            if (revision != 0) {
              next.set(revision + 1);
              listener.onProgress(revision + 1);
            }
          }

          @Override
          public void onError(Throwable error) {
            if (ended.compareAndSet(false, true)) {
              final Throwable cause = Futures.unwrap(error);
              if (cause instanceof io.etcd.jetcd.common.exception.CompactedException c) {
                listener.onError(new CompactedException(fromRevision, c.getCompactedRevision()));
              } else {
                listener.onError(new NoQuorumException("etcd watch on '" + prefix + "' failed: " + cause, cause));
              }
            }
          }

          @Override
          public void onCompleted() {
            ended.set(true);
          }
        });
    return new Watch() {
      @Override
      public long nextRevision() {
        return next.get();
      }

      @Override
      public void requestProgress() {
        if (!ended.get()) {
          watcher.requestProgress();
        }
      }

      @Override
      public void close() {
        ended.set(true);
        watcher.close();
      }
    };
  }

  @Override
  public CompletableFuture<Long> grantLease(Duration ttl) {
    if (ttl.isNegative() || ttl.isZero()) {
      return CompletableFuture.failedFuture(new IllegalArgumentException("lease TTL must be positive, got " + ttl));
    }
    final long seconds = Math.max(1, (ttl.toMillis() + 999) / 1000);
    return call("lease grant", () -> client.getLeaseClient().grant(seconds)).thenApply(r -> r.getID());
  }

  @Override
  public CompletableFuture<Void> keepAlive(long leaseId) {
    return call("lease keep-alive", () -> client.getLeaseClient().keepAliveOnce(leaseId)).thenApply(r -> {
      if (r.getTTL() <= 0) {
        throw new IllegalStateException("lease " + Long.toHexString(leaseId) + " expired or was revoked");
      }
      return null;
    });
  }

  @Override
  public CompletableFuture<Long> revokeLease(long leaseId) {
    return call("lease revoke", () -> client.getLeaseClient().revoke(leaseId))
        .thenApply(r -> r.getHeader().getRevision())
        .exceptionallyCompose(e -> Futures.unwrap(e) instanceof IllegalStateException // gone already: a no-op
            ? range("", ReadConsistency.LINEARIZABLE).thenApply(ReadResult::revision)
            : CompletableFuture.failedFuture(Futures.unwrap(e)));
  }

  /** Closes the jetcd client. */
  @Override
  public void close() {
    if (closed.compareAndSet(false, true)) {
      client.close();
    }
  }

  // ---- conversions -----------------------------------------------------------------------

  private static ByteSequence bytes(String s) {
    return ByteSequence.from(s, StandardCharsets.UTF_8);
  }

  private static ReadResult toResult(GetResponse r) {
    final List<KeyValue> kvs = new ArrayList<>(r.getKvs().size());
    for (io.etcd.jetcd.KeyValue kv : r.getKvs()) {
      kvs.add(toKeyValue(kv));
    }
    return new ReadResult(kvs, r.getHeader().getRevision(), 0);
  }

  private static KeyValue toKeyValue(io.etcd.jetcd.KeyValue kv) {
    return new KeyValue(kv.getKey().toString(StandardCharsets.UTF_8), kv.getValue().getBytes(), kv.getCreateRevision(),
        kv.getModRevision(), kv.getVersion(), kv.getLease());
  }

  private static Cmp toCmp(Compare c) {
    final ByteSequence key = bytes(c.key());
    return switch (c.target()) {
      case VALUE -> new Cmp(key, Cmp.Op.EQUAL, CmpTarget.value(ByteSequence.from(c.value())));
      case MOD_REVISION -> new Cmp(key, Cmp.Op.EQUAL, CmpTarget.modRevision(c.number()));
      case CREATE_REVISION -> new Cmp(key, Cmp.Op.EQUAL, CmpTarget.createRevision(c.number()));
      case VERSION -> new Cmp(key, Cmp.Op.EQUAL, CmpTarget.version(c.number()));
    };
  }

  private static io.etcd.jetcd.op.Op toOp(Op op) {
    if (op instanceof Op.Put p) {
      final PutOption.Builder o = PutOption.builder();
      if (p.leaseId() != 0) {
        o.withLeaseId(p.leaseId());
      }
      return io.etcd.jetcd.op.Op.put(bytes(p.key()), ByteSequence.from(p.value()), o.build());
    } else if (op instanceof Op.Delete d) {
      return io.etcd.jetcd.op.Op.delete(bytes(d.key()), DeleteOption.DEFAULT);
    } else if (op instanceof Op.DeletePrefix d) {
      return d.prefix().isEmpty() ? io.etcd.jetcd.op.Op.delete(ALL, DeleteOption.builder().withRange(ALL).build())
          : io.etcd.jetcd.op.Op.delete(bytes(d.prefix()), DeleteOption.builder().isPrefix(true).build());
    }
    throw new IllegalArgumentException("unknown op " + op);
  }

  // ---- validation and errors --------------------------------------------------------------


  private <T> CompletableFuture<T> call(String what, java.util.function.Supplier<CompletableFuture<T>> request) {
    if (closed.get()) {
      return CompletableFuture.failedFuture(new ClosedException("etcd metadata store closed"));
    }
    final CompletableFuture<T> f;
    try {
      f = request.get();
    } catch (RuntimeException e) {
      return CompletableFuture.failedFuture(translate(what, e));
    }
    return f.orTimeout(requestTimeout.toMillis(), TimeUnit.MILLISECONDS)
        .exceptionallyCompose(e -> CompletableFuture.failedFuture(translate(what, e)));
  }

  private Throwable translate(String what, Throwable error) {
    final Throwable e = Futures.unwrap(error);
    if (e instanceof TimeoutException) {
      return new NoQuorumException("etcd did not answer " + what + " within " + requestTimeout.toMillis()
          + " ms; a write's outcome is unknown", e);
    }
    final String code = e instanceof EtcdException etcd ? etcd.getErrorCode().name()
        : e instanceof io.grpc.StatusRuntimeException status ? status.getStatus().getCode().name() : null;
    if (code != null) {
      switch (code) {
        case "NOT_FOUND":
          return new IllegalStateException(what + ": " + e.getMessage(), e);
        case "INVALID_ARGUMENT":
        case "OUT_OF_RANGE":
        case "FAILED_PRECONDITION":
          return new IllegalArgumentException(what + ": " + e.getMessage(), e);
        default:
          return new NoQuorumException("etcd failed " + what + ": " + e.getMessage(), e);
      }
    }
    if (e instanceof RuntimeException && !(e instanceof CompletionException)) {
      return e;
    }
    return new NoQuorumException("etcd failed " + what + ": " + e, e);
  }
}
