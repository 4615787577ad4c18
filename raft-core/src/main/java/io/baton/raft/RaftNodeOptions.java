package io.baton.raft;

import io.baton.store.MonotonicClock;
import java.nio.file.Path;
import java.time.Duration;
import java.util.HashSet;
import java.util.List;
import java.util.Set;

/**
 * Everything a {@link RaftNode} needs, validated once at construction: a bad value fails with an
 * {@link IllegalArgumentException} that names the option and what is wrong with it.
 *
 * @param clusterName       names the Raft group; every node of one cluster uses the same name
 * @param nodeId            this node's id; must be one of {@code peers} unless {@code join} is set
 * @param peers             the voting members to bootstrap a new cluster with (ignored on restart,
 *                          where the membership stored on disk wins)
 * @param self              this node's own address; defaults to its entry in {@code peers}
 * @param storageDir        where the Raft log, metadata and snapshots live; created if missing
 * @param electionTimeoutMin lower bound of the randomized election timeout
 * @param electionTimeoutMax upper bound of the randomized election timeout
 * @param requestTimeout    how long a read or write may wait for a majority before
 *                          {@link NoQuorumException}
 * @param snapshotThreshold log entries applied between automatic snapshots
 * @param maxValueBytes     the largest value a put may carry
 * @param maxRequestBytes   the largest encoded request (a whole batch)
 * @param logSegmentBytes   the size at which a Raft log segment is closed; only closed segments
 *                          are purged after a snapshot
 * @param watchHistory      how many past events each node keeps so that a watch can resume
 * @param leaderLeaseRatio  fraction of {@code electionTimeoutMin} for which a majority's
 *                          acknowledgement keeps this node's leadership valid, counted from the
 *                          send time of the request they answered; between 0.6 and 1
 * @param join              start as a new, empty member that an existing cluster adds with
 *                          {@link RaftNode#addPeer(Peer)}; never bootstraps
 * @param clock             the clock for lease expiry and leader lease checks
 * @param tls               mutual TLS for every Raft connection, or null for plaintext
 */
public record RaftNodeOptions(
    String clusterName,
    String nodeId,
    List<Peer> peers,
    Peer self,
    Path storageDir,
    Duration electionTimeoutMin,
    Duration electionTimeoutMax,
    Duration requestTimeout,
    long snapshotThreshold,
    int maxValueBytes,
    int maxRequestBytes,
    long logSegmentBytes,
    int watchHistory,
    double leaderLeaseRatio,
    boolean join,
    MonotonicClock clock,
    TlsFiles tls) {

  public static final String DEFAULT_CLUSTER_NAME = "baton";
  public static final Duration DEFAULT_ELECTION_TIMEOUT_MIN = Duration.ofMillis(1000);
  public static final Duration DEFAULT_ELECTION_TIMEOUT_MAX = Duration.ofMillis(2000);
  public static final Duration DEFAULT_REQUEST_TIMEOUT = Duration.ofSeconds(3);
  public static final long DEFAULT_SNAPSHOT_THRESHOLD = 10_000;
  public static final int DEFAULT_MAX_VALUE_BYTES = io.baton.store.RequestLimits.DEFAULT_MAX_VALUE_BYTES;
  public static final int DEFAULT_MAX_REQUEST_BYTES = 4 * 1024 * 1024;
  public static final long DEFAULT_LOG_SEGMENT_BYTES = 8L * 1024 * 1024;
  public static final int DEFAULT_WATCH_HISTORY = 10_000;
  public static final double DEFAULT_LEADER_LEASE_RATIO = 0.9;
  /** The part of {@code electionTimeoutMin} kept for delivery and scheduling delays in {@link #pauseTolerance()}. */
  static final double PAUSE_SLACK_RATIO = 0.1;

  public RaftNodeOptions {
    requireNonNull(clusterName, "clusterName");
    requireNonNull(nodeId, "nodeId");
    requireNonNull(peers, "peers");
    requireNonNull(storageDir, "storageDir");
    requireNonNull(electionTimeoutMin, "electionTimeoutMin");
    requireNonNull(electionTimeoutMax, "electionTimeoutMax");
    requireNonNull(requestTimeout, "requestTimeout");
    requireNonNull(clock, "clock");
    peers = List.copyOf(peers);
    if (clusterName.isBlank()) {
      throw invalid("clusterName", "must not be blank");
    }
    final Set<String> ids = new HashSet<>();
    final Set<String> addresses = new HashSet<>();
    for (Peer p : peers) {
      if (!ids.add(p.id())) {
        throw invalid("peers", "node id '" + p.id() + "' appears more than once in " + peers);
      }
      if (!addresses.add(p.address())) {
        throw invalid("peers", "address " + p.address() + " is used by more than one peer in " + peers);
      }
    }
    final Peer listed = peers.stream().filter(p -> p.id().equals(nodeId)).findFirst().orElse(null);
    if (self == null) {
      if (listed == null) {
        throw invalid("nodeId", "'" + nodeId + "' is not among the peers " + peers
            + (join ? " and no self address was given for joining" : ""));
      }
      self = listed;
    } else if (!self.id().equals(nodeId)) {
      throw invalid("self", "id '" + self.id() + "' differs from nodeId '" + nodeId + "'");
    } else if (listed != null && !listed.equals(self)) {
      throw invalid("self", self + " differs from this node's entry in peers: " + listed);
    }
    if (!join && peers.isEmpty()) {
      throw invalid("peers", "must list at least this node to bootstrap a cluster");
    }
    if (join && listed != null) {
      throw invalid("join", "a joining node must not be among the initial peers " + peers
          + ": it is added later with addPeer");
    }
    if (electionTimeoutMin.toMillis() < 10) {
      throw invalid("electionTimeoutMin", electionTimeoutMin + " is below 10 ms");
    }
    if (electionTimeoutMax.compareTo(electionTimeoutMin) <= 0) {
      throw invalid("electionTimeoutMax", electionTimeoutMax + " must exceed electionTimeoutMin "
          + electionTimeoutMin);
    }
    if (requestTimeout.compareTo(electionTimeoutMax) <= 0) {
      throw invalid("requestTimeout", requestTimeout + " must exceed electionTimeoutMax "
          + electionTimeoutMax + " so that a request can outlive one election");
    }
    if (snapshotThreshold < 1) {
      throw invalid("snapshotThreshold", snapshotThreshold + " must be at least 1");
    }
    if (maxValueBytes < 1) {
      throw invalid("maxValueBytes", maxValueBytes + " must be at least 1");
    }
    if (maxRequestBytes < maxValueBytes + 1024) {
      throw invalid("maxRequestBytes", maxRequestBytes + " must exceed maxValueBytes (" + maxValueBytes
          + ") by at least 1024 bytes of framing");
    }
    if (maxRequestBytes > 64 * 1024 * 1024) {
      throw invalid("maxRequestBytes", maxRequestBytes + " exceeds the 64 MiB transport limit");
    }
    if (logSegmentBytes < maxRequestBytes + 64L * 1024) {
      throw invalid("logSegmentBytes", logSegmentBytes + " must exceed maxRequestBytes (" + maxRequestBytes
          + ") by at least 64 KiB so that the largest request fits in one segment");
    }
    if (watchHistory < 1) {
      throw invalid("watchHistory", watchHistory + " must be at least 1");
    }
    if (!(leaderLeaseRatio > 0.5 + PAUSE_SLACK_RATIO && leaderLeaseRatio < 1)) {
      throw invalid("leaderLeaseRatio", leaderLeaseRatio + " must lie strictly between " + (0.5 + PAUSE_SLACK_RATIO)
          + " (heartbeats go out every half election timeout) and 1");
    }
  }

  private static void requireNonNull(Object value, String name) {
    if (value == null) {
      throw invalid(name, "is required");
    }
  }

  private static InvalidOptionException invalid(String option, String problem) {
    return new InvalidOptionException(option, problem);
  }

  /** An option with a value a node cannot run with; {@link #option()} names it (a record component). */
  public static final class InvalidOptionException extends IllegalArgumentException {
    private final String option;

    InvalidOptionException(String option, String problem) {
      super("invalid raft node option '" + option + "': " + problem);
      this.option = option;
    }

    /** The option's name, as the record component ({@code electionTimeoutMin}, say). */
    public String option() {
      return option;
    }
  }

  /** How long a leader may act on a majority's acknowledgement, counted from the send time of what they answered. */
  public Duration leaderLease() {
    return Duration.ofNanos((long) (electionTimeoutMin.toNanos() * leaderLeaseRatio));
  }

  /**
   * The longest pause of the leader's process (a GC pause, a stalled VM) that causes no takeover:
   * {@code (leaderLeaseRatio - 0.5 - 0.1) × electionTimeoutMin}, 300 ms with the defaults. Ratis
   * sends a heartbeat half an election timeout after the last answer, so when a pause starts the
   * newest answered request may be that old already; the lease then lasts the rest of
   * {@code leaderLease()}, less a tenth of the election timeout kept for delivery and scheduling
   * delays. Followers wait at least {@code electionTimeoutMin} of silence, longer than that.
   */
  public Duration pauseTolerance() {
    return Duration.ofNanos((long) (electionTimeoutMin.toNanos() * (leaderLeaseRatio - 0.5 - PAUSE_SLACK_RATIO)));
  }

  public static Builder builder() {
    return new Builder();
  }

  /** A builder with every default filled in; only nodeId, peers and storageDir are required. */
  public static final class Builder {
    private String clusterName = DEFAULT_CLUSTER_NAME;
    private String nodeId;
    private List<Peer> peers = List.of();
    private Peer self;
    private Path storageDir;
    private Duration electionTimeoutMin = DEFAULT_ELECTION_TIMEOUT_MIN;
    private Duration electionTimeoutMax = DEFAULT_ELECTION_TIMEOUT_MAX;
    private Duration requestTimeout = DEFAULT_REQUEST_TIMEOUT;
    private long snapshotThreshold = DEFAULT_SNAPSHOT_THRESHOLD;
    private int maxValueBytes = DEFAULT_MAX_VALUE_BYTES;
    private int maxRequestBytes = DEFAULT_MAX_REQUEST_BYTES;
    private long logSegmentBytes = DEFAULT_LOG_SEGMENT_BYTES;
    private int watchHistory = DEFAULT_WATCH_HISTORY;
    private double leaderLeaseRatio = DEFAULT_LEADER_LEASE_RATIO;
    private boolean join;
    private MonotonicClock clock = MonotonicClock.SYSTEM;
    private TlsFiles tls;

    private Builder() {
    }

    public Builder clusterName(String v) { clusterName = v; return this; }
    public Builder nodeId(String v) { nodeId = v; return this; }
    public Builder peers(List<Peer> v) { peers = v; return this; }
    public Builder self(Peer v) { self = v; return this; }
    public Builder storageDir(Path v) { storageDir = v; return this; }
    public Builder electionTimeout(Duration min, Duration max) {
      electionTimeoutMin = min;
      electionTimeoutMax = max;
      return this;
    }
    public Builder requestTimeout(Duration v) { requestTimeout = v; return this; }
    public Builder snapshotThreshold(long v) { snapshotThreshold = v; return this; }
    public Builder maxValueBytes(int v) { maxValueBytes = v; return this; }
    public Builder maxRequestBytes(int v) { maxRequestBytes = v; return this; }
    public Builder logSegmentBytes(long v) { logSegmentBytes = v; return this; }
    public Builder watchHistory(int v) { watchHistory = v; return this; }
    public Builder leaderLeaseRatio(double v) { leaderLeaseRatio = v; return this; }
    public Builder join(boolean v) { join = v; return this; }
    public Builder clock(MonotonicClock v) { clock = v; return this; }
    /** Mutual TLS for every Raft connection of the node; default none (plaintext). */
    public Builder tls(TlsFiles v) { tls = v; return this; }

    public RaftNodeOptions build() {
      return new RaftNodeOptions(clusterName, nodeId, peers, self, storageDir, electionTimeoutMin,
          electionTimeoutMax, requestTimeout, snapshotThreshold, maxValueBytes, maxRequestBytes,
          logSegmentBytes, watchHistory, leaderLeaseRatio, join, clock, tls);
    }
  }

  @Override
  public String toString() {
    return "RaftNodeOptions[cluster=" + clusterName + ", node=" + nodeId + ", peers=" + peers
        + ", storageDir=" + storageDir + ", join=" + join + ", tls=" + (tls == null ? "off" : "on") + "]";
  }

}
