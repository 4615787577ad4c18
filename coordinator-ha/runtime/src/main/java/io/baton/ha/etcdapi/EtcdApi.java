package io.baton.ha.etcdapi;

import com.google.protobuf.ByteString;
import io.baton.ha.Baton;
import io.baton.ha.BatonConfig;
import io.baton.ha.GrpcCalls;
import io.baton.store.ClosedException;
import io.baton.store.CompactedException;
import io.baton.store.Futures;
import io.baton.store.KeyValue;
import io.baton.store.MetadataStore;
import io.baton.store.NoQuorumException;
import io.baton.store.NotLeaderException;
import io.etcd.jetcd.api.ResponseHeader;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.grpc.stub.StreamObserver;
import jakarta.inject.Inject;
import jakarta.inject.Singleton;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.function.Supplier;

/**
 * What the etcd v3 services share: whether the API is served here, the response header (cluster
 * and member ids, revision, Raft term), keys (etcd's are bytes, Baton's UTF-8 strings), and
 * Baton's errors as etcd reports them (gRPC code and the {@code etcdserver:} message clients match
 * on).
 */
@Singleton
public class EtcdApi {
  private static final org.slf4j.Logger LOG = org.slf4j.LoggerFactory.getLogger(EtcdApi.class);

  /** The etcd v3 services a node serves (gRPC services, beans of the extension). */
  public static final java.util.List<Class<? extends io.grpc.BindableService>> SERVICES = java.util.List.of(
      EtcdKvService.class, EtcdWatchService.class, EtcdLeaseService.class, EtcdElectionService.class,
      EtcdClusterService.class, EtcdMaintenanceService.class);

  /** The key etcd clients send for "every key" (and as a range end: "to the end"). */
  static final ByteString NUL = ByteString.copyFrom(new byte[] {0});

  @Inject
  Baton baton;

  @Inject
  BatonConfig config;

  /** This node's member id and the cluster id, once computed (0 until then). */
  private volatile long memberId;
  private volatile long clusterId;

  /** The store the API reads and writes: the node's, writes forwarded to the Raft leader. */
  MetadataStore store() {
    return baton.metadata();
  }

  /** Why the API is not served here, or null when it is. */
  String unavailableReason() {
    if (!config.etcdApi().enabled()) {
      return "Baton's etcd API is turned off on this node (baton.etcd-api.enabled=false)";
    }
    if (config.backend() != BatonConfig.Backend.RATIS) {
      return "Baton's etcd API is served only on the ratis backend; this node uses etcd itself: talk to that etcd";
    }
    return null;
  }

  /** Logs, once, a failure no client will hear of (its call has ended, or the answer has no error field). */
  void unreported(String what, Throwable error) {
    LOG.warn("node {} role=- epoch=0: etcd API: {} failed: {}", baton.nodeId(), what, Futures.unwrap(error).toString());
  }

  /** A stable positive id from a name (etcd's cluster and member ids are numbers). */
  static long idOf(String name) {
    return UUID.nameUUIDFromBytes(name.getBytes(StandardCharsets.UTF_8)).getMostSignificantBits() & Long.MAX_VALUE;
  }

  /** This node's member id (an MD5 of its name: computed once, not for every response header). */
  long memberId() {
    long id = memberId;
    if (id == 0) {
      id = memberId(baton.nodeId());
      memberId = id;
    }
    return id;
  }

  long memberId(String node) {
    return idOf(config.clusterName() + "/" + node);
  }

  long clusterId() {
    long id = clusterId;
    if (id == 0) {
      id = idOf(config.clusterName());
      clusterId = id;
    }
    return id;
  }

  ResponseHeader header(long revision) {
    final long term = baton.raftTerm();
    return ResponseHeader.newBuilder().setClusterId(clusterId()).setMemberId(memberId()).setRevision(revision)
        .setRaftTerm(term).build();
  }

  /** An etcd key as a Baton key: UTF-8, not empty. */
  static String key(ByteString key) {
    if (key.isEmpty()) {
      throw etcdError(Status.INVALID_ARGUMENT, "etcdserver: key is not provided");
    }
    return text(key, "key");
  }

  /** UTF-8 bytes as a string; anything else is refused (Baton's keys are strings). */
  static String text(ByteString bytes, String what) {
    try {
      return StandardCharsets.UTF_8.newDecoder().onMalformedInput(CodingErrorAction.REPORT)
          .onUnmappableCharacter(CodingErrorAction.REPORT).decode(bytes.asReadOnlyByteBuffer()).toString();
    } catch (CharacterCodingException e) {
      throw etcdError(Status.INVALID_ARGUMENT, "Baton's etcd API takes UTF-8 keys; this " + what + " is not");
    }
  }

  static io.etcd.jetcd.api.KeyValue toProto(KeyValue kv, boolean keysOnly) {
    final io.etcd.jetcd.api.KeyValue.Builder b = io.etcd.jetcd.api.KeyValue.newBuilder()
        .setKey(ByteString.copyFromUtf8(kv.key())).setCreateRevision(kv.createRevision())
        .setModRevision(kv.modRevision()).setVersion(kv.version()).setLease(kv.leaseId());
    if (!keysOnly) {
      b.setValue(ByteString.copyFrom(kv.value()));
    }
    return b.build();
  }

  static StatusRuntimeException etcdError(Status status, String message) {
    return status.withDescription(message).asRuntimeException();
  }

  /** A Baton failure as etcd reports the same condition. */
  static StatusRuntimeException statusOf(Throwable error) {
    final Throwable e = Futures.unwrap(error);
    if (e instanceof StatusRuntimeException s) {
      return s;
    }
    final String message = String.valueOf(e.getMessage());
    if (e instanceof CompactedException) {
      return etcdError(Status.OUT_OF_RANGE, "etcdserver: mvcc: required revision has been compacted");
    } else if (e instanceof NoQuorumException) {
      return etcdError(Status.UNAVAILABLE, "etcdserver: request timed out (" + message + ")");
    } else if (e instanceof NotLeaderException || e instanceof ClosedException) {
      return etcdError(Status.UNAVAILABLE, "etcdserver: no leader (" + message + ")");
    } else if (e instanceof IllegalStateException && message.startsWith("lease ") && message.contains("not found")) {
      return etcdError(Status.NOT_FOUND, "etcdserver: requested lease not found");
    } else if (e instanceof IllegalArgumentException) {
      return etcdError(Status.INVALID_ARGUMENT, message.contains("too large") || message.contains("exceeds")
          ? "etcdserver: request is too large (" + message + ")" : message);
    } else if (e instanceof IllegalStateException) {
      return etcdError(Status.FAILED_PRECONDITION, message);
    }
    return etcdError(Status.INTERNAL, "Baton's etcd API failed: " + e);
  }

  /** Runs {@code action} unless the API is not served here, and completes {@code out} with its result or error. */
  <T> void call(StreamObserver<T> out, Supplier<CompletableFuture<T>> action) {
    final String off = unavailableReason();
    if (off != null) {
      out.onError(etcdError(Status.UNIMPLEMENTED, off));
      return;
    }
    GrpcCalls.reply(out, action, EtcdApi::statusOf);
  }
}
