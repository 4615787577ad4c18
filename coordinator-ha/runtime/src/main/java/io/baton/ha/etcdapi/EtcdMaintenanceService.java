package io.baton.ha.etcdapi;

import io.baton.ha.NodeStatus;
import io.etcd.jetcd.api.MaintenanceGrpc;
import io.etcd.jetcd.api.StatusRequest;
import io.etcd.jetcd.api.StatusResponse;
import io.grpc.stub.StreamObserver;
import io.quarkus.grpc.GrpcService;
import jakarta.inject.Inject;

/**
 * etcd's Maintenance.Status from the node's Raft status (what {@code etcdctl endpoint status}
 * asks; the version reported is the etcd API version served, 3.4). Alarms, defragment, hashes,
 * snapshots and moving the leader: UNIMPLEMENTED.
 */
@GrpcService
@jakarta.inject.Singleton
public class EtcdMaintenanceService extends MaintenanceGrpc.MaintenanceImplBase {
  @Inject
  EtcdApi api;

  @Override
  public void status(StatusRequest request, StreamObserver<StatusResponse> out) {
    api.call(out, () -> api.store().get("baton/", io.baton.store.ReadConsistency.STALE).thenApply(r -> {
      final NodeStatus.Raft raft = api.baton.raftStatus().orElse(null);
      final StatusResponse.Builder b = StatusResponse.newBuilder().setHeader(api.header(r.revision()))
          .setVersion("3.4.0").setDbSize(0);
      if (raft != null) {
        b.setRaftTerm(raft.term()).setRaftIndex(raft.commitIndex());
        if (raft.leader() != null) {
          b.setLeader(api.memberId(raft.leader()));
        }
      }
      return b.build();
    }));
  }
}
