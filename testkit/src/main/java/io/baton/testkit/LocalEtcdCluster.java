package io.baton.testkit;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

/**
 * A local etcd cluster for tests and demos: {@code size} members of the {@code etcd} binary (Debian's
 * {@code etcd-server}) on free loopback ports, with temp data dirs, stopped and deleted by
 * {@link #close()} or, if the JVM dies first, by a shutdown hook. Members can be killed, restarted,
 * paused (SIGSTOP) and resumed. With {@link #in}, the members run in a {@link NetworkLab}'s hosts
 * (member i in the i-th host given, on its address), so network faults reach them.
 */
public final class LocalEtcdCluster implements AutoCloseable {
  private final int size;
  private final Map<String, int[]> ports = new LinkedHashMap<>();
  private final Map<String, Process> processes = new LinkedHashMap<>();
  private final Map<String, String> hosts = new LinkedHashMap<>();
  private NetworkLab lab;
  private Path dir;
  private List<String> clientTls = List.of();
  private Thread reaper;

  public LocalEtcdCluster(int size) {
    this.size = size;
  }

  /**
   * Runs member e{i} in {@code lab}'s host {@code labHosts.get(i - 1)} (a host may also run a Baton
   * node: etcd next to each coordinator); before {@link #start()}.
   */
  public synchronized LocalEtcdCluster in(NetworkLab lab, List<String> labHosts) {
    if (labHosts.size() != size) {
      throw new IllegalArgumentException(size + " members need " + size + " hosts, got " + labHosts);
    }
    if (dir != null) {
      throw new IllegalStateException("place the members before start()");
    }
    for (int i = 1; i <= size; i++) {
      lab.address(labHosts.get(i - 1));
      hosts.put("e" + i, labHosts.get(i - 1));
    }
    this.lab = lab;
    return this;
  }

  /**
   * Serves clients over mutual TLS only ({@code https} endpoints): each member presents
   * {@code certificate} (with {@code key}, PEM) and requires a client certificate of {@code ca};
   * before {@link #start()}. Peer traffic stays plaintext. Health is read from a plaintext metrics
   * port either way.
   */
  public synchronized LocalEtcdCluster withClientTls(Path certificate, Path key, Path ca) {
    if (dir != null) {
      throw new IllegalStateException("set TLS before start()");
    }
    clientTls = List.of("--cert-file", certificate.toString(), "--key-file", key.toString(), "--trusted-ca-file",
        ca.toString(), "--client-cert-auth");
    return this;
  }

  private String clientScheme() {
    return clientTls.isEmpty() ? "http://" : "https://";
  }

  /** The address member {@code name} listens on: 127.0.0.1, or its host's address in the network lab. */
  public String address(String name) {
    return lab == null ? "127.0.0.1" : lab.address(hosts.get(name));
  }

  public synchronized LocalEtcdCluster start() throws IOException, InterruptedException {
    dir = Files.createTempDirectory("baton-etcd-");
    reaper = new Thread(this::close, "etcd-cluster-reaper");
    Runtime.getRuntime().addShutdownHook(reaper);
    for (int i = 1; i <= size; i++) {
      ports.put("e" + i, new int[] {Ports.free(), Ports.free(), Ports.free()}); // client, peer, metrics and health
    }
    for (String name : ports.keySet()) {
      start(name);
    }
    for (String name : ports.keySet()) {
      awaitListening(name, Duration.ofSeconds(30));
    }
    awaitHealthy(Duration.ofSeconds(30));
    return this;
  }

  /**
   * Waits until every running member reports itself healthy on {@code /health} (it has a leader
   * and serves linearizable requests): listening alone does not mean the cluster elected one.
   */
  public void awaitHealthy(Duration timeout) throws InterruptedException {
    final java.net.http.HttpClient http = java.net.http.HttpClient.newBuilder()
        .connectTimeout(Duration.ofMillis(500)).build();
    final long deadline = System.nanoTime() + timeout.toNanos();
    for (Map.Entry<String, int[]> member : ports.entrySet()) {
      final Process p = processes.get(member.getKey());
      if (p == null || !p.isAlive()) {
        continue;
      }
      final java.net.URI health = java.net.URI.create("http://" + address(member.getKey()) + ":" + member.getValue()[2]
          + "/health");
      String last = "no answer";
      while (true) {
        try {
          last = http.send(java.net.http.HttpRequest.newBuilder(health).timeout(Duration.ofSeconds(2)).build(),
              java.net.http.HttpResponse.BodyHandlers.ofString()).body();
          if (last.contains("\"health\":\"true\"")) {
            break;
          }
        } catch (IOException e) {
          last = e.toString();
        }
        if (System.nanoTime() - deadline > 0) {
          throw new IllegalStateException("etcd member " + member.getKey() + " not healthy within " + timeout
              + " (last answer: " + last + "); see " + dir.resolve(member.getKey() + ".log"));
        }
        Thread.sleep(50);
      }
    }
  }

  /** Client endpoints, {@code http://address:port} each ({@code https} with {@link #withClientTls}). */
  public List<String> endpoints() {
    final List<String> out = new ArrayList<>();
    ports.forEach((name, p) -> out.add(clientScheme() + address(name) + ":" + p[0]));
    return out;
  }

  public List<String> members() {
    return List.copyOf(ports.keySet());
  }

  /** (Re)starts member {@code name}; with its data dir kept, it rejoins the cluster. */
  public synchronized void start(String name) throws IOException {
    final StringBuilder initial = new StringBuilder();
    ports.forEach((n, p) -> initial.append(initial.length() == 0 ? "" : ",").append(n).append("=http://")
        .append(address(n)).append(':').append(p[1]));
    final int[] p = ports.get(name);
    final String client = clientScheme() + address(name) + ":" + p[0];
    final String peer = "http://" + address(name) + ":" + p[1];
    final String metrics = "http://" + address(name) + ":" + p[2];
    final List<String> cmd = new ArrayList<>(lab == null ? List.of() : lab.exec(hosts.get(name)));
    cmd.addAll(List.of("etcd", "--name", name, "--data-dir", dir.resolve(name).toString(),
        "--listen-client-urls", client, "--advertise-client-urls", client,
        "--listen-peer-urls", peer, "--initial-advertise-peer-urls", peer,
        "--initial-cluster", initial.toString(), "--initial-cluster-token", dir.getFileName().toString(),
        "--initial-cluster-state", "new", "--heartbeat-interval", "50", "--election-timeout", "500",
        "--listen-metrics-urls", metrics));
    cmd.addAll(clientTls);
    processes.put(name, new ProcessBuilder(cmd).redirectErrorStream(true)
        .redirectOutput(ProcessBuilder.Redirect.appendTo(dir.resolve(name + ".log").toFile())).start());
  }

  /** SIGKILL of member {@code name}. */
  public synchronized void kill(String name) throws InterruptedException {
    final Process p = processes.get(name);
    p.destroyForcibly();
    p.waitFor(10, TimeUnit.SECONDS);
  }

  /** SIGSTOP: the member stops answering without closing its connections. */
  public void pause(String name) throws IOException, InterruptedException {
    signal(name, "STOP");
  }

  /** SIGCONT after {@link #pause}. */
  public void resume(String name) throws IOException, InterruptedException {
    signal(name, "CONT");
  }

  private void signal(String name, String signal) throws IOException, InterruptedException {
    final Process kill = new ProcessBuilder("kill", "-" + signal, String.valueOf(processes.get(name).pid())).start();
    if (!kill.waitFor(10, TimeUnit.SECONDS) || kill.exitValue() != 0) {
      throw new IOException("kill -" + signal + " of etcd member " + name + " failed");
    }
  }

  public void awaitListening(String name, Duration timeout) throws InterruptedException {
    final long deadline = System.nanoTime() + timeout.toNanos();
    while (System.nanoTime() < deadline) {
      if (!processes.get(name).isAlive()) {
        throw new IllegalStateException("etcd member " + name + " exited; see " + dir.resolve(name + ".log"));
      }
      try (Socket s = new Socket()) {
        s.connect(new InetSocketAddress(address(name), ports.get(name)[0]), 200);
        return;
      } catch (IOException notYet) {
        Thread.sleep(50);
      }
    }
    throw new IllegalStateException("etcd member " + name + " did not listen within " + timeout);
  }

  /** Stops every member (resuming paused ones first) and deletes the data. Idempotent. */
  @Override
  public synchronized void close() {
    for (Process p : processes.values()) {
      try {
        new ProcessBuilder("kill", "-CONT", String.valueOf(p.pid())).start().waitFor(5, TimeUnit.SECONDS);
      } catch (IOException | InterruptedException ignored) {
        // best effort: it is killed next anyway
      }
      p.destroyForcibly();
    }
    for (Process p : processes.values()) {
      try {
        p.waitFor(10, TimeUnit.SECONDS);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      }
    }
    processes.clear();
    if (dir != null) {
      Dirs.deleteRecursively(dir);
      dir = null;
    }
    if (reaper != null && Thread.currentThread() != reaper) {
      try {
        Runtime.getRuntime().removeShutdownHook(reaper);
      } catch (IllegalStateException shuttingDown) {
        // the JVM is exiting: the hook runs anyway
      }
      reaper = null;
    }
  }
}
