package io.baton.ha;

import com.google.protobuf.ByteString;
import io.baton.ha.grpc.BatonGrpc;
import io.baton.ha.grpc.CompareAndSetRequest;
import io.baton.ha.grpc.DeleteRequest;
import io.baton.ha.grpc.Fence;
import io.baton.ha.grpc.GetRequest;
import io.baton.ha.grpc.HeartbeatRequest;
import io.baton.ha.grpc.HeartbeatResponse;
import io.baton.ha.grpc.PutRequest;
import io.baton.ha.grpc.RangeRequest;
import io.baton.ha.grpc.ReadResponse;
import io.baton.ha.grpc.RegisterMemberRequest;
import io.baton.ha.grpc.RegisterMemberResponse;
import io.baton.ha.grpc.StatusRequest;
import io.baton.ha.grpc.StatusResponse;
import io.baton.ha.grpc.TransferRoleRequest;
import io.baton.ha.grpc.TransferRoleResponse;
import io.baton.ha.grpc.WatchRequest;
import io.baton.ha.grpc.WatchRolesRequest;
import io.baton.ha.grpc.WriteResponse;
import io.baton.store.BatonException;
import io.baton.store.ClosedException;
import io.baton.store.CompactedException;
import io.baton.store.KeyValue;
import io.baton.store.MetadataStore;
import io.baton.store.NoQuorumException;
import io.baton.store.NotLeaderException;
import io.baton.store.ReadConsistency;
import io.baton.store.ReadResult;
import io.baton.store.StaleEpochException;
import io.baton.store.TxnResult;
import io.baton.store.Watch;
import io.baton.store.WatchEvent;
import io.baton.store.WatchListener;
import io.grpc.Metadata;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.grpc.stub.ServerCallStreamObserver;
import io.grpc.stub.StreamObserver;
import io.quarkus.grpc.GrpcService;
import jakarta.inject.Inject;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.function.Function;

/**
 * Baton's gRPC API ({@code baton.proto}, service {@code baton.v1.Baton}): status, the role watch
 * stream, role transfer, metadata reads, writes (forwarded to the leader by the node's store) and
 * watches, and member registration and heartbeats. Every call is asynchronous: nothing here blocks
 * the event loop but local reads of this node's replica.
 */
@GrpcService
@jakarta.inject.Singleton
public class BatonGrpcService extends BatonGrpc.BatonImplBase {
  /**
   * The gRPC server's inbound message limit Baton sets by default
   * ({@code quarkus.grpc.server.max-inbound-message-size}): above the store's largest request
   * (4 MiB), so that requests over the store's own limits get its INVALID_ARGUMENT naming the limit.
   */
  public static final int MAX_INBOUND_MESSAGE_BYTES = io.baton.raft.RaftNodeOptions.DEFAULT_MAX_REQUEST_BYTES + 64 * 1024;

  /** The smallest inbound limit Baton starts with: a put of the largest value with the longest key. */
  static final int MIN_INBOUND_MESSAGE_BYTES = io.baton.store.RequestLimits.DEFAULT_MAX_VALUE_BYTES
      + 4 * io.baton.store.RequestLimits.MAX_KEY_LENGTH + 1024;

  /** Trailer naming the node to retry on, when this one is not the active one. */
  public static final Metadata.Key<String> LEADER = Metadata.Key.of("baton-leader", Metadata.ASCII_STRING_MARSHALLER);

  @Inject
  Baton baton;

  @Override
  public void status(StatusRequest request, StreamObserver<StatusResponse> out) {
    call(out, () -> CompletableFuture.completedFuture(toProto(baton.status())));
  }

  /** The gRPC reply of a node status: the same record as {@code GET /baton/status}. */
  static StatusResponse toProto(NodeStatus status) {
    final StatusResponse.Builder b = StatusResponse.newBuilder()
        .setNode(status.node())
        .setBackend(status.backend())
        .setPlacement(status.placement());
    for (RoleStatus r : status.roles()) {
      b.addRoles(toProto(r, status.node()));
    }
    status.members().forEach((m, state) -> b.putMembers(m, state.name()));
    status.sections().forEach((name, entries) -> b.putSections(name,
        io.baton.ha.grpc.StatusSection.newBuilder().putAllEntries(entries).build()));
    status.raft().ifPresent(raft -> b.setRaft(io.baton.ha.grpc.RaftStatus.newBuilder().setTerm(raft.term())
        .setLeader(raft.leader() == null ? "" : raft.leader())
        .setCommitIndex(raft.commitIndex()).setAppliedIndex(raft.appliedIndex())
        .setLogFailure(raft.logFailure().orElse("")).setRehearsing(raft.rehearsing())));
    return b.build();
  }

  @Override
  public void watchRoles(WatchRolesRequest request, StreamObserver<io.baton.ha.grpc.RoleStatus> out) {
    final ServerCallStreamObserver<io.baton.ha.grpc.RoleStatus> stream =
        (ServerCallStreamObserver<io.baton.ha.grpc.RoleStatus>) out;
    final Object lock = new Object();
    final Runnable unsubscribe = baton.onRoleChange(status -> {
      synchronized (lock) {
        if (!stream.isCancelled()) {
          stream.onNext(toProto(status, baton.nodeId()));
        }
      }
    });
    stream.setOnCancelHandler(unsubscribe);
    synchronized (lock) {
      for (RoleStatus r : baton.roles()) {
        stream.onNext(toProto(r, baton.nodeId()));
      }
    }
  }

  @Override
  public void transferRole(TransferRoleRequest request, StreamObserver<TransferRoleResponse> out) {
    call(out, () -> baton.transfer(request.getRole(), request.getTarget())
        .thenApply(v -> TransferRoleResponse.getDefaultInstance()));
  }

  @Override
  public void get(GetRequest request, StreamObserver<ReadResponse> out) {
    call(out, () -> baton.metadata().get(request.getKey(), consistency(request.getStale()))
        .thenApply(BatonGrpcService::toProto));
  }

  @Override
  public void range(RangeRequest request, StreamObserver<ReadResponse> out) {
    call(out, () -> baton.metadata().range(request.getPrefix(), consistency(request.getStale()))
        .thenApply(BatonGrpcService::toProto));
  }

  @Override
  public void put(PutRequest request, StreamObserver<WriteResponse> out) {
    call(out, () -> store(request.hasFence() ? request.getFence() : null)
        .put(request.getKey(), request.getValue().toByteArray(), request.getLease())
        .thenApply(BatonGrpcService::written));
  }

  @Override
  public void delete(DeleteRequest request, StreamObserver<WriteResponse> out) {
    call(out, () -> store(request.hasFence() ? request.getFence() : null).delete(request.getKey())
        .thenApply(BatonGrpcService::written));
  }

  @Override
  public void compareAndSet(CompareAndSetRequest request, StreamObserver<WriteResponse> out) {
    call(out, () -> store(request.hasFence() ? request.getFence() : null)
        .compareAndSet(request.getKey(), request.getExpectedModRevision(), request.getValue().toByteArray())
        .thenApply(BatonGrpcService::written));
  }

  @Override
  public void watch(WatchRequest request, StreamObserver<io.baton.ha.grpc.WatchEvent> out) {
    final ServerCallStreamObserver<io.baton.ha.grpc.WatchEvent> stream =
        (ServerCallStreamObserver<io.baton.ha.grpc.WatchEvent>) out;
    final Watch watch;
    try {
      watch = baton.metadata().watch(request.getPrefix(), request.getFromRevision(), new WatchListener() {
        /** The events of the revision being delivered: each is sent once its revision is complete. */
        private final List<WatchEvent> revision = new ArrayList<>();

        @Override
        public void onEvent(WatchEvent event) {
          revision.add(event);
        }

        @Override
        public void onProgress(long nextRevision) {
          synchronized (stream) {
            for (int i = 0; i < revision.size(); i++) {
              final WatchEvent e = revision.get(i);
              if (!stream.isCancelled()) {
                // resuming after the last event of a revision starts at the next one; after an
                // earlier one, at its own revision (the events of it already seen come again)
                stream.onNext(toProto(e, i == revision.size() - 1 ? nextRevision : e.revision()));
              }
            }
          }
          revision.clear();
        }

        @Override
        public void onError(BatonException error) {
          synchronized (stream) {
            if (!stream.isCancelled()) {
              stream.onError(statusOf(error));
            }
          }
        }
      });
    } catch (RuntimeException e) {
      out.onError(statusOf(e));
      return;
    }
    stream.setOnCancelHandler(watch::close);
  }

  /** Chunks of a backup: it is taken whole in memory (the state is), then sent in pieces under the message limit. */
  static final int BACKUP_CHUNK_BYTES = 1 << 20;

  @Override
  public void backup(io.baton.ha.grpc.BackupRequest request, StreamObserver<io.baton.ha.grpc.BackupChunk> out) {
    final java.io.ByteArrayOutputStream bytes = new java.io.ByteArrayOutputStream(1 << 16);
    final CompletableFuture<io.baton.raft.Backup.Info> backup;
    try {
      backup = baton.backup(bytes);
    } catch (RuntimeException e) {
      out.onError(statusOf(e));
      return;
    }
    backup.whenComplete((info, error) -> {
      if (error != null) {
        out.onError(statusOf(error));
        return;
      }
      final byte[] content = bytes.toByteArray();
      for (int from = 0; from < content.length; from += BACKUP_CHUNK_BYTES) {
        out.onNext(io.baton.ha.grpc.BackupChunk.newBuilder()
            .setData(ByteString.copyFrom(content, from, Math.min(BACKUP_CHUNK_BYTES, content.length - from))).build());
      }
      out.onNext(io.baton.ha.grpc.BackupChunk.newBuilder().setInfo(io.baton.ha.grpc.BackupInfo.newBuilder()
          .setClusterName(info.clusterName()).setClusterId(info.clusterId()).setNode(info.node())
          .setCreatedMillis(info.created().toEpochMilli()).setRevision(info.revision()).setLogIndex(info.logIndex())
          .setKeys(info.keys()).setBytes(info.bytes()).setSha256(info.sha256())).build());
      out.onCompleted();
    });
  }

  @Override
  public void peers(io.baton.ha.grpc.PeersRequest request, StreamObserver<io.baton.ha.grpc.PeersResponse> out) {
    call(out, () -> {
      final io.baton.ha.grpc.PeersResponse.Builder b = io.baton.ha.grpc.PeersResponse.newBuilder();
      for (io.baton.raft.Peer p : baton.peers()) {
        b.addPeers(io.baton.ha.grpc.Peer.newBuilder().setId(p.id()).setAddress(p.address()));
      }
      baton.raftStatus().map(NodeStatus.Raft::leader).ifPresent(leader -> b.setLeader(leader == null ? "" : leader));
      return CompletableFuture.completedFuture(b.build());
    });
  }

  @Override
  public void addPeer(io.baton.ha.grpc.AddPeerRequest request, StreamObserver<io.baton.ha.grpc.PeerChangeResponse> out) {
    call(out, () -> baton.addPeer(request.getId(), request.getAddress())
        .thenApply(v -> io.baton.ha.grpc.PeerChangeResponse.getDefaultInstance()));
  }

  @Override
  public void removePeer(io.baton.ha.grpc.RemovePeerRequest request,
      StreamObserver<io.baton.ha.grpc.PeerChangeResponse> out) {
    call(out, () -> baton.removePeer(request.getId())
        .thenApply(v -> io.baton.ha.grpc.PeerChangeResponse.getDefaultInstance()));
  }

  @Override
  public void registerMember(RegisterMemberRequest request, StreamObserver<RegisterMemberResponse> out) {
    call(out, () -> baton.members().register(request.getMember(), request.getAddress())
        .thenApply(rev -> RegisterMemberResponse.newBuilder().setRevision(rev).build()));
  }

  @Override
  public void heartbeat(HeartbeatRequest request, StreamObserver<HeartbeatResponse> out) {
    call(out, () -> {
      baton.members().heartbeat(request.getMember());
      return CompletableFuture.completedFuture(HeartbeatResponse.getDefaultInstance());
    });
  }

  // ---- helpers ---------------------------------------------------------------------------

  private MetadataStore store(Fence fence) {
    if (fence == null) {
      return baton.metadata();
    }
    return baton.fencedStore(fence.getRole(), fence.getEpoch());
  }

  private static ReadConsistency consistency(boolean stale) {
    return stale ? ReadConsistency.STALE : ReadConsistency.LINEARIZABLE;
  }

  /** Runs {@code action} and completes {@code out} with its result or its error, as a status. */
  private static <T> void call(StreamObserver<T> out, java.util.function.Supplier<CompletableFuture<T>> action) {
    GrpcCalls.reply(out, action, BatonGrpcService::statusOf);
  }

  /** The gRPC status of a failure (see the error table in baton.proto). */
  static StatusRuntimeException statusOf(Throwable error) {
    final Throwable e = io.baton.store.Futures.unwrap(error);
    final String message = String.valueOf(e.getMessage());
    if (e instanceof NotLeaderException notLeader) {
      final Metadata trailers = new Metadata();
      notLeader.knownLeader().ifPresent(l -> trailers.put(LEADER, l));
      return Status.FAILED_PRECONDITION.withDescription(message).asRuntimeException(trailers);
    }
    final Function<Status, StatusRuntimeException> as = s -> s.withDescription(message).asRuntimeException();
    if (e instanceof StaleEpochException) {
      return as.apply(Status.FAILED_PRECONDITION);
    } else if (e instanceof NoQuorumException || e instanceof ClosedException || e instanceof RoleMoveException) {
      return as.apply(Status.UNAVAILABLE);
    } else if (e instanceof CompactedException) {
      return as.apply(Status.OUT_OF_RANGE);
    } else if (e instanceof IllegalArgumentException || e instanceof NullPointerException) {
      return as.apply(Status.INVALID_ARGUMENT);
    } else if (e instanceof IllegalStateException) {
      return as.apply(Status.FAILED_PRECONDITION);
    } else if (e instanceof UnsupportedOperationException) {
      return as.apply(Status.UNIMPLEMENTED);
    }
    return as.apply(Status.INTERNAL);
  }

  static io.baton.ha.grpc.RoleStatus toProto(RoleStatus r, String node) {
    return io.baton.ha.grpc.RoleStatus.newBuilder().setRole(r.role()).setState(r.state().name()).setEpoch(r.epoch())
        .setActive(r.active() == null ? "" : r.active()).setStandbyMode(r.standbyMode().name()).setNode(node)
        .setCandidate(r.candidate()).build();
  }

  private static ReadResponse toProto(ReadResult r) {
    final ReadResponse.Builder b = ReadResponse.newBuilder().setRevision(r.revision());
    for (KeyValue kv : r.kvs()) {
      b.addKvs(toProto(kv));
    }
    return b.build();
  }

  private static io.baton.ha.grpc.KeyValue toProto(KeyValue kv) {
    return io.baton.ha.grpc.KeyValue.newBuilder().setKey(kv.key()).setValue(ByteString.copyFrom(kv.value()))
        .setCreateRevision(kv.createRevision()).setModRevision(kv.modRevision()).setVersion(kv.version())
        .setLease(kv.leaseId()).build();
  }

  private static io.baton.ha.grpc.WatchEvent toProto(WatchEvent e, long nextRevision) {
    return io.baton.ha.grpc.WatchEvent.newBuilder()
        .setType(e.type() == WatchEvent.Type.PUT ? io.baton.ha.grpc.WatchEvent.Type.PUT
            : io.baton.ha.grpc.WatchEvent.Type.DELETE)
        .setKv(toProto(e.kv())).setRevision(e.revision()).setNextRevision(nextRevision).build();
  }

  private static WriteResponse written(long revision) {
    return WriteResponse.newBuilder().setSucceeded(true).setRevision(revision).build();
  }

  private static WriteResponse written(TxnResult r) {
    return WriteResponse.newBuilder().setSucceeded(r.succeeded()).setRevision(r.revision()).build();
  }
}
