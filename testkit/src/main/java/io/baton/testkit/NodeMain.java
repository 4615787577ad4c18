package io.baton.testkit;

import io.baton.raft.Peer;
import io.baton.raft.RaftNode;
import io.baton.raft.RaftNodeOptions;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.Map;
import java.util.concurrent.CountDownLatch;

/**
 * Runs one Baton node as its own process until SIGTERM:
 * {@code NodeMain --id n1 --peers n1=127.0.0.1:9101,n2=... --dir DIR [--cluster NAME] [--snapshot-threshold N]}.
 * Prints one line once started, and one line per leadership change (with node and epoch).
 */
public final class NodeMain {
  private NodeMain() {
  }

  public static void main(String[] args) throws InterruptedException {
    final Map<String, String> a = parse(args);
    final RaftNodeOptions.Builder options = RaftNodeOptions.builder()
        .nodeId(require(a, "id"))
        .peers(Peer.parseList(require(a, "peers")))
        .storageDir(Path.of(require(a, "dir")));
    if (a.containsKey("cluster")) {
      options.clusterName(a.get("cluster"));
    }
    if (a.containsKey("snapshot-threshold")) {
      options.snapshotThreshold(Long.parseLong(a.get("snapshot-threshold")));
    }
    final RaftNode node = new RaftNode(options.build());
    final CountDownLatch stopped = new CountDownLatch(1);
    Runtime.getRuntime().addShutdownHook(new Thread(() -> {
      node.close();
      stopped.countDown();
    }, "baton-shutdown"));
    try {
      node.start();
    } catch (RuntimeException e) {
      System.err.println("node " + a.get("id") + " failed to start: " + e.getMessage());
      System.exit(2);
    }
    node.addLeadershipListener(new io.baton.raft.LeadershipListener() {
      @Override
      public void isLeader(long epoch) {
        System.out.println("node " + node.nodeId() + " role=leader epoch=" + epoch + ": leading");
      }

      @Override
      public void notLeader() {
        System.out.println("node " + node.nodeId() + " role=follower: no longer leading");
      }
    }, Runnable::run);
    System.out.println("node " + node.nodeId() + " started at " + node.options().self().address());
    stopped.await();
  }

  static Map<String, String> parse(String[] args) {
    final Map<String, String> out = new HashMap<>();
    for (int i = 0; i < args.length; i++) {
      if (!args[i].startsWith("--") || i + 1 >= args.length) {
        throw new IllegalArgumentException("expected --name value pairs, got '" + args[i] + "'");
      }
      out.put(args[i].substring(2), args[++i]);
    }
    return out;
  }

  static String require(Map<String, String> a, String name) {
    final String v = a.get(name);
    if (v == null) {
      throw new IllegalArgumentException("missing --" + name);
    }
    return v;
  }
}
