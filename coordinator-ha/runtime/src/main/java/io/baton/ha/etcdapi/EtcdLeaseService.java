package io.baton.ha.etcdapi;

import com.google.protobuf.ByteString;
import io.baton.store.KeyValue;
import io.baton.store.ReadConsistency;
import io.etcd.jetcd.api.LeaseGrantRequest;
import io.etcd.jetcd.api.LeaseGrantResponse;
import io.etcd.jetcd.api.LeaseGrpc;
import io.etcd.jetcd.api.LeaseKeepAliveRequest;
import io.etcd.jetcd.api.LeaseKeepAliveResponse;
import io.etcd.jetcd.api.LeaseRevokeRequest;
import io.etcd.jetcd.api.LeaseRevokeResponse;
import io.etcd.jetcd.api.LeaseTimeToLiveRequest;
import io.etcd.jetcd.api.LeaseTimeToLiveResponse;
import io.grpc.Status;
import io.grpc.stub.StreamObserver;
import io.quarkus.grpc.GrpcService;
import jakarta.inject.Inject;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;

/**
 * etcd's Lease service ({@code etcdserverpb.Lease}) on the store's leases: the same leases Baton's
 * own API and sessions use. A lease granted here also gets the key
 * {@value #TTL_KEYS}{@code <id>} (its TTL in seconds, bound to the lease, so it goes with it), from
 * which every node answers a keep-alive or TimeToLive with the granted TTL. Baton does not expose
 * the time a lease has left: TimeToLive reports the granted TTL as its TTL. Lease ids are Baton's
 * (a grant asking for a particular ID is refused).
 */
@GrpcService
@jakarta.inject.Singleton
public class EtcdLeaseService extends LeaseGrpc.LeaseImplBase {
  /** Where the granted TTL of each lease granted through the etcd API is kept. */
  static final String TTL_KEYS = "baton/etcd-api/lease-ttl/";

  @Inject
  EtcdApi api;

  @Override
  public void leaseGrant(LeaseGrantRequest request, StreamObserver<LeaseGrantResponse> out) {
    api.call(out, () -> {
      if (request.getID() != 0) {
        throw EtcdApi.etcdError(Status.UNIMPLEMENTED, "Baton assigns lease ids itself: grant with ID 0");
      }
      if (request.getTTL() <= 0) {
        throw EtcdApi.etcdError(Status.INVALID_ARGUMENT, "etcdserver: lease TTL must be positive, got " + request.getTTL());
      }
      final long ttl = request.getTTL();
      return api.store().grantLease(Duration.ofSeconds(ttl)).thenCompose(id -> api.store()
          .put(TTL_KEYS + id, Long.toString(ttl).getBytes(StandardCharsets.UTF_8), id)
          .thenApply(rev -> LeaseGrantResponse.newBuilder().setHeader(api.header(rev)).setID(id).setTTL(ttl).build()));
    });
  }

  @Override
  public void leaseRevoke(LeaseRevokeRequest request, StreamObserver<LeaseRevokeResponse> out) {
    // the store's revoke of a lease that is gone does nothing; etcd says "lease not found": the
    // keep-alive before it fails so for a lease that expired or never was
    api.call(out, () -> api.store().keepAlive(request.getID()).thenCompose(v -> api.store().revokeLease(request.getID()))
        .thenApply(rev -> LeaseRevokeResponse.newBuilder().setHeader(api.header(rev)).build()));
  }

  @Override
  public StreamObserver<LeaseKeepAliveRequest> leaseKeepAlive(StreamObserver<LeaseKeepAliveResponse> out) {
    final String off = api.unavailableReason();
    if (off != null) {
      out.onError(EtcdApi.etcdError(Status.UNIMPLEMENTED, off));
      return new StreamObserver<>() {
        @Override
        public void onNext(LeaseKeepAliveRequest value) {
        }

        @Override
        public void onError(Throwable t) {
        }

        @Override
        public void onCompleted() {
        }
      };
    }
    return new StreamObserver<>() {
      private boolean ended;

      @Override
      public void onNext(LeaseKeepAliveRequest request) {
        final long id = request.getID();
        api.store().keepAlive(id).thenCompose(v -> grantedTtl(id)).whenComplete((ttl, error) -> {
          synchronized (this) {
            if (ended) {
              return;
            }
            if (error != null) {
              final io.grpc.StatusRuntimeException status = EtcdApi.statusOf(error);
              if (status.getStatus().getCode() != Status.Code.NOT_FOUND) {
                ended = true;
                out.onError(status);
                return;
              }
              ttl = 0L; // as etcd: an expired or unknown lease is answered with TTL 0, not an error
            }
            out.onNext(LeaseKeepAliveResponse.newBuilder().setHeader(api.header(0)).setID(id).setTTL(ttl).build());
          }
        });
      }

      @Override
      public synchronized void onError(Throwable t) {
        ended = true;
      }

      @Override
      public synchronized void onCompleted() {
        if (!ended) {
          ended = true;
          out.onCompleted();
        }
      }
    };
  }

  @Override
  public void leaseTimeToLive(LeaseTimeToLiveRequest request, StreamObserver<LeaseTimeToLiveResponse> out) {
    api.call(out, () -> {
      final long id = request.getID();
      return api.store().get(TTL_KEYS + id, ReadConsistency.LINEARIZABLE).thenCompose(r -> {
        final LeaseTimeToLiveResponse.Builder b = LeaseTimeToLiveResponse.newBuilder().setHeader(api.header(r.revision()))
            .setID(id);
        final KeyValue ttlKey = r.first().orElse(null);
        if (ttlKey == null || ttlKey.leaseId() != id) {
          return CompletableFuture.completedFuture(b.setTTL(-1).build()); // as etcd for a lease that expired or never was
        }
        final long ttl = Long.parseLong(ttlKey.valueAsString());
        b.setTTL(ttl).setGrantedTTL(ttl);
        if (!request.getKeys()) {
          return CompletableFuture.completedFuture(b.build());
        }
        return api.store().range("", ReadConsistency.LINEARIZABLE).thenApply(all -> {
          all.kvs().stream().filter(kv -> kv.leaseId() == id && !kv.key().startsWith(TTL_KEYS))
              .forEach(kv -> b.addKeys(ByteString.copyFromUtf8(kv.key())));
          return b.build();
        });
      });
    });
  }

  /**
   * The TTL a lease was granted with through this API. A lease granted otherwise (by Baton itself)
   * has no record; 0 would read as expired, so its TTL is reported as 1 s (keep it alive often).
   */
  private CompletableFuture<Long> grantedTtl(long id) {
    return api.store().get(TTL_KEYS + id, ReadConsistency.STALE)
        .thenApply(r -> r.first().map(kv -> Long.parseLong(kv.valueAsString())).orElse(1L));
  }
}
