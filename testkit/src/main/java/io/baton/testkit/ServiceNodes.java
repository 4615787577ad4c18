package io.baton.testkit;

import io.vertx.core.json.JsonObject;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
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
 * Nodes (three unless told) of a packaged Baton service (a Quarkus application embedding Baton) as separate
 * JVMs on free loopback ports: start, observe (HTTP: /baton/status and /q/health), signal, stop.
 * Used by the examples' demos, benchmarks and tests of their packaged services;
 * {@link #close()} stops every process it started, whatever happened.
 */
public final class ServiceNodes implements AutoCloseable {
  private static final HttpClient HTTP = HttpClient.newBuilder().connectTimeout(Duration.ofMillis(200)).build();

  private final Path app;
  private final Path dir;
  private final Map<String, Integer> raftPorts = new LinkedHashMap<>();
  private final Map<String, Integer> httpPorts = new LinkedHashMap<>();
  private final Map<String, Process> processes = new LinkedHashMap<>();
  private final List<String> properties;
  private String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
  private List<String> jvmOptions = List.of();
  private int niceness;
  private NetworkLab lab;
  private java.util.Set<String> bootstrapPeers;
  /** Polls over HTTPS with this client when set (see {@link #https}). */
  private HttpClient https;
  private boolean rehearse;

  /**
   * @param app        the packaged service ({@code quarkus-app/quarkus-run.jar})
   * @param dir        where node data and logs go
   * @param properties extra {@code -D} settings for every node (e.g. {@code baton.placement=spread})
   */
  public ServiceNodes(Path app, Path dir, List<String> properties) {
    this(app, dir, properties, 3);
  }

  /** {@code count} nodes, n1 to n{count}. */
  public ServiceNodes(Path app, Path dir, List<String> properties, int count) {
    if (count < 1) {
      throw new IllegalArgumentException("at least one node, got " + count);
    }
    this.app = app;
    this.dir = dir;
    this.properties = List.copyOf(properties);
    for (int i = 1; i <= count; i++) {
      final String id = "n" + i;
      raftPorts.put(id, Ports.free());
      httpPorts.put(id, Ports.free());
    }
  }

  /**
   * The peers that nodes started from now on list in {@code baton.peers}: {@code ids} (default:
   * every node), and each node its own address. A node left out can then join the running
   * cluster ({@code -Dbaton.raft.join=true}, then added as a peer).
   */
  public ServiceNodes bootstrapPeers(List<String> ids) {
    this.bootstrapPeers = new java.util.LinkedHashSet<>(ids);
    return this;
  }

  /**
   * Whether nodes started from now on run their practice cluster after start-up
   * ({@code baton.raft.rehearse}, on by default in the service). Off here unless asked for: on a
   * machine where every node shares a few cores, its seconds of CPU after each start would compete
   * with the cluster under test; benchmarks and the demo turn it on, as a deployment has it.
   * A {@code baton.raft.rehearse} among the constructor's properties wins.
   */
  public ServiceNodes rehearse(boolean rehearse) {
    this.rehearse = rehearse;
    return this;
  }

  /** The java launcher and JVM options for nodes started from now on. */
  public ServiceNodes jvm(String javaCommand, List<String> options) {
    this.java = javaCommand;
    this.jvmOptions = List.copyOf(options);
    return this;
  }

  /**
   * Runs the nodes started from now on at the scheduling priority {@code nice(1)} gives for
   * {@code niceness} (0: as this process). On a machine where all nodes share a few cores, a node
   * starting up (class loading, JIT compilation) takes CPU from the running ones, which it would
   * not do on a host of its own; a positive niceness leaves the running nodes first.
   */
  public ServiceNodes niceness(int niceness) {
    if (niceness < 0 || niceness > 19) {
      throw new IllegalArgumentException("niceness must lie in 0..19, got " + niceness);
    }
    this.niceness = niceness;
    return this;
  }

  /**
   * Runs the nodes started from now on in {@code lab}'s hosts (one network namespace and address
   * per node, hosts named as the node ids) instead of on loopback.
   */
  public ServiceNodes in(NetworkLab lab) {
    for (String id : ids()) {
      lab.address(id);
    }
    this.lab = lab;
    return this;
  }

  /**
   * Serves the HTTP port of nodes started from now on over TLS only ({@code quarkus.http.ssl-port}
   * is {@link #httpPort}; the plaintext port is not opened), and polls it with {@code client}: its
   * key manager presents this side's certificate when the nodes require one, its trust manager
   * checks theirs. The nodes' own TLS settings (certificates, {@code baton.http.client-auth},
   * {@code quarkus.http.insecure-requests=disabled}) are the caller's properties.
   */
  public ServiceNodes https(javax.net.ssl.SSLContext client) {
    this.https = HttpClient.newBuilder().connectTimeout(Duration.ofMillis(500)).sslContext(client).build();
    return this;
  }

  /** The address node {@code id} listens on (127.0.0.1, or its address in the network lab). */
  public String host(String id) {
    return lab == null ? "127.0.0.1" : lab.address(id);
  }

  public List<String> ids() {
    return List.copyOf(raftPorts.keySet());
  }

  public Path dir() {
    return dir;
  }

  public void start(String id) throws IOException {
    start(id, List.of());
  }

  /** Starts node {@code id} with {@code extraOptions} added to its JVM options. */
  public void start(String id, List<String> extraOptions) throws IOException {
    final StringBuilder peers = new StringBuilder();
    raftPorts.forEach((peer, port) -> {
      if (bootstrapPeers == null || bootstrapPeers.contains(peer) || peer.equals(id)) {
        peers.append(peers.length() == 0 ? "" : ",").append(peer).append("=").append(host(peer)).append(":").append(port);
      }
    });
    final List<String> cmd = new ArrayList<>(lab == null ? List.of() : lab.exec(id));
    if (niceness > 0) {
      cmd.addAll(List.of("nice", "-n", Integer.toString(niceness)));
    }
    cmd.addAll(List.of(java, "-Xmx256m", "-XX:+UseSerialGC"));
    cmd.addAll(jvmOptions);
    cmd.addAll(extraOptions);
    cmd.addAll(List.of("-Dbaton.node-id=" + id, "-Dbaton.peers=" + peers, "-Dbaton.data-dir=" + dir,
        "-Dquarkus.http.host=" + host(id)));
    // over TLS the plaintext port stays closed (insecure-requests=disabled); 0 keeps it off 8080 if a caller opens it
    cmd.addAll(https == null ? List.of("-Dquarkus.http.port=" + httpPorts.get(id))
        : List.of("-Dquarkus.http.ssl-port=" + httpPorts.get(id), "-Dquarkus.http.port=0"));
    cmd.add("-Dbaton.raft.rehearse=" + rehearse);
    properties.forEach(p -> cmd.add("-D" + p));
    cmd.addAll(List.of("-jar", app.toString()));
    processes.put(id, new ProcessBuilder(cmd).redirectErrorStream(true)
        .redirectOutput(ProcessBuilder.Redirect.appendTo(dir.resolve(id + ".log").toFile())).start());
  }

  /** The process of node {@code id} (to wait for its exit). */
  public Process process(String id) {
    return processes.get(id);
  }

  public boolean isRunning(String id) {
    final Process p = processes.get(id);
    return p != null && p.isAlive();
  }

  /** {@code GET /baton/status} of a running node, or empty. */
  public Optional<JsonObject> status(String id) {
    return get(id, "/baton/status").filter(r -> r.statusCode() == 200).map(r -> new JsonObject(r.body()));
  }

  /**
   * The status of the node active for {@code role}, once every running node reports and names it;
   * fails after {@code timeout}, naming the log directory.
   */
  public JsonObject awaitAgreedActive(String role, Duration timeout) throws InterruptedException {
    return awaitAgreedActive(List.of(role), timeout).get(role);
  }

  /**
   * For each of {@code roles}, the status of the node active for it, once every running node
   * reports and names that node; fails after {@code timeout}, naming the log directory.
   */
  public Map<String, JsonObject> awaitAgreedActive(List<String> roles, Duration timeout) throws InterruptedException {
    final long deadline = System.nanoTime() + timeout.toNanos();
    List<JsonObject> last = List.of();
    while (System.nanoTime() < deadline) {
      final List<String> running = ids().stream().filter(this::isRunning).toList();
      final List<JsonObject> all = running.stream().map(this::status).flatMap(Optional::stream).toList();
      last = all;
      final Map<String, JsonObject> active = new LinkedHashMap<>();
      for (String role : roles) {
        all.stream().filter(s -> "ACTIVE".equals(s.getJsonObject("roles").getJsonObject(role).getString("state")))
            .findFirst().ifPresent(s -> active.put(role, s));
      }
      if (all.size() == running.size() && active.size() == roles.size() && all.stream().allMatch(s -> roles.stream()
          .allMatch(role -> active.get(role).getString("node")
              .equals(s.getJsonObject("roles").getJsonObject(role).getString("active"))))) {
        return active;
      }
      Thread.sleep(20);
    }
    final StringBuilder seen = new StringBuilder();
    for (JsonObject st : last) {
      seen.append(seen.length() == 0 ? "" : "; ").append(st.getString("node")).append(":");
      for (String role : roles) {
        final JsonObject r = st.getJsonObject("roles").getJsonObject(role);
        seen.append(" ").append(role).append(" ").append(r == null ? "?" : r.getString("state") + " epoch "
            + r.getValue("epoch") + " active " + r.getString("active"));
      }
    }
    throw new IllegalStateException("no agreed active node for " + roles + " within " + timeout.toSeconds()
        + " s (last seen: " + (seen.length() == 0 ? "no node answered" : seen) + "); node logs are in " + dir);
  }

  /**
   * Waits until node {@code id}'s readiness probe ({@code /q/health/ready}) answers 200, as Kubernetes
   * waits before it sends traffic or goes on with a rolling update; false if it did not within
   * {@code timeout}, or at once if its process has exited.
   */
  public boolean awaitReady(String id, Duration timeout) throws InterruptedException {
    final long deadline = System.nanoTime() + timeout.toNanos();
    while (httpStatus(id, "/q/health/ready") != 200) {
      if (System.nanoTime() - deadline > 0 || !isRunning(id)) {
        return false;
      }
      Thread.sleep(20);
    }
    return true;
  }

  /** The HTTP status of {@code path} on a running node (a health endpoint, say), or 0 if it does not answer. */
  public int httpStatus(String id, String path) {
    return get(id, path).map(HttpResponse::statusCode).orElse(0);
  }

  private Optional<HttpResponse<String>> get(String id, String path) {
    if (!isRunning(id)) {
      return Optional.empty();
    }
    try {
      final String scheme = https == null ? "http://" : "https://";
      return Optional.of((https == null ? HTTP : https).send(HttpRequest.newBuilder(URI.create(scheme + host(id) + ":"
          + httpPorts.get(id) + path)).timeout(Duration.ofMillis(https == null ? 500 : 1000)).build(),
          HttpResponse.BodyHandlers.ofString()));
    } catch (IOException | RuntimeException e) {
      return Optional.empty();
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      return Optional.empty();
    }
  }

  /** Node {@code id}'s Raft port. */
  public int raftPort(String id) {
    return raftPorts.get(id);
  }

  /**
   * The TCP ports node {@code id}'s running process listens on, from {@code ss -ltnp} (Linux,
   * iproute2): every port, including ones a library opens that the node's settings do not name.
   */
  public List<Integer> listeningPorts(String id) throws IOException, InterruptedException {
    final List<String> cmd = new ArrayList<>(lab == null ? List.of() : lab.exec(id));
    cmd.addAll(List.of("ss", "-Hltnp"));
    final Process ss = new ProcessBuilder(cmd).redirectErrorStream(true).start();
    final String out = new String(ss.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
    if (!ss.waitFor(10, TimeUnit.SECONDS) || ss.exitValue() != 0) {
      throw new IOException("ss -ltnp failed: " + out);
    }
    final String pid = "pid=" + processes.get(id).pid() + ",";
    final List<Integer> ports = new ArrayList<>();
    for (String line : out.split("\n")) {
      if (line.contains(pid)) {
        final String local = line.trim().split("\\s+")[3]; // State Recv-Q Send-Q Local:Port Peer:Port Process
        final int port = Integer.parseInt(local.substring(local.lastIndexOf(':') + 1));
        if (!ports.contains(port)) {
          ports.add(port);
        }
      }
    }
    return ports;
  }

  /** The HTTP port of node {@code id}: its status, health and both gRPC APIs (HTTPS only after {@link #https}). */
  public int httpPort(String id) {
    return httpPorts.get(id);
  }

  /** The log file of node {@code id}. */
  public Path log(String id) {
    return dir.resolve(id + ".log");
  }

  /** Sends {@code signal} (STOP, CONT, ...) to node {@code id}'s process. */
  public void signal(String id, String signal) throws IOException, InterruptedException {
    final Process kill = new ProcessBuilder("kill", "-" + signal, String.valueOf(processes.get(id).pid())).start();
    if (!kill.waitFor(10, TimeUnit.SECONDS) || kill.exitValue() != 0) {
      throw new IOException("kill -" + signal + " of node " + id + " failed");
    }
  }

  /**
   * Sets node {@code id}'s running process to {@code niceness} ({@code renice(1)}); lowering it
   * below the process's current niceness needs root.
   */
  public void renice(String id, int niceness) throws IOException, InterruptedException {
    final Process r = new ProcessBuilder("renice", "-n", Integer.toString(niceness), "-p",
        String.valueOf(processes.get(id).pid())).redirectErrorStream(true).start();
    final String output = new String(r.getInputStream().readAllBytes(), StandardCharsets.UTF_8).trim();
    if (!r.waitFor(10, TimeUnit.SECONDS) || r.exitValue() != 0) {
      throw new IOException("renice -n " + niceness + " of node " + id + " failed: " + output);
    }
  }

  /**
   * Waits until node {@code id}'s process used less than {@code cores} CPU cores on average over
   * one {@code window} (from {@code /proc/<pid>/stat}, Linux only), for at most {@code timeout};
   * returns the last window's average. A JVM that has just started keeps compiling for a while
   * after it is ready.
   */
  public double awaitQuiet(String id, double cores, Duration window, Duration timeout) throws IOException,
      InterruptedException {
    final long pid = processes.get(id).pid();
    final long deadline = System.nanoTime() + timeout.toNanos();
    double used;
    do {
      final long t0 = System.nanoTime();
      final long cpu0 = cpuTicks(pid);
      Thread.sleep(window.toMillis());
      used = (cpuTicks(pid) - cpu0) / (double) CLOCK_TICKS_PER_SECOND / ((System.nanoTime() - t0) / 1e9);
    } while (used >= cores && System.nanoTime() < deadline);
    return used;
  }

  /** USER_HZ: the unit of /proc/<pid>/stat's times, 100 on every Linux architecture Baton runs on. */
  private static final int CLOCK_TICKS_PER_SECOND = 100;

  private static long cpuTicks(long pid) throws IOException {
    final String stat = Files.readString(Path.of("/proc", Long.toString(pid), "stat"));
    // the fields after the command name (which may hold spaces) start after its closing parenthesis
    final String[] f = stat.substring(stat.lastIndexOf(')') + 2).split(" ");
    return Long.parseLong(f[11]) + Long.parseLong(f[12]); // utime, stime (fields 14 and 15 of the whole line)
  }

  /** SIGKILL, or with {@code graceful} SIGTERM (the node hands its roles over first); does not wait for a graceful exit. */
  public void stop(String id, boolean graceful) throws InterruptedException {
    final Process p = processes.get(id);
    if (graceful) {
      p.destroy();
    } else {
      p.destroyForcibly();
      p.waitFor(10, TimeUnit.SECONDS);
    }
  }

  public void awaitExit(String id) throws InterruptedException {
    final Process p = processes.get(id);
    if (!p.waitFor(30, TimeUnit.SECONDS)) {
      p.destroyForcibly().waitFor(10, TimeUnit.SECONDS);
    }
  }

  /** Stops every node (resumed if paused; SIGTERM, then SIGKILL after 15 s). Idempotent. */
  @Override
  public void close() {
    for (Map.Entry<String, Process> e : processes.entrySet()) {
      if (e.getValue().isAlive()) {
        try {
          signal(e.getKey(), "CONT"); // a paused node cannot handle SIGTERM
        } catch (IOException | InterruptedException | RuntimeException ignored) {
          // it is killed below anyway
        }
      }
    }
    processes.values().forEach(Process::destroy);
    for (Process p : processes.values()) {
      try {
        if (!p.waitFor(15, TimeUnit.SECONDS)) {
          p.destroyForcibly();
        }
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      }
    }
  }
}
