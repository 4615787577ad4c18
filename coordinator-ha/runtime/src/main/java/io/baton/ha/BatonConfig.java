package io.baton.ha;

import io.quarkus.runtime.annotations.ConfigPhase;
import io.quarkus.runtime.annotations.ConfigRoot;
import io.smallrye.config.ConfigMapping;
import io.smallrye.config.WithDefault;
import java.time.Duration;
import java.util.List;
import java.util.Map;

/** Baton's configuration: one node of a cluster and the roles it runs. */
@ConfigMapping(prefix = "baton")
@ConfigRoot(phase = ConfigPhase.RUN_TIME)
public interface BatonConfig {

  /** This node's id; one of the ids in {@code baton.peers}. */
  String nodeId();

  /** The cluster's name; every node of one cluster uses the same (it names the Raft group). */
  @WithDefault(io.baton.raft.RaftNodeOptions.DEFAULT_CLUSTER_NAME)
  String clusterName();

  /** The voting members as {@code id=host:port} (IPv6 as {@code [::1]}), comma-separated; this node's entry is its Raft address. Required with the ratis backend. */
  java.util.Optional<List<String>> peers();

  /** The directory under which this node keeps its Raft log and snapshots (in a sub-directory named after the node). */
  @WithDefault("baton-data")
  String dataDir();

  /** What decides and replicates: {@code ratis} (embedded, no external service) or {@code etcd}. */
  @WithDefault("ratis")
  Backend backend();

  /** Raft timing and limits. */
  Raft raft();

  /**
   * Where roles are active: {@code leader} (on ratis: every role on the Raft leader, a takeover is
   * one Raft election; on etcd: each role an etcd election) or {@code spread} (roles spread over the
   * live nodes through role leases; a takeover is about one {@code baton.spread.session-ttl}).
   */
  @WithDefault("leader")
  PlacementKind placement();

  /** Spread placement's session and rebalancing. */
  Spread spread();

  /** The etcd backend ({@code baton.backend=etcd}). */
  Etcd etcd();

  /** etcd's v3 API served by this node (on the ratis backend). */
  EtcdApi etcdApi();

  /** Failure detection of members (workers that heartbeat to the active node). */
  Members members();

  /** Who may make the admin calls of the gRPC API (role transfer, backup, peer changes). */
  Admin admin();

  /** Mutual TLS between the nodes (Raft traffic); set all three files or none. */
  Tls tls();

  /** Client certificates on the HTTP port's HTTPS (Baton's gRPC API, status, health). */
  Http http();

  /** The roles this node runs, by name; a role handler bean without an entry here runs with the defaults. */
  Map<String, Role> roles();

  /**
   * The node's certificate for mutual TLS on the Raft port: every peer must present a certificate
   * of {@code ca}, and a client checks that a peer's certificate names the host of its Raft address.
   * PEM files, read again when they change. Unset: Raft traffic is plaintext.
   */
  interface Tls {
    /** This node's certificate (chain), PEM. */
    java.util.Optional<String> certificate();

    /** This node's private key, PEM PKCS#8 ({@code BEGIN PRIVATE KEY}), RSA or EC. */
    java.util.Optional<String> key();

    /** The CA certificate(s) whose certificates peers must present, PEM. */
    java.util.Optional<String> ca();
  }

  /** Client certificates on the HTTP port's HTTPS. */
  interface Http {
    /**
     * Whether HTTPS on the HTTP port asks for ({@code request}) or requires ({@code required}) a
     * client certificate of the trust store ({@code quarkus.tls.trust-store.*}), or takes clients
     * without one ({@code none}), read when the node starts. Quarkus' own
     * {@code quarkus.http.ssl.client-auth} is fixed when the application is built; this one
     * overrides it. Unset: as built. With {@code required}, also set
     * {@code quarkus.http.insecure-requests=disabled}, or the plaintext port serves every client.
     */
    java.util.Optional<io.vertx.core.http.ClientAuth> clientAuth();
  }

  /** Who may make the admin calls of the gRPC API. */
  interface Admin {
    /**
     * A file of tokens, one per line as {@code name operations token} (operations: transfer, backup,
     * peer-add, peer-remove, comma-separated, or *); an admin call then needs
     * {@code authorization: Bearer <token>} with a token granting it. Read again when it changes.
     * Unset: admin calls are open to every client that reaches the gRPC port.
     */
    java.util.Optional<String> tokenFile();
  }

  /** etcd's v3 API on the node's gRPC port. */
  interface EtcdApi {
    /**
     * Whether the node serves etcd's v3 API (KV, Watch, Lease, Maintenance.Status,
     * Cluster.MemberList) from its store, on the gRPC port of Baton's own API. Only on the ratis
     * backend; on etcd, talk to etcd. Turned off, its calls fail {@code UNIMPLEMENTED} saying so.
     */
    @WithDefault("true")
    @io.smallrye.config.WithConverter(StrictBooleanConverter.class)
    boolean enabled();
  }

  /** Backends. */
  enum Backend { RATIS, ETCD }

  /** The etcd backend. */
  interface Etcd {
    /** The etcd cluster's client URLs, comma-separated (required with baton.backend=etcd). */
    java.util.Optional<List<String>> endpoints();

    /** Every key of this cluster lives under this prefix; default {@code /baton/<cluster-name>/}. Role elections are {@code <namespace>election/<role>}. */
    java.util.Optional<String> namespace();

    /** A node's session lease: how long its roles outlive its last keep-alive; at least 2 s (etcd's minimum). */
    @WithDefault("5s")
    Duration leaseTtl();

    /** How long an etcd request may take before it counts as failed. */
    @WithDefault("2s")
    Duration requestTimeout();

    /**
     * Mutual TLS to etcd ({@code https} endpoints): this node's client certificate and key, and the
     * CA of etcd's server certificates; all three or none. Read again when they change.
     */
    Tls tls();

    /** The etcd user when etcd's authentication is enabled (with {@code baton.etcd.password}). */
    java.util.Optional<String> user();

    /** The etcd user's password (env {@code BATON_ETCD_PASSWORD}). */
    java.util.Optional<String> password();

    /**
     * {@code host:port} at which the other nodes reach this node's process (its HTTP port), so that
     * they tell its crash from silence and move its roles at once instead of after the lease TTL
     * (leader placement). Default: {@code quarkus.http.host:quarkus.http.port} when that host is not a
     * wildcard address; {@code none} turns it off.
     */
    java.util.Optional<String> probeAddress();
  }

  /** Placements (see {@link io.baton.ha.Placement}). */
  enum PlacementKind { LEADER, SPREAD }

  /** Spread placement. */
  interface Spread {
    /**
     * How long a node's session (and its role leases) outlives its last keep-alive: how long a
     * silent node keeps its roles. At least the maximum election timeout on Ratis (a Raft election
     * must not expire every session) and 2 s on etcd. A node whose process dies loses its roles at
     * once on Ratis (its port refuses connections), whatever the TTL.
     */
    @WithDefault("5s")
    Duration sessionTtl();

    /** How long a node must have been live before roles move to it to even out the load; 0 disables rebalancing. */
    @WithDefault("5s")
    Duration rebalanceAfter();
  }

  /**
   * Raft timing and limits. Unset properties take raft-core's defaults ({@code RaftNodeOptions},
   * listed in the README), so that every default is written once.
   */
  interface Raft {
    /** Lower bound of the randomized election timeout: how long followers wait in silence before electing. */
    java.util.Optional<Duration> electionTimeoutMin();

    /** Upper bound of the randomized election timeout. */
    java.util.Optional<Duration> electionTimeoutMax();

    /** How long a metadata read or write may wait for a majority. */
    java.util.Optional<Duration> requestTimeout();

    /** Log entries applied between automatic snapshots. */
    java.util.OptionalLong snapshotThreshold();

    /**
     * How many past events each node keeps for watches to resume from; a watch from an older
     * revision fails as compacted (gRPC OUT_OF_RANGE).
     */
    java.util.OptionalInt watchHistory();

    /**
     * Start empty and wait to be added to a running cluster as a voting peer ({@code baton peer add
     * <node-id> <host:port>}, the gRPC AddPeer call); {@code baton.peers} lists the running peers and
     * this node's own address. Ignored once the node's storage holds the cluster (a restart).
     */
    @WithDefault("false")
    @io.smallrye.config.WithConverter(StrictBooleanConverter.class)
    boolean join();

    /**
     * After start-up, run a practice cluster in this process once (three throwaway Raft nodes on
     * free loopback ports, storage in {@code <data-dir>/<node-id>.rehearsal}, deleted afterwards)
     * whose leadership is handed around a few times, so that the code of a takeover is warm before
     * this node first takes over. A few seconds of CPU in the background; {@code false} skips it.
     */
    @WithDefault("true")
    @io.smallrye.config.WithConverter(StrictBooleanConverter.class)
    boolean rehearse();
  }

  /** Failure detection of members. */
  interface Members {
    /** Silence after which a member is SUSPECT. */
    @WithDefault("3s")
    Duration suspectAfter();

    /** Silence after which a member is DOWN; must exceed suspect-after. */
    @WithDefault("6s")
    Duration downAfter();

    /** How often the active node checks its members' silence. */
    @WithDefault("500ms")
    Duration checkInterval();

    /**
     * The role whose active node takes members' heartbeats and runs their failure detector; its
     * handler (and every other handler active on that node) hears of their transitions. Default: the
     * first role by name.
     */
    java.util.Optional<String> role();
  }

  /** One role. */
  interface Role {
    /** How a standby keeps the role's state: {@code hot} (fed from the log) or {@code warm} (loaded at activation). */
    @WithDefault("hot")
    StandbyMode standbyMode();
  }
}
