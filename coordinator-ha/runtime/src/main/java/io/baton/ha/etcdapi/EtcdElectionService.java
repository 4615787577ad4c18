package io.baton.ha.etcdapi;

import com.google.protobuf.ByteString;
import io.baton.store.BatonException;
import io.baton.store.Compare;
import io.baton.store.KeyValue;
import io.baton.store.Op;
import io.baton.store.ReadConsistency;
import io.baton.store.Txn;
import io.baton.store.Watch;
import io.baton.store.WatchEvent;
import io.baton.store.WatchListener;
import io.etcd.jetcd.api.CampaignRequest;
import io.etcd.jetcd.api.CampaignResponse;
import io.etcd.jetcd.api.ElectionGrpc;
import io.etcd.jetcd.api.LeaderKey;
import io.etcd.jetcd.api.LeaderRequest;
import io.etcd.jetcd.api.LeaderResponse;
import io.etcd.jetcd.api.ProclaimRequest;
import io.etcd.jetcd.api.ProclaimResponse;
import io.etcd.jetcd.api.ResignRequest;
import io.etcd.jetcd.api.ResignResponse;
import io.grpc.Status;
import io.grpc.stub.ServerCallStreamObserver;
import io.grpc.stub.StreamObserver;
import io.quarkus.grpc.GrpcService;
import jakarta.inject.Inject;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicReference;

/**
 * etcd's election service ({@code v3electionpb.Election}: what {@code etcdctl elect} uses) on the
 * store, with etcd's own recipe: a candidate puts {@code <name>/<lease id in hex>} bound to its
 * lease if absent; the key with the lowest create revision leads; Campaign returns once every key
 * created before the candidate's is gone; Proclaim and Resign act only while the candidate's key
 * still has the create revision its campaign gave it. A Campaign whose call is canceled resigns.
 * Errors as etcd's: {@code election: no leader}, {@code election: not leader} (gRPC UNKNOWN).
 */
@GrpcService
@jakarta.inject.Singleton
public class EtcdElectionService extends ElectionGrpc.ElectionImplBase {
  @Inject
  EtcdApi api;

  @Override
  public void campaign(CampaignRequest request, StreamObserver<CampaignResponse> out) {
    final ServerCallStreamObserver<CampaignResponse> call = (ServerCallStreamObserver<CampaignResponse>) out;
    final AtomicBoolean canceled = new AtomicBoolean();
    final AtomicReference<Watch> waiting = new AtomicReference<>();
    final AtomicReference<LeaderKey> candidacy = new AtomicReference<>();
    call.setOnCancelHandler(() -> {
      canceled.set(true);
      final Watch w = waiting.getAndSet(null);
      if (w != null) {
        w.close();
      }
      final LeaderKey mine = candidacy.get();
      if (mine != null) {
        // as etcd: a campaign given up resigns
        resign(mine).whenComplete((rev, error) -> {
          if (error != null) {
            api.unreported("resigning the abandoned campaign " + mine.getKey().toStringUtf8()
                + " (it stays a candidate until its lease ends)", error);
          }
        });
      }
    });
    api.call(out, () -> {
      if (request.getLease() == 0) {
        throw EtcdApi.etcdError(Status.INVALID_ARGUMENT, "a campaign needs a lease (the candidate's session)");
      }
      final String name = EtcdApi.key(request.getName());
      if (EtcdKvService.reserved(name)) {
        throw EtcdApi.etcdError(Status.INVALID_ARGUMENT, "elections under " + EtcdKvService.RESERVED
            + " would write Baton's own keys: choose another name");
      }
      final String key = name + "/" + Long.toHexString(request.getLease());
      final byte[] value = request.getValue().toByteArray();
      return api.store().txn(Txn.of(List.of(Compare.createRevision(key, 0)), List.of(new Op.Put(key, value,
          request.getLease())))).thenCompose(created -> created.succeeded()
              ? CompletableFuture.completedFuture(created.revision())
              : api.store().get(key, ReadConsistency.LINEARIZABLE).thenCompose(r -> {
                // campaigning again with the same lease: the key is already ours; take the new value
                final KeyValue kv = r.first().orElseThrow(() -> EtcdApi.etcdError(Status.UNAVAILABLE,
                    "the candidate key " + key + " vanished while campaigning; campaign again"));
                return api.store().txn(Txn.of(List.of(Compare.createRevision(key, kv.createRevision())),
                    List.of(new Op.Put(key, value, request.getLease())))).thenApply(t -> kv.createRevision());
              }))
          .thenCompose(rev -> {
            final LeaderKey mine = LeaderKey.newBuilder().setName(request.getName()).setKey(ByteString.copyFromUtf8(key))
                .setRev(rev).setLease(request.getLease()).build();
            candidacy.set(mine);
            final CompletableFuture<CampaignResponse> led = new CompletableFuture<>();
            awaitEarlierGone(name + "/", key, rev, led, mine, canceled, waiting);
            return led;
          });
    });
  }

  /** etcd's waitDeletes: until no key of the election was created before {@code rev}; then this candidate leads. */
  private void awaitEarlierGone(String prefix, String key, long rev, CompletableFuture<CampaignResponse> led,
      LeaderKey mine, AtomicBoolean canceled, AtomicReference<Watch> waiting) {
    if (canceled.get()) {
      led.cancel(false);
      return;
    }
    api.store().range(prefix, ReadConsistency.LINEARIZABLE).whenComplete((r, error) -> {
      if (error != null) {
        led.completeExceptionally(error);
        return;
      }
      if (r.kvs().stream().noneMatch(kv -> kv.key().equals(key) && kv.createRevision() == rev)) {
        led.completeExceptionally(EtcdApi.etcdError(Status.UNKNOWN,
            "election: the candidate key " + key + " is gone (its lease expired, or it resigned)"));
        return;
      }
      final Optional<KeyValue> before = r.kvs().stream().filter(kv -> kv.createRevision() < rev)
          .max(Comparator.comparingLong(KeyValue::createRevision));
      if (before.isEmpty()) {
        led.complete(CampaignResponse.newBuilder().setHeader(api.header(r.revision())).setLeader(mine).build());
        return;
      }
      final String blocker = before.get().key();
      final AtomicBoolean fired = new AtomicBoolean();
      try {
        final Watch w = api.store().watch(blocker, r.revision() + 1, new WatchListener() {
          @Override
          public void onEvent(WatchEvent event) {
            if (event.key().equals(blocker) && event.type() == WatchEvent.Type.DELETE && fired.compareAndSet(false, true)) {
              done();
              awaitEarlierGone(prefix, key, rev, led, mine, canceled, waiting);
            }
          }

          @Override
          public void onError(BatonException e) {
            if (fired.compareAndSet(false, true)) {
              done();
              awaitEarlierGone(prefix, key, rev, led, mine, canceled, waiting); // re-read: no deletion is missed
            }
          }

          private void done() {
            final Watch current = waiting.getAndSet(null);
            if (current != null) {
              current.close();
            }
          }
        });
        waiting.set(w);
        if (fired.get() || canceled.get()) {
          w.close();
        }
      } catch (RuntimeException e) {
        led.completeExceptionally(e);
      }
    });
  }

  @Override
  public void proclaim(ProclaimRequest request, StreamObserver<ProclaimResponse> out) {
    api.call(out, () -> {
      final LeaderKey leader = leaderKey(request.hasLeader(), request.getLeader());
      final String key = EtcdApi.key(leader.getKey());
      return api.store().txn(Txn.of(List.of(Compare.createRevision(key, leader.getRev())),
          List.of(new Op.Put(key, request.getValue().toByteArray(), leader.getLease())))).thenApply(t -> {
            if (!t.succeeded()) {
              throw EtcdApi.etcdError(Status.UNKNOWN, "election: not leader");
            }
            return ProclaimResponse.newBuilder().setHeader(api.header(t.revision())).build();
          });
    });
  }

  @Override
  public void resign(ResignRequest request, StreamObserver<ResignResponse> out) {
    api.call(out, () -> resign(leaderKey(request.hasLeader(), request.getLeader()))
        .thenApply(rev -> ResignResponse.newBuilder().setHeader(api.header(rev)).build()));
  }

  private CompletableFuture<Long> resign(LeaderKey leader) {
    final String key = EtcdApi.key(leader.getKey());
    return api.store().txn(Txn.of(List.of(Compare.createRevision(key, leader.getRev())), List.of(Op.delete(key))))
        .thenApply(t -> t.revision());
  }

  private static LeaderKey leaderKey(boolean present, LeaderKey leader) {
    if (!present || leader.getKey().isEmpty()) {
      throw EtcdApi.etcdError(Status.INVALID_ARGUMENT, "\"leader\" field must be provided");
    }
    return leader;
  }

  @Override
  public void leader(LeaderRequest request, StreamObserver<LeaderResponse> out) {
    api.call(out, () -> {
      final String prefix = EtcdApi.key(request.getName()) + "/";
      return api.store().range(prefix, ReadConsistency.LINEARIZABLE).thenApply(r -> {
        final KeyValue first = r.kvs().stream().min(Comparator.comparingLong(KeyValue::createRevision))
            .orElseThrow(() -> EtcdApi.etcdError(Status.UNKNOWN, "election: no leader"));
        return LeaderResponse.newBuilder().setHeader(api.header(r.revision())).setKv(EtcdApi.toProto(first, false)).build();
      });
    });
  }

  /** Every change of the election's leader (a new leader, or the leader's value proclaimed), until the call ends. */
  @Override
  public void observe(LeaderRequest request, StreamObserver<LeaderResponse> out) {
    final String off = api.unavailableReason();
    if (off != null) {
      out.onError(EtcdApi.etcdError(Status.UNIMPLEMENTED, off));
      return;
    }
    final ServerCallStreamObserver<LeaderResponse> call = (ServerCallStreamObserver<LeaderResponse>) out;
    final AtomicReference<Watch> watching = new AtomicReference<>();
    final AtomicBoolean ended = new AtomicBoolean();
    call.setOnCancelHandler(() -> {
      ended.set(true);
      final Watch w = watching.getAndSet(null);
      if (w != null) {
        w.close();
      }
    });
    final String prefix;
    try {
      prefix = EtcdApi.key(request.getName()) + "/";
    } catch (RuntimeException e) {
      out.onError(EtcdApi.statusOf(e));
      return;
    }
    api.store().range(prefix, ReadConsistency.LINEARIZABLE).whenComplete((r, error) -> {
      if (error != null) {
        out.onError(EtcdApi.statusOf(error));
        return;
      }
      final Map<String, KeyValue> keys = new TreeMap<>();
      r.kvs().forEach(kv -> keys.put(kv.key(), kv));
      final KeyValue[] sent = new KeyValue[1];
      final Runnable report = () -> {
        final KeyValue leader = keys.values().stream().min(Comparator.comparingLong(KeyValue::createRevision)).orElse(null);
        if (leader != null && (sent[0] == null || !sent[0].equals(leader))) {
          sent[0] = leader;
          synchronized (call) {
            if (!call.isCancelled()) {
              call.onNext(LeaderResponse.newBuilder().setHeader(api.header(leader.modRevision()))
                  .setKv(EtcdApi.toProto(leader, false)).build());
            }
          }
        }
      };
      report.run();
      try {
        final Watch w = api.store().watch(prefix, r.revision() + 1, new WatchListener() {
          @Override
          public void onEvent(WatchEvent e) {
            if (e.type() == WatchEvent.Type.PUT) {
              keys.put(e.key(), e.kv());
            } else {
              keys.remove(e.key());
            }
          }

          @Override
          public void onProgress(long nextRevision) {
            report.run();
          }

          @Override
          public void onError(BatonException e) {
            synchronized (call) {
              if (!call.isCancelled()) {
                call.onError(EtcdApi.statusOf(e));
              }
            }
          }
        });
        watching.set(w);
        if (ended.get()) {
          w.close();
        }
      } catch (RuntimeException e) {
        out.onError(EtcdApi.statusOf(e));
      }
    });
  }
}
