package io.baton.ha.etcdapi;

import io.etcd.jetcd.api.ClusterGrpc;
import io.etcd.jetcd.api.Member;
import io.etcd.jetcd.api.MemberListRequest;
import io.etcd.jetcd.api.MemberListResponse;
import io.grpc.stub.StreamObserver;
import io.quarkus.grpc.GrpcService;
import jakarta.inject.Inject;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import org.eclipse.microprofile.config.inject.ConfigProperty;

/**
 * etcd's Cluster.MemberList from the node's Raft configuration (what {@code etcdctl member list}
 * asks): member ids derived from the cluster name and node id, a member's peer URL its Raft
 * address; only the answering node knows its own client URL. Membership changes: UNIMPLEMENTED.
 */
@GrpcService
@jakarta.inject.Singleton
public class EtcdClusterService extends ClusterGrpc.ClusterImplBase {
  @Inject
  EtcdApi api;

  @ConfigProperty(name = "baton.peers")
  java.util.Optional<List<String>> peers;

  @ConfigProperty(name = "quarkus.http.host", defaultValue = "localhost")
  String host;

  @ConfigProperty(name = "quarkus.http.port", defaultValue = "8080")
  int port;

  @Override
  public void memberList(MemberListRequest request, StreamObserver<MemberListResponse> out) {
    api.call(out, () -> {
      final MemberListResponse.Builder b = MemberListResponse.newBuilder().setHeader(api.header(0));
      for (String spec : peers.orElse(List.of())) {
        final int eq = spec.indexOf('=');
        final String node = spec.substring(0, eq).trim();
        final Member.Builder m = Member.newBuilder().setID(api.memberId(node)).setName(node)
            .addPeerURLs("http://" + spec.substring(eq + 1).trim());
        if (node.equals(api.baton.nodeId())) {
          m.addClientURLs("http://" + host + ":" + port);
        }
        b.addMembers(m);
      }
      return CompletableFuture.completedFuture(b.build());
    });
  }
}
