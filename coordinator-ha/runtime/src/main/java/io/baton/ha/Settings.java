package io.baton.ha;

import io.baton.raft.Peer;
import io.baton.raft.RaftNodeOptions;
import io.baton.raft.TlsFiles;
import io.vertx.core.http.ClientAuth;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * {@link BatonConfig}, validated once before anything starts: every problem is an
 * {@link IllegalArgumentException} that names the property ({@code baton.raft.election-timeout-min},
 * say) and what is wrong with it.
 */
record Settings(BatonConfig.Backend backend, Placement placement, RaftNodeOptions raft, Etcd etcd, Members members) {

  /**
   * The etcd backend; {@code tls} null for plaintext, {@code user} empty without etcd authentication.
   *
   * @param probeAddress {@code baton.etcd.probe-address}: {@code host:port}, {@code none}, or empty
   *                     (derived from the HTTP server's address by {@link #probe})
   */
  record Etcd(List<String> endpoints, String namespace, Duration leaseTtl, Duration requestTimeout, TlsFiles tls,
      Optional<String> user, Optional<String> password, Optional<String> probeAddress) {
    @Override
    public String toString() { // never the password
      return "Etcd[endpoints=" + endpoints + ", namespace=" + namespace + ", tls=" + (tls != null) + ", user="
          + user.orElse("-") + "]";
    }
  }

  /** Members' failure detection; {@code role} empty: the first role by name. */
  record Members(Duration suspectAfter, Duration downAfter, Duration checkInterval, Optional<String> role) {}

  /** RaftNodeOptions' record components and the properties that set them. */
  private static final Map<String, String> RAFT_PROPERTIES = Map.ofEntries(
      Map.entry("clusterName", "baton.cluster-name"),
      Map.entry("nodeId", "baton.node-id"),
      Map.entry("peers", "baton.peers"),
      Map.entry("self", "baton.peers"),
      Map.entry("storageDir", "baton.data-dir"),
      Map.entry("electionTimeoutMin", "baton.raft.election-timeout-min"),
      Map.entry("electionTimeoutMax", "baton.raft.election-timeout-max"),
      Map.entry("requestTimeout", "baton.raft.request-timeout"),
      Map.entry("snapshotThreshold", "baton.raft.snapshot-threshold"),
      Map.entry("watchHistory", "baton.raft.watch-history"),
      Map.entry("join", "baton.raft.join"));

  static Settings of(BatonConfig config) {
    final Placement placement = placement(config);
    final Members members = members(config.members());
    if (config.backend() == BatonConfig.Backend.ETCD) {
      return new Settings(config.backend(), placement, null, etcd(config, placement), members);
    }
    final RaftNodeOptions raft = raft(config);
    if (placement instanceof Placement.Spread spread && spread.sessionTtl().compareTo(raft.electionTimeoutMax()) < 0) {
      throw invalid("baton.spread.session-ttl", spread.sessionTtl().toMillis() + " ms is below the maximum election"
          + " timeout (" + raft.electionTimeoutMax().toMillis() + " ms, baton.raft.election-timeout-max): a Raft"
          + " election alone could expire every session");
    }
    return new Settings(config.backend(), placement, raft, null, members);
  }

  private static RaftNodeOptions raft(BatonConfig config) {
    if (config.peers().isEmpty() || config.peers().get().isEmpty()) {
      throw invalid("baton.peers", "required with baton.backend=ratis: list the voting members as id=host:port,...");
    }
    final List<Peer> peers = new ArrayList<>();
    for (String spec : config.peers().get()) {
      try {
        peers.add(Peer.parse(spec.trim()));
      } catch (IllegalArgumentException e) {
        throw invalid("baton.peers", e.getMessage());
      }
    }
    final BatonConfig.Raft raft = config.raft();
    final RaftNodeOptions.Builder b = RaftNodeOptions.builder()
        .clusterName(config.clusterName())
        .nodeId(config.nodeId())
        .storageDir(Path.of(config.dataDir()).resolve(config.nodeId()));
    if (raft.join()) {
      // a joining node is not among the peers it starts with: its own entry is its address only
      final Peer self = peers.stream().filter(p -> p.id().equals(config.nodeId())).findFirst().orElseThrow(
          () -> invalid("baton.peers", "with baton.raft.join=true, list this node's own address too ("
              + config.nodeId() + "=host:port) besides the running peers"));
      peers.remove(self);
      b.self(self).join(true);
    }
    b.peers(peers);
    if (raft.electionTimeoutMin().isPresent() || raft.electionTimeoutMax().isPresent()) {
      b.electionTimeout(raft.electionTimeoutMin().orElse(RaftNodeOptions.DEFAULT_ELECTION_TIMEOUT_MIN),
          raft.electionTimeoutMax().orElse(RaftNodeOptions.DEFAULT_ELECTION_TIMEOUT_MAX));
    }
    raft.requestTimeout().ifPresent(b::requestTimeout);
    raft.snapshotThreshold().ifPresent(b::snapshotThreshold);
    raft.watchHistory().ifPresent(b::watchHistory);
    b.tls(tls("baton.tls", config.tls()));
    try {
      return b.build();
    } catch (RaftNodeOptions.InvalidOptionException e) {
      throw invalid(RAFT_PROPERTIES.getOrDefault(e.option(), "baton.raft." + e.option()), e.getMessage());
    }
  }

  /**
   * TLS from all three files under {@code prefix}, none from none; some but not all is refused
   * naming the missing ones.
   */
  private static TlsFiles tls(String prefix, BatonConfig.Tls tls) {
    final Map<String, Optional<String>> files = new java.util.LinkedHashMap<>();
    files.put(prefix + ".certificate", tls.certificate());
    files.put(prefix + ".key", tls.key());
    files.put(prefix + ".ca", tls.ca());
    final List<String> missing = files.entrySet().stream().filter(e -> e.getValue().isEmpty())
        .map(Map.Entry::getKey).toList();
    if (missing.size() == files.size()) {
      return null;
    }
    if (!missing.isEmpty()) {
      throw invalid(missing.get(0), "required when any of " + String.join(", ", files.keySet())
          + " is set (missing: " + String.join(", ", missing) + ")");
    }
    try {
      return TlsFiles.of(Path.of(tls.certificate().get()), Path.of(tls.key().get()), Path.of(tls.ca().get()));
    } catch (IllegalArgumentException e) {
      throw invalid(prefix, e.getMessage());
    }
  }

  private static Etcd etcd(BatonConfig config, Placement placement) {
    final BatonConfig.Etcd etcd = config.etcd();
    final List<String> endpoints = etcd.endpoints().orElse(List.of()).stream().map(String::trim).toList();
    if (endpoints.isEmpty()) {
      throw invalid("baton.etcd.endpoints", "required with baton.backend=etcd (e.g. http://etcd-0:2379,http://etcd-1:2379)");
    }
    if (etcd.leaseTtl().compareTo(EtcdBackend.MIN_LEASE_TTL) < 0) {
      throw invalid("baton.etcd.lease-ttl", etcd.leaseTtl().toMillis() + " ms is below etcd's minimum of 2 s");
    }
    if (placement instanceof Placement.Spread spread && spread.sessionTtl().compareTo(EtcdBackend.MIN_LEASE_TTL) < 0) {
      throw invalid("baton.spread.session-ttl", spread.sessionTtl().toMillis()
          + " ms is below etcd's minimum lease TTL of 2 s (baton.backend=etcd)");
    }
    requirePositive(etcd.requestTimeout(), "baton.etcd.request-timeout");
    final TlsFiles tls = tls("baton.etcd.tls", etcd.tls());
    final String scheme = tls == null ? "http://" : "https://";
    for (String endpoint : endpoints) {
      if (!endpoint.startsWith(scheme)) {
        throw invalid("baton.etcd.endpoints", endpoint + (tls == null
            ? " is not http://host:port; an https endpoint needs baton.etcd.tls.certificate, .key and .ca"
            : " is not https://host:port, and baton.etcd.tls is set"));
      }
    }
    if (etcd.user().isPresent() != etcd.password().isPresent()) {
      throw invalid(etcd.user().isPresent() ? "baton.etcd.password" : "baton.etcd.user",
          "baton.etcd.user and baton.etcd.password go together");
    }
    final Optional<String> probeAddress = etcd.probeAddress().map(String::trim);
    probeAddress.filter(a -> !a.equals("none")).ifPresent(a -> {
      try {
        Peer.parse(config.nodeId() + "=" + a);
      } catch (IllegalArgumentException e) {
        throw invalid("baton.etcd.probe-address", a + " is not host:port (or none): " + e.getMessage());
      }
    });
    return new Etcd(endpoints, etcd.namespace().orElse("/baton/" + config.clusterName() + "/"), etcd.leaseTtl(),
        etcd.requestTimeout(), tls, etcd.user(), etcd.password(), probeAddress);
  }

  /**
   * Where the other nodes probe node {@code nodeId} on etcd, or null for none: {@code configured}
   * ({@code baton.etcd.probe-address}), else the HTTP server's {@code host} and {@code port} when the
   * host is not a wildcard address (nobody could reach "every address") and the port is fixed.
   */
  static Peer probe(String nodeId, Optional<String> configured, String httpHost, int httpPort) {
    if (configured.isPresent()) {
      return configured.get().equals("none") ? null : Peer.parse(nodeId + "=" + configured.get());
    }
    final String host = httpHost == null ? "" : httpHost.trim();
    if (host.isEmpty() || httpPort <= 0 || host.equals("0.0.0.0") || host.equals("::") || host.equals("[::]")) {
      return null;
    }
    return new Peer(nodeId, host.startsWith("[") && host.endsWith("]") ? host.substring(1, host.length() - 1) : host,
        httpPort);
  }

  private static Placement placement(BatonConfig config) {
    if (config.placement() == BatonConfig.PlacementKind.LEADER) {
      return Placement.leader();
    }
    final BatonConfig.Spread spread = config.spread();
    if (spread.sessionTtl().compareTo(Placement.Spread.MIN_SESSION_TTL) < 0) {
      throw invalid("baton.spread.session-ttl", spread.sessionTtl().toMillis() + " ms is below the minimum of "
          + Placement.Spread.MIN_SESSION_TTL.toMillis() + " ms");
    }
    if (spread.rebalanceAfter().isNegative()) {
      throw invalid("baton.spread.rebalance-after", "must not be negative (0 disables rebalancing)");
    }
    return Placement.spread(spread.sessionTtl(), spread.rebalanceAfter());
  }

  private static Members members(BatonConfig.Members m) {
    requirePositive(m.suspectAfter(), "baton.members.suspect-after");
    if (m.downAfter().compareTo(m.suspectAfter()) <= 0) {
      throw invalid("baton.members.down-after", m.downAfter().toMillis() + " ms must exceed"
          + " baton.members.suspect-after (" + m.suspectAfter().toMillis() + " ms)");
    }
    requirePositive(m.checkInterval(), "baton.members.check-interval");
    return new Members(m.suspectAfter(), m.downAfter(), m.checkInterval(), m.role());
  }

  private static void requirePositive(Duration d, String property) {
    if (d.isZero() || d.isNegative()) {
      throw invalid(property, d.toMillis() + " ms must be positive");
    }
  }

  /** The role that owns members: the configured one, which must exist, or the first by name. */
  String membersRole(List<String> roles) {
    if (members.role().isPresent()) {
      final String role = members.role().get();
      if (!roles.contains(role)) {
        throw invalid("baton.members.role", "'" + role + "' is not a role of this node (roles: " + roles + ")");
      }
      return role;
    }
    return roles.stream().sorted().findFirst().orElseThrow();
  }

  /**
   * Refuses a gRPC inbound message limit too small for a put of the largest value: such puts would
   * fail with a bare RESOURCE_EXHAUSTED instead of succeeding.
   */
  static void checkGrpcInboundLimit(java.util.OptionalInt bytes) {
    if (bytes.isPresent() && bytes.getAsInt() < BatonGrpcService.MIN_INBOUND_MESSAGE_BYTES) {
      throw invalid("quarkus.grpc.server.max-inbound-message-size", bytes.getAsInt() + " bytes is below what a put"
          + " of the largest value (1 MiB) with the longest key needs (" + BatonGrpcService.MIN_INBOUND_MESSAGE_BYTES
          + " bytes); Baton's default is " + BatonGrpcService.MAX_INBOUND_MESSAGE_BYTES);
    }
  }

  /**
   * What to warn about the HTTP port's client certificates, one line each: a node whose Raft port
   * has mutual TLS ({@code baton.tls.*}) while its HTTPS takes clients without a certificate; a node
   * that requires client certificates at start ({@code baton.http.client-auth}) while its plaintext
   * port stays open.
   *
   * @param builtClientAuth  {@code quarkus.http.ssl.client-auth} as the application was built
   *     (Quarkus fixes it then and ignores a value given at start)
   * @param clientAuth       {@code baton.http.client-auth}, if set
   * @param insecureRequests {@code quarkus.http.insecure-requests} ({@code enabled} when unset)
   */
  static List<String> httpClientAuthWarnings(String node, boolean raftTls, ClientAuth builtClientAuth,
      Optional<ClientAuth> clientAuth, String insecureRequests) {
    final List<String> warnings = new ArrayList<>();
    final ClientAuth effective = clientAuth.orElse(builtClientAuth);
    if (raftTls && effective != ClientAuth.REQUIRED) {
      warnings.add("node " + node + ": baton.tls secures the Raft port, but over HTTPS the HTTP port (Baton's gRPC"
          + " API, status) takes clients without a certificate (client auth " + effective + "); set"
          + " baton.http.client-auth=required (Quarkus' quarkus.http.ssl.client-auth is fixed when the application"
          + " is built, and was built as " + builtClientAuth + ")");
    }
    if (clientAuth.orElse(null) == ClientAuth.REQUIRED && builtClientAuth != ClientAuth.REQUIRED
        && !"disabled".equalsIgnoreCase(insecureRequests)) {
      warnings.add("node " + node + ": baton.http.client-auth=required applies to HTTPS only, and the plaintext"
          + " HTTP port is open to every client (quarkus.http.insecure-requests=" + insecureRequests + "); set"
          + " quarkus.http.insecure-requests=disabled");
    }
    return warnings;
  }

  static IllegalArgumentException invalid(String property, String problem) {
    return new IllegalArgumentException("invalid Baton configuration, " + property + ": " + problem);
  }
}
