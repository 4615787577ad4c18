package io.baton.testkit;

import io.baton.raft.Peer;
import io.baton.raft.RaftNode;
import io.baton.raft.RaftNodeOptions;
import io.baton.raft.RaftStatus;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.UnaryOperator;

/**
 * N Baton nodes in this JVM over loopback gRPC, each with its own free port and temp directory.
 * Crash a node with {@link #crash}, bring it back from its directory with {@link #restart}.
 * {@link #close()} stops every node and deletes every directory, whatever state the test left.
 */
public final class TestCluster implements AutoCloseable {
  private final String clusterName;
  private final Path root;
  private final List<Peer> peers = new ArrayList<>();
  private final Map<String, RaftNode> nodes = new LinkedHashMap<>();
  private final UnaryOperator<RaftNodeOptions.Builder> customizer;

  public TestCluster(int size) {
    this(size, b -> b);
  }

  public TestCluster(int size, UnaryOperator<RaftNodeOptions.Builder> customizer) {
    this.customizer = customizer;
    this.clusterName = "test-" + Long.toHexString(System.nanoTime());
    try {
      this.root = Files.createTempDirectory("baton-cluster-");
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    for (int i = 1; i <= size; i++) {
      peers.add(new Peer("n" + i, "127.0.0.1", Ports.free()));
    }
  }

  public String clusterName() {
    return clusterName;
  }

  public List<Peer> peers() {
    return List.copyOf(peers);
  }

  public Path dir(String id) {
    return root.resolve(id);
  }

  public RaftNodeOptions.Builder optionsFor(String id) {
    return customizer.apply(RaftNodeOptions.builder()
        .clusterName(clusterName)
        .nodeId(id)
        .peers(peers)
        .storageDir(dir(id)));
  }

  /** Starts every node. */
  public TestCluster start() {
    for (Peer p : peers) {
      start(p.id());
    }
    return this;
  }

  public RaftNode start(String id) {
    final RaftNode node = new RaftNode(optionsFor(id).build());
    nodes.put(id, node);
    node.start();
    return node;
  }

  /** Starts a new node that joins the running cluster (it must then be added with addPeer). */
  public RaftNode startJoining(String id) {
    final Peer self = new Peer(id, "127.0.0.1", Ports.free());
    final RaftNode node = new RaftNode(customizer.apply(RaftNodeOptions.builder()
        .clusterName(clusterName).nodeId(id).peers(peers).self(self).join(true).storageDir(dir(id))).build());
    nodes.put(id, node);
    node.start();
    return node;
  }

  public RaftNode node(String id) {
    return nodes.get(id);
  }

  public List<RaftNode> running() {
    return nodes.values().stream().filter(n -> n.state() == RaftNode.State.STARTED).toList();
  }

  /** Stops a node abruptly (no leadership handover, no snapshot); its directory stays. */
  public void crash(String id) {
    final RaftNode n = nodes.get(id);
    if (n != null) {
      n.close();
    }
  }

  /** Starts a crashed node again from its directory. */
  public RaftNode restart(String id) {
    crash(id);
    return start(id);
  }

  /** The node whose leader lease is valid, waiting for an election if needed. */
  public RaftNode leader() {
    return Timing.waitFor("a leader among " + running(), Duration.ofSeconds(15), () -> {
      for (RaftNode n : running()) {
        if (n.leadership().leader()) {
          return n;
        }
      }
      return null;
    });
  }

  /** Waits until there is a leader and every running node follows it in its term; returns it. */
  public RaftNode awaitStable() {
    final RaftNode leader = leader();
    final RaftStatus ls = leader.status();
    Timing.waitUntil("every node follows " + leader.nodeId() + " in term " + ls.term(), Duration.ofSeconds(15),
        () -> running().stream().allMatch(n -> {
          final RaftStatus s = n.status();
          return leader.nodeId().equals(s.leader()) && s.term() == ls.term();
        }));
    return leader;
  }

  /** Some running node other than {@code not}. */
  public RaftNode other(RaftNode not) {
    return running().stream().filter(n -> n != not).findFirst().orElseThrow();
  }

  /** Waits until every running node has applied at least {@code index}. */
  public void awaitApplied(long index) {
    Timing.waitUntil("all nodes applied index " + index, Duration.ofSeconds(20),
        () -> running().stream().allMatch(n -> n.status().appliedIndex() >= index));
  }

  @Override
  public void close() {
    // in parallel: each Ratis server takes about a second to stop
    nodes.values().parallelStream().forEach(n -> {
      try {
        n.close();
      } catch (RuntimeException e) {
        // keep closing the others
      }
    });
    Dirs.deleteRecursively(root);
  }
}
