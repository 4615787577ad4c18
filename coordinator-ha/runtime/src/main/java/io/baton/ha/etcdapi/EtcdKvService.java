package io.baton.ha.etcdapi;

import com.google.protobuf.ByteString;
import io.baton.store.Compare;
import io.baton.store.KeyValue;
import io.baton.store.MetadataStore;
import io.baton.store.Op;
import io.baton.store.ReadConsistency;
import io.baton.store.ReadResult;
import io.baton.store.Txn;
import io.etcd.jetcd.api.CompactionRequest;
import io.etcd.jetcd.api.CompactionResponse;
import io.etcd.jetcd.api.DeleteRangeRequest;
import io.etcd.jetcd.api.DeleteRangeResponse;
import io.etcd.jetcd.api.KVGrpc;
import io.etcd.jetcd.api.PutRequest;
import io.etcd.jetcd.api.PutResponse;
import io.etcd.jetcd.api.RangeRequest;
import io.etcd.jetcd.api.RangeResponse;
import io.etcd.jetcd.api.RequestOp;
import io.etcd.jetcd.api.ResponseOp;
import io.etcd.jetcd.api.TxnRequest;
import io.etcd.jetcd.api.TxnResponse;
import io.grpc.Status;
import io.grpc.stub.StreamObserver;
import io.quarkus.grpc.GrpcService;
import jakarta.inject.Inject;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.concurrent.CompletableFuture;

/**
 * etcd's KV service ({@code etcdserverpb.KV}) on the node's store.
 *
 * <p>Range reads the store (linearizable, or from this node's replica when serializable) and
 * applies etcd's options (limit, sort, keys/count only, revision bounds). A plain Put is one
 * store write. Everything that needs what a key holds before it writes (a Put with prev_kv,
 * ignore_value or ignore_lease, a DeleteRange, a Txn) runs optimistically: it reads the keys it
 * names, decides, and commits its writes in one store transaction that also requires every key it
 * read to be unchanged (same mod revision, or still absent); if one changed, it starts over (at
 * most {@value #ATTEMPTS} times). So it is atomic for the keys it read; a key <em>created</em> in a
 * range between the read and the commit is not in the answer (and a DeleteRange over a range that
 * is not a prefix does not delete it).
 *
 * <p>Keys under {@value #RESERVED} are Baton's own: read-only here (a put or a delete naming one is
 * refused; a range delete over them deletes the others only).
 *
 * <p>Baton keeps only the latest version of each key: a read at an older revision fails as etcd
 * fails a read at a compacted revision, and Compact is accepted and changes nothing. Not supported
 * (UNIMPLEMENTED, saying so): nested transactions, compares over a key range, a range at a
 * revision inside a transaction.
 */
@GrpcService
@jakarta.inject.Singleton
public class EtcdKvService extends KVGrpc.KVImplBase {
  static final int ATTEMPTS = 8;

  @Inject
  EtcdApi api;

  @Override
  public void range(RangeRequest request, StreamObserver<RangeResponse> out) {
    api.call(out, () -> {
      final KeyRange range = KeyRange.of(request.getKey(), request.getRangeEnd());
      return read(range, request.getSerializable() ? ReadConsistency.STALE : ReadConsistency.LINEARIZABLE)
          .thenApply(r -> {
            if (request.getRevision() > r.revision()) {
              throw EtcdApi.etcdError(Status.OUT_OF_RANGE, "etcdserver: mvcc: required revision is a future revision");
            }
            if (request.getRevision() > 0 && request.getRevision() < r.revision()) {
              throw EtcdApi.etcdError(Status.OUT_OF_RANGE, "etcdserver: mvcc: required revision has been compacted");
            }
            return rangeResponse(request, r.kvs(), r.revision());
          });
    });
  }

  @Override
  public void put(PutRequest request, StreamObserver<PutResponse> out) {
    api.call(out, () -> {
      if (!request.getPrevKv() && !request.getIgnoreValue() && !request.getIgnoreLease()) {
        final String key = writable(EtcdApi.key(request.getKey()));
        return api.store().put(key, request.getValue().toByteArray(), request.getLease())
            .thenApply(rev -> PutResponse.newBuilder().setHeader(api.header(rev)).build());
      }
      return txn(TxnRequest.newBuilder().addSuccess(RequestOp.newBuilder().setRequestPut(request)).build(), 1)
          .thenApply(t -> t.getResponses(0).getResponsePut());
    });
  }

  @Override
  public void deleteRange(DeleteRangeRequest request, StreamObserver<DeleteRangeResponse> out) {
    api.call(out, () -> txn(TxnRequest.newBuilder().addSuccess(RequestOp.newBuilder().setRequestDeleteRange(request))
        .build(), 1).thenApply(t -> t.getResponses(0).getResponseDeleteRange()));
  }

  @Override
  public void txn(TxnRequest request, StreamObserver<TxnResponse> out) {
    api.call(out, () -> txn(request, 1));
  }

  @Override
  public void compact(CompactionRequest request, StreamObserver<CompactionResponse> out) {
    api.call(out, () -> api.store().range("baton/", ReadConsistency.LINEARIZABLE).thenApply(r -> {
      if (request.getRevision() > r.revision()) {
        throw EtcdApi.etcdError(Status.OUT_OF_RANGE, "etcdserver: mvcc: required revision is a future revision");
      }
      return CompactionResponse.newBuilder().setHeader(api.header(r.revision())).build();
    }));
  }

  /** Baton's own keys (roles, epochs, sessions, the etcd API's lease records): read-only through the etcd API. */
  static final String RESERVED = "baton/";

  static boolean reserved(String key) {
    return key.startsWith(RESERVED);
  }

  private static String writable(String key) {
    if (reserved(key)) {
      throw EtcdApi.etcdError(Status.INVALID_ARGUMENT, "keys under " + RESERVED + " are Baton's own (roles, epochs,"
          + " sessions): read them through the etcd API, do not write them (" + key + ")");
    }
    return key;
  }

  // ---- reads -----------------------------------------------------------------------------

  private CompletableFuture<ReadResult> read(KeyRange range, ReadConsistency consistency) {
    final MetadataStore store = api.store();
    if (range.kind() == KeyRange.Kind.SINGLE) {
      return store.get(range.from(), consistency);
    }
    return store.range(range.readPrefix(), consistency).thenApply(r -> range.kind() == KeyRange.Kind.PREFIX ? r
        : new ReadResult(r.kvs().stream().filter(range::contains).toList(), r.revision(), r.appliedIndex()));
  }

  private RangeResponse rangeResponse(RangeRequest request, List<KeyValue> found, long revision) {
    List<KeyValue> kvs = found.stream().filter(kv -> within(kv, request)).toList();
    final Comparator<KeyValue> order = switch (request.getSortTarget()) {
      case VERSION -> Comparator.comparingLong(KeyValue::version);
      case CREATE -> Comparator.comparingLong(KeyValue::createRevision);
      case MOD -> Comparator.comparingLong(KeyValue::modRevision);
      case VALUE -> (a, b) -> Arrays.compareUnsigned(a.value(), b.value());
      default -> (a, b) -> KeyRange.compare(a.key(), b.key());
    };
    RangeRequest.SortOrder sort = request.getSortOrder();
    if (sort == RangeRequest.SortOrder.NONE && request.getSortTarget() != RangeRequest.SortTarget.KEY) {
      sort = RangeRequest.SortOrder.ASCEND;
    }
    if (sort == RangeRequest.SortOrder.ASCEND || sort == RangeRequest.SortOrder.NONE) {
      kvs = kvs.stream().sorted(order).toList();
    } else if (sort == RangeRequest.SortOrder.DESCEND) {
      kvs = kvs.stream().sorted(order.reversed()).toList();
    }
    final RangeResponse.Builder b = RangeResponse.newBuilder().setHeader(api.header(revision)).setCount(kvs.size());
    if (request.getCountOnly()) {
      return b.build();
    }
    final long limit = request.getLimit();
    final List<KeyValue> page = limit > 0 && kvs.size() > limit ? kvs.subList(0, (int) limit) : kvs;
    page.forEach(kv -> b.addKvs(EtcdApi.toProto(kv, request.getKeysOnly())));
    return b.setMore(page.size() < kvs.size()).build();
  }

  private static boolean within(KeyValue kv, RangeRequest r) {
    return (r.getMinModRevision() == 0 || kv.modRevision() >= r.getMinModRevision())
        && (r.getMaxModRevision() == 0 || kv.modRevision() <= r.getMaxModRevision())
        && (r.getMinCreateRevision() == 0 || kv.createRevision() >= r.getMinCreateRevision())
        && (r.getMaxCreateRevision() == 0 || kv.createRevision() <= r.getMaxCreateRevision());
  }

  // ---- transactions ----------------------------------------------------------------------

  /** Reads what {@code request} names, decides, and commits pinned to what it read; starts over when a key changed. */
  private CompletableFuture<TxnResponse> txn(TxnRequest request, int attempt) {
    final Map<KeyRange, CompletableFuture<ReadResult>> reads = new LinkedHashMap<>();
    for (io.etcd.jetcd.api.Compare c : request.getCompareList()) {
      if (!c.getRangeEnd().isEmpty()) {
        throw EtcdApi.etcdError(Status.UNIMPLEMENTED, "Baton's etcd API does not compare over a key range (range_end)");
      }
      reads.computeIfAbsent(KeyRange.of(c.getKey(), ByteString.EMPTY), r -> read(r, ReadConsistency.LINEARIZABLE));
    }
    for (RequestOp op : concat(request.getSuccessList(), request.getFailureList())) {
      final KeyRange range = switch (op.getRequestCase()) {
        case REQUEST_RANGE -> {
          if (op.getRequestRange().getRevision() != 0) {
            throw EtcdApi.etcdError(Status.UNIMPLEMENTED, "Baton's etcd API does not read at a revision inside a transaction");
          }
          yield KeyRange.of(op.getRequestRange().getKey(), op.getRequestRange().getRangeEnd());
        }
        case REQUEST_PUT -> KeyRange.of(op.getRequestPut().getKey(), ByteString.EMPTY);
        case REQUEST_DELETE_RANGE -> KeyRange.of(op.getRequestDeleteRange().getKey(), op.getRequestDeleteRange().getRangeEnd());
        case REQUEST_TXN -> throw EtcdApi.etcdError(Status.UNIMPLEMENTED, "Baton's etcd API does not run nested transactions");
        default -> throw EtcdApi.etcdError(Status.INVALID_ARGUMENT, "etcdserver: empty request in a transaction");
      };
      reads.computeIfAbsent(range, r -> read(r, ReadConsistency.LINEARIZABLE));
    }
    return CompletableFuture.allOf(reads.values().toArray(CompletableFuture[]::new)).thenCompose(v -> {
      final Map<KeyRange, List<KeyValue>> seen = new LinkedHashMap<>();
      final Map<String, KeyValue> state = new TreeMap<>();
      final Map<String, Long> pins = new TreeMap<>();
      reads.forEach((range, read) -> {
        final List<KeyValue> kvs = read.join().kvs();
        seen.put(range, kvs);
        kvs.forEach(kv -> state.put(kv.key(), kv));
        kvs.forEach(kv -> pins.put(kv.key(), kv.modRevision()));
        if (range.kind() == KeyRange.Kind.SINGLE) {
          pins.putIfAbsent(range.from(), 0L); // still absent
        }
      });
      final boolean succeeded = request.getCompareList().stream().allMatch(c -> holds(c, state.get(EtcdApi.key(c.getKey()))));
      final List<RequestOp> branch = succeeded ? request.getSuccessList() : request.getFailureList();
      final List<Op> ops = new ArrayList<>();
      final List<java.util.function.LongFunction<ResponseOp>> answers = new ArrayList<>();
      final Set<String> written = new HashSet<>();
      for (RequestOp op : branch) {
        switch (op.getRequestCase()) {
          case REQUEST_RANGE -> {
            final RangeRequest r = op.getRequestRange();
            final List<KeyValue> kvs = seen.get(KeyRange.of(r.getKey(), r.getRangeEnd()));
            answers.add(rev -> ResponseOp.newBuilder().setResponseRange(rangeResponse(r, kvs, rev)).build());
          }
          case REQUEST_PUT -> {
            final PutRequest p = op.getRequestPut();
            final String key = writable(EtcdApi.key(p.getKey()));
            final KeyValue before = state.get(key);
            if ((p.getIgnoreValue() || p.getIgnoreLease()) && before == null) {
              throw EtcdApi.etcdError(Status.INVALID_ARGUMENT, "etcdserver: key not found");
            }
            if (!written.add(key)) {
              throw EtcdApi.etcdError(Status.INVALID_ARGUMENT, "etcdserver: duplicate key given in txn request");
            }
            ops.add(new Op.Put(key, p.getIgnoreValue() ? before.value() : p.getValue().toByteArray(),
                p.getIgnoreLease() ? before.leaseId() : p.getLease()));
            answers.add(rev -> {
              final PutResponse.Builder b = PutResponse.newBuilder().setHeader(api.header(rev));
              if (p.getPrevKv() && before != null) {
                b.setPrevKv(EtcdApi.toProto(before, false));
              }
              return ResponseOp.newBuilder().setResponsePut(b).build();
            });
          }
          case REQUEST_DELETE_RANGE -> {
            final DeleteRangeRequest d = op.getRequestDeleteRange();
            final KeyRange range = KeyRange.of(d.getKey(), d.getRangeEnd());
            if (range.kind() == KeyRange.Kind.SINGLE || range.kind() == KeyRange.Kind.PREFIX) {
              writable(range.from());
            }
            // a range over Baton's own keys deletes the others only
            final List<KeyValue> gone = seen.get(range).stream().filter(kv -> !reserved(kv.key())).toList();
            for (KeyValue kv : gone) {
              if (!written.add(kv.key())) {
                throw EtcdApi.etcdError(Status.INVALID_ARGUMENT, "etcdserver: duplicate key given in txn request");
              }
            }
            if ((range.kind() == KeyRange.Kind.PREFIX || range.kind() == KeyRange.Kind.ALL)
                && !RESERVED.startsWith(range.readPrefix())) {
              if (!gone.isEmpty()) {
                ops.add(Op.deletePrefix(range.readPrefix()));
              }
            } else {
              gone.forEach(kv -> ops.add(Op.delete(kv.key())));
            }
            answers.add(rev -> {
              final DeleteRangeResponse.Builder b = DeleteRangeResponse.newBuilder().setHeader(api.header(rev))
                  .setDeleted(gone.size());
              if (d.getPrevKv()) {
                gone.forEach(kv -> b.addPrevKvs(EtcdApi.toProto(kv, false)));
              }
              return ResponseOp.newBuilder().setResponseDeleteRange(b).build();
            });
          }
          default -> throw new IllegalStateException("checked above: " + op.getRequestCase());
        }
      }
      final List<Compare> unchanged = new ArrayList<>();
      pins.forEach((key, modRevision) -> unchanged.add(Compare.modRevision(key, modRevision)));
      return api.store().txn(Txn.of(unchanged, ops)).thenCompose(result -> {
        if (!result.succeeded()) {
          if (attempt >= ATTEMPTS) {
            throw EtcdApi.etcdError(Status.UNAVAILABLE, "Baton's etcd API: the keys this request reads kept changing ("
                + ATTEMPTS + " attempts); retry");
          }
          return txn(request, attempt + 1);
        }
        final TxnResponse.Builder b = TxnResponse.newBuilder().setHeader(api.header(result.revision()))
            .setSucceeded(succeeded);
        answers.forEach(a -> b.addResponses(a.apply(result.revision())));
        return CompletableFuture.completedFuture(b.build());
      });
    });
  }

  private static List<RequestOp> concat(List<RequestOp> a, List<RequestOp> b) {
    final List<RequestOp> all = new ArrayList<>(a);
    all.addAll(b);
    return all;
  }

  /** etcd's compare: a value compare on an absent key fails; numbers of an absent key are 0. */
  static boolean holds(io.etcd.jetcd.api.Compare c, KeyValue kv) {
    final int order;
    switch (c.getTarget()) {
      case VALUE -> {
        if (kv == null) {
          return false;
        }
        order = Integer.signum(Arrays.compareUnsigned(kv.value(), c.getValue().toByteArray()));
      }
      case VERSION -> order = Long.compare(kv == null ? 0 : kv.version(), c.getVersion());
      case CREATE -> order = Long.compare(kv == null ? 0 : kv.createRevision(), c.getCreateRevision());
      case MOD -> order = Long.compare(kv == null ? 0 : kv.modRevision(), c.getModRevision());
      default -> throw EtcdApi.etcdError(Status.INVALID_ARGUMENT, "unknown compare target " + c.getTarget());
    }
    return switch (c.getResult()) {
      case EQUAL -> order == 0;
      case GREATER -> order > 0;
      case LESS -> order < 0;
      case NOT_EQUAL -> order != 0;
      default -> throw EtcdApi.etcdError(Status.INVALID_ARGUMENT, "unknown compare result " + c.getResult());
    };
  }
}
