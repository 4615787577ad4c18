package io.baton.testkit;

import io.baton.raft.MetadataClient;
import io.baton.raft.Peer;
import io.baton.raft.RaftStatus;
import io.baton.store.NoQuorumException;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.ServerSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.TimeUnit;

/**
 * A cluster of {@link NodeMain} processes on loopback, one JVM per node, for the demo, benchmarks
 * and multi-process tests. {@link #kill} sends SIGKILL; {@link #close} stops every process it
 * started (and is also run by a shutdown hook), so no node outlives its owner.
 */
public final class LocalCluster implements AutoCloseable {
  private final String clusterName;
  private final Path root;
  private final List<Peer> peers = new ArrayList<>();
  private final Map<String, Process> processes = new LinkedHashMap<>();
  private final List<String> jvmOptions;
  private final List<String> nodeArgs;
  private final Thread reaper = new Thread(this::destroyAll, "baton-local-cluster-reaper");

  /**
   * @param jvmOptions extra JVM options per node (heap, GC)
   * @param nodeArgs   extra {@link NodeMain} arguments per node
   */
  public LocalCluster(int size, Path root, List<String> jvmOptions, List<String> nodeArgs) {
    this.clusterName = "local-" + Long.toHexString(System.nanoTime());
    this.root = root;
    this.jvmOptions = List.copyOf(jvmOptions);
    this.nodeArgs = List.copyOf(nodeArgs);
    for (int i = 1; i <= size; i++) {
      peers.add(new Peer("n" + i, "127.0.0.1", Ports.free()));
    }
    Runtime.getRuntime().addShutdownHook(reaper);
  }

  public String clusterName() {
    return clusterName;
  }

  public List<Peer> peers() {
    return List.copyOf(peers);
  }

  public Peer peer(String id) {
    return peers.stream().filter(p -> p.id().equals(id)).findFirst().orElseThrow();
  }

  public MetadataClient client(Duration requestTimeout) {
    return new MetadataClient(clusterName, peers, requestTimeout);
  }

  public LocalCluster startAll() {
    peers.forEach(p -> start(p.id()));
    return this;
  }

  /** Starts (or restarts) one node process from its directory. */
  public void start(String id) {
    final Process old = processes.get(id);
    if (old != null && old.isAlive()) {
      throw new IllegalStateException("node " + id + " is already running");
    }
    final List<String> cmd = new ArrayList<>();
    cmd.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
    cmd.addAll(List.of("-Dorg.slf4j.simpleLogger.defaultLogLevel=warn", "-Dorg.slf4j.simpleLogger.log.io.baton=info",
        "-Dorg.slf4j.simpleLogger.showDateTime=true", "-Dorg.slf4j.simpleLogger.dateTimeFormat=HH:mm:ss.SSS"));
    cmd.addAll(jvmOptions);
    cmd.add("-cp");
    cmd.add(System.getProperty("java.class.path"));
    cmd.add(NodeMain.class.getName());
    cmd.addAll(List.of("--id", id, "--cluster", clusterName, "--dir", root.resolve(id).toString(),
        "--peers", String.join(",", peers.stream().map(Peer::toString).toList())));
    cmd.addAll(nodeArgs);
    try {
      Files.createDirectories(root);
      final Path log = root.resolve(id + ".log");
      processes.put(id, new ProcessBuilder(cmd).redirectErrorStream(true)
          .redirectOutput(ProcessBuilder.Redirect.appendTo(log.toFile())).start());
    } catch (IOException e) {
      throw new UncheckedIOException("cannot start node " + id, e);
    }
  }

  /** SIGKILL: no shutdown hook, no handover. */
  public void kill(String id) {
    final Process p = processes.get(id);
    if (p != null) {
      p.destroyForcibly();
      try {
        p.waitFor(10, TimeUnit.SECONDS);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      }
    }
  }

  public boolean isRunning(String id) {
    final Process p = processes.get(id);
    return p != null && p.isAlive();
  }

  /** The status of a running node, or empty when it does not answer. */
  public Optional<RaftStatus> status(MetadataClient client, String id) {
    if (!isRunning(id)) {
      return Optional.empty();
    }
    try {
      return Optional.of(client.status(peer(id)));
    } catch (NoQuorumException e) {
      return Optional.empty();
    }
  }

  /** Polls until a running node reports itself leader; returns its status. */
  public RaftStatus awaitLeader(MetadataClient client, Duration timeout) {
    final long deadline = System.nanoTime() + timeout.toNanos();
    while (System.nanoTime() < deadline) {
      for (Peer p : peers) {
        final Optional<RaftStatus> s = status(client, p.id());
        if (s.isPresent() && s.get().isLeader()) {
          return s.get();
        }
      }
      sleep(20);
    }
    throw new IllegalStateException("no leader within " + timeout.toMillis() + " ms; node logs are in " + root);
  }

  /** Sleeps {@code ms}; an interrupt ends it with an IllegalStateException. */
  public static void sleep(long ms) {
    try {
      Thread.sleep(ms);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException("interrupted", e);
    }
  }

  private void destroyAll() {
    processes.values().forEach(Process::destroy);
    for (Process p : processes.values()) {
      try {
        if (!p.waitFor(10, TimeUnit.SECONDS)) {
          p.destroyForcibly().waitFor(5, TimeUnit.SECONDS);
        }
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      }
    }
  }

  /** Stops every node (SIGTERM, then SIGKILL after 10 s). */
  @Override
  public void close() {
    destroyAll();
    try {
      Runtime.getRuntime().removeShutdownHook(reaper);
    } catch (IllegalStateException e) {
      // already shutting down
    }
  }
}
