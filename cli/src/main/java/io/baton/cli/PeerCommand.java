package io.baton.cli;

import io.baton.ha.grpc.AddPeerRequest;
import io.baton.ha.grpc.Peer;
import io.baton.ha.grpc.PeersRequest;
import io.baton.ha.grpc.PeersResponse;
import io.baton.ha.grpc.RemovePeerRequest;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Parameters;

/**
 * {@code baton peer list|add|remove}: the cluster's Raft voting peers (its nodes). Not Baton's
 * members, which are the workers that register with the active coordinator and send heartbeats;
 * {@code baton member ...} is accepted too, because that is what etcdctl calls a cluster's nodes.
 */
@Command(name = "peer", aliases = "member", mixinStandardHelpOptions = true,
    description = "List, add or remove the cluster's voting peers (its nodes; Ratis backend). Also: member.",
    subcommands = {PeerCommand.ListPeers.class, PeerCommand.Add.class, PeerCommand.Remove.class})
final class PeerCommand {

  @Command(name = "list", mixinStandardHelpOptions = true,
      description = "The voting peers in the first answering node's configuration, and the leader.")
  static final class ListPeers extends CliCommand implements Callable<Integer> {
    @Override
    public Integer call() {
      final PeersResponse r = cli().onFirstAnswering(channel -> stub(channel).peers(PeersRequest.getDefaultInstance()));
      if (jsonOutput()) {
        final JsonArray peers = new JsonArray();
        r.getPeersList().forEach(p -> peers.add(new JsonObject().put("id", p.getId()).put("address", p.getAddress())));
        out().println(new JsonObject().put("peers", peers).put("leader", r.getLeader()).encodePrettily());
      } else {
        for (Peer p : r.getPeersList()) {
          out().printf("%-12s %s%s%n", p.getId(), p.getAddress(), p.getId().equals(r.getLeader()) ? "  leader" : "");
        }
      }
      return BatonCli.OK;
    }
  }

  @Command(name = "add", mixinStandardHelpOptions = true,
      description = "Adds a voting peer: a node started with baton.raft.join=true. Returns once the configuration"
          + " with it is committed (the leader catches it up first).")
  static final class Add extends CliCommand implements Callable<Integer> {
    @Parameters(index = "0", paramLabel = "NODE-ID")
    String id;

    @Parameters(index = "1", paramLabel = "HOST:PORT", description = "The node's Raft address.")
    String address;

    @Override
    public Integer call() {
      cli().onFirstAnswering(channel -> adminStub(channel).addPeer(AddPeerRequest.newBuilder().setId(id).setAddress(address).build()));
      out().println(jsonOutput() ? new JsonObject().put("added", id).encode() : "added peer " + id + " at " + address);
      return BatonCli.OK;
    }
  }

  @Command(name = "remove", mixinStandardHelpOptions = true,
      description = "Removes a voting peer (its process keeps running outside the cluster until stopped).")
  static final class Remove extends CliCommand implements Callable<Integer> {
    @Parameters(index = "0", paramLabel = "NODE-ID")
    String id;

    @Override
    public Integer call() {
      cli().onFirstAnswering(channel -> adminStub(channel).removePeer(RemovePeerRequest.newBuilder().setId(id).build()));
      out().println(jsonOutput() ? new JsonObject().put("removed", id).encode() : "removed peer " + id);
      return BatonCli.OK;
    }
  }
}
