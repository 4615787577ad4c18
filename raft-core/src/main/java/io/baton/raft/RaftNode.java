package io.baton.raft;

import io.baton.store.BatonException;
import io.baton.store.ClosedException;
import io.baton.store.Futures;
import io.baton.store.MetadataStore;
import io.baton.store.NoQuorumException;
import io.baton.store.SerialExecutor;
import io.baton.store.StorageException;
import java.io.IOException;
import java.io.OutputStream;
import java.net.BindException;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.nio.charset.StandardCharsets;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collection;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.Executor;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ThreadFactory;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.Consumer;
import org.apache.ratis.RaftConfigKeys;
import org.apache.ratis.client.RaftClient;
import org.apache.ratis.client.RaftClientConfigKeys;
import org.apache.ratis.conf.RaftProperties;
import org.apache.ratis.conf.Parameters;
import org.apache.ratis.grpc.GrpcConfigKeys;
import org.apache.ratis.grpc.GrpcTlsConfig;
import org.apache.ratis.protocol.ClientId;
import org.apache.ratis.protocol.Message;
import org.apache.ratis.protocol.RaftClientReply;
import org.apache.ratis.protocol.RaftClientRequest;
import org.apache.ratis.protocol.RaftGroup;
import org.apache.ratis.protocol.RaftGroupId;
import org.apache.ratis.protocol.RaftPeer;
import org.apache.ratis.protocol.RaftPeerId;
import org.apache.ratis.protocol.SetConfigurationRequest;
import org.apache.ratis.protocol.exceptions.ChecksumException;
import org.apache.ratis.retry.RetryPolicies;
import org.apache.ratis.retry.RetryPolicy;
import org.apache.ratis.rpc.SupportedRpcType;
import org.apache.ratis.server.DivisionInfo;
import org.apache.ratis.server.RaftConfiguration;
import org.apache.ratis.server.RaftServer;
import org.apache.ratis.server.RaftServerConfigKeys;
import org.apache.ratis.server.impl.BatonRatisAccess;
import org.apache.ratis.server.raftlog.segmented.LogSegment;
import org.apache.ratis.server.raftlog.segmented.LogSegmentPath;
import org.apache.ratis.server.storage.RaftStorage;
import org.apache.ratis.thirdparty.io.netty.handler.ssl.SslProvider;
import org.apache.ratis.util.SizeInBytes;
import org.apache.ratis.util.TimeDuration;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One node of a Baton cluster: an embedded Apache Ratis server with the replicated
 * {@link MetadataStore}, one Raft group per cluster.
 *
 * <p>Lifecycle: {@link #start()} once, {@link #close()} once (closing releases leadership without
 * handing it over; a new leader is elected by the others). On start the node bootstraps a new
 * cluster from {@link RaftNodeOptions#peers()} when its storage directory holds nothing, or
 * recovers from its storage directory (log and latest snapshot) otherwise. A corrupt snapshot or
 * log makes {@code start()} fail with a {@link StorageException} naming the file; the node never
 * starts empty in silence.
 *
 * <p>All methods are thread-safe.
 */
public final class RaftNode implements AutoCloseable {
  private static final Logger LOG = LoggerFactory.getLogger(RaftNode.class);
  private static final long LEASE_CHECK_MILLIS = 50;
  /** How often a follower whose leader died checks whether to start (or retry) its election. */
  private static final long FAST_ELECTION_POLL_MILLIS = 10;
  /** How often a follower checks how long its leader has been silent ({@link SilenceCheck}). */
  private static final long SILENCE_CHECK_MILLIS = 20;
  /**
   * A silence check that runs this much later than planned finds this node itself was paused or
   * starved (its leader's heartbeats may be waiting unread): it counts the silence afresh rather
   * than elect on stale news, as Ratis' own timer skips an overslept round (its default sleep
   * deviation threshold, 300 ms).
   */
  private static final long SILENCE_CHECK_OVERSLEPT_MILLIS = 300;

  /** Lifecycle states; {@link #start()} and {@link #close()} move forward only. */
  public enum State { LATENT, STARTED, CLOSED }

  private final RaftNodeOptions options;
  private final RaftGroupId groupId;
  private final RaftPeerId selfId;
  private final AtomicReference<State> state = new AtomicReference<>(State.LATENT);
  /**
   * Held through {@link #start()} and {@link #close()}: a close on another thread during the start
   * waits for it, so that it also stops the server the start created (it would find none otherwise).
   */
  private final Object lifecycleLock = new Object();
  private final ExecutorService callbacks;
  private final ScheduledExecutorService timer;
  private final LeaseDeadlines deadlines;
  private final MetadataStateMachine stateMachine;
  private final List<Registration> listeners = new CopyOnWriteArrayList<>();
  private final Object leadershipLock = new Object();
  private final Events events = new Events();
  private long leaderEpoch;
  private volatile String knownLeader;
  /** Space kept for the vote record once the disk is full (see {@link StorageReserve}). */
  private final StorageReserve reserve;
  /** Why the Raft log failed, once it did (see {@link #logFailure()}). */
  private volatile String logFailure;
  private RaftServer server;
  private RaftClient client;
  private RatisMetadataStore store;
  private PeerWatch peerWatch;
  private final List<Consumer<String>> peerGoneListeners = new CopyOnWriteArrayList<>();

  private record Registration(LeadershipListener listener, SerialExecutor executor) {}

  public RaftNode(RaftNodeOptions options) {
    this.options = options;
    this.groupId = groupIdOf(options.clusterName());
    this.selfId = RaftPeerId.valueOf(options.nodeId());
    this.callbacks = Executors.newCachedThreadPool(daemon("baton-callback-" + options.nodeId()));
    this.timer = Executors.newSingleThreadScheduledExecutor(daemon("baton-timer-" + options.nodeId()));
    this.deadlines = new LeaseDeadlines(options.clock());
    this.reserve = new StorageReserve(options.nodeId(), options.storageDir());
    this.stateMachine = new MetadataStateMachine(options.nodeId(), options.watchHistory(),
        new WatchHub(callbacks, options.nodeId()), deadlines, RequestValidator.of(options), events,
        () -> leadership().leader());
  }

  /** The Raft group id a cluster name maps to (stable across restarts). */
  public static RaftGroupId groupIdOf(String clusterName) {
    return RaftGroupId.valueOf(UUID.nameUUIDFromBytes(("baton-cluster:" + clusterName).getBytes(StandardCharsets.UTF_8)));
  }

  public RaftNodeOptions options() {
    return options;
  }

  public String nodeId() {
    return options.nodeId();
  }

  public State state() {
    return state.get();
  }

  /**
   * Starts the node: opens (or creates) its storage, binds its Raft port and joins the election.
   * Returns once the server runs; it may not know a leader yet.
   *
   * @throws IllegalStateException when called twice
   * @throws IllegalArgumentException when the Raft port is in use or the address cannot be bound
   * @throws StorageException when the storage directory is unusable or holds corrupt data
   */
  public void start() {
    synchronized (lifecycleLock) { // a close() on another thread waits for the start, then undoes all of it
      startLocked();
    }
  }

  private void startLocked() {
    if (!state.compareAndSet(State.LATENT, State.STARTED)) {
      throw new IllegalStateException("node " + nodeId() + " is " + state.get() + "; start() may be called once");
    }
    try {
      final RaftStorage.StartupOption startup = prepareStorage();
      reserve.ensure();
      checkPortFree();
      final RaftGroup group = RaftGroup.valueOf(groupId, options.join() && startup == RaftStorage.StartupOption.FORMAT
          ? List.of() : toRaftPeers(options.peers()));
      server = RaftServer.newBuilder()
          .setServerId(selfId)
          .setGroup(group)
          .setStateMachine(stateMachine)
          .setProperties(serverProperties())
          .setOption(startup)
          .setParameters(parameters(options.tls()))
          .build();
      if (options.tls() != null) {
        PlaintextRefusals.watch(nodeId());
      }
      server.start();
      client = newClient(options.clusterName(), clientPeers(), options.requestTimeout(), options.maxRequestBytes(),
          options.tls());
      store = new RatisMetadataStore("node " + nodeId(),
          () -> newClient(options.clusterName(), clientPeers(), options.requestTimeout(), options.maxRequestBytes(),
              options.tls()),
          stateMachine, this::submitIfLeader, RequestValidator.of(options), options.requestTimeout());
      timer.scheduleWithFixedDelay(this::expireLeases, LEASE_CHECK_MILLIS, LEASE_CHECK_MILLIS, TimeUnit.MILLISECONDS);
      startPeerWatch();
      LOG.info("node {} role=follower epoch=0: started ({}, {}), raft at {}, storage {}", nodeId(),
          startup == RaftStorage.StartupOption.FORMAT ? (options.join() ? "joining" : "new cluster") : "recovered",
          options.clusterName(), options.self().address(), options.storageDir());
    } catch (RuntimeException | IOException e) {
      final RuntimeException failure = startFailure(e);
      LOG.error("node {}: failed to start: {}", nodeId(), failure.getMessage());
      close();
      throw failure;
    }
  }

  private RaftStorage.StartupOption prepareStorage() {
    final Path dir = options.storageDir();
    try {
      Files.createDirectories(dir);
    } catch (IOException e) {
      throw new StorageException(dir, "node " + nodeId() + " cannot create its storage directory: " + e, e);
    }
    if (!Files.isDirectory(dir) || !Files.isWritable(dir)) {
      throw new StorageException(dir, "node " + nodeId() + " storage directory is not a writable directory", null);
    }
    final String mine = groupId.getUuid().toString();
    boolean found = false;
    Path restore = null;
    try (DirectoryStream<Path> entries = Files.newDirectoryStream(dir)) {
      for (Path p : entries) {
        final String name = p.getFileName().toString();
        if (name.equals(mine)) {
          found = true;
        } else if (isGroupDirectoryName(name)) {
          throw new StorageException(p, "node " + nodeId() + " storage directory holds another cluster's data"
              + " (Raft group " + name + "), not cluster '" + options.clusterName() + "' (group " + mine
              + "); use that cluster's name or another directory", null);
        } else if (name.equals(Backup.restoreFileName(mine))) {
          restore = p;
        } else if (Backup.isRestoreFileName(name)) {
          throw new StorageException(p, "node " + nodeId() + " storage directory holds a backup placed for another"
              + " cluster, not cluster '" + options.clusterName() + "' (group " + mine + "); restore it with this"
              + " cluster's name or start this node with the cluster name it was placed for", null);
        }
      }
    } catch (IOException e) {
      throw new StorageException(dir, "node " + nodeId() + " cannot list its storage directory: " + e, e);
    }
    if (restore != null) {
      if (options.join()) {
        throw new StorageException(restore, "node " + nodeId() + " is to join a running cluster, which gives it its"
            + " state; a placed backup is for the nodes that form a restored cluster: remove it or start without"
            + " join", null);
      }
      stateMachine.restoreFrom(Backup.read(restore));
    }
    return found ? RaftStorage.StartupOption.RECOVER : RaftStorage.StartupOption.FORMAT;
  }

  /** Whether a storage directory entry is a Raft group's directory (a cluster's data). */
  static boolean isGroupDirectoryName(String name) {
    return name.matches("[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}");
  }

  private void checkPortFree() {
    final Peer self = options.self();
    try (ServerSocket probe = new ServerSocket()) {
      probe.setReuseAddress(true);
      probe.bind(new InetSocketAddress(self.host(), self.port()));
    } catch (BindException e) {
      throw new IllegalArgumentException("node " + nodeId() + " cannot bind its Raft address " + self.address()
          + ": " + e.getMessage() + " (is another process using the port?)", e);
    } catch (IOException e) {
      throw new IllegalArgumentException("node " + nodeId() + " cannot bind its Raft address " + self.address()
          + ": " + e, e);
    }
  }

  private RuntimeException startFailure(Throwable e) {
    for (Throwable t = e; t != null; t = t.getCause()) {
      if (t instanceof BatonException b) {
        return b;
      }
      if (t instanceof IllegalArgumentException iae && t == e) {
        return iae;
      }
      if (t instanceof BindException) {
        return new IllegalArgumentException("node " + nodeId() + " cannot bind its Raft address "
            + options.self().address() + ": " + t.getMessage(), e);
      }
    }
    final Path meta = failedMetadataFile(e);
    if (meta != null) {
      return new StorageException(meta, "node " + nodeId() + " refuses to start: its Raft term and vote record is"
          + " unreadable (" + rootMessage(e) + "; a full disk can leave it empty). It cannot know whom it voted for,"
          + " so it must not vote again: remove it from the cluster, wipe its storage directory and add it back"
          + " (it then catches up from the leader)", e);
    }
    if (isCausedBy(e, ChecksumException.class)) {
      final Path segment = findCorruptLogSegment();
      return new StorageException(segment != null ? segment : options.storageDir(), "node " + nodeId()
          + " refuses to start: its Raft log is corrupt (" + rootMessage(e) + "); restore the file, or remove"
          + " this node's storage and re-add it to the cluster", e);
    }
    if (e instanceof IllegalStateException ise) {
      return ise;
    }
    return new IllegalStateException("node " + nodeId() + " failed to start: " + rootMessage(e), e);
  }

  /** The {@code raft-meta} file Ratis failed to load ("Failed to load <file>"), if that is the failure. */
  private static Path failedMetadataFile(Throwable e) {
    final String prefix = "Failed to load ";
    for (Throwable t = e; t != null; t = t.getCause()) {
      final String m = t.getMessage();
      if (t instanceof IOException && m != null && m.startsWith(prefix) && m.endsWith("raft-meta")) {
        return Path.of(m.substring(prefix.length()));
      }
    }
    return null;
  }

  private static boolean isCausedBy(Throwable e, Class<? extends Throwable> type) {
    for (Throwable t = e; t != null; t = t.getCause()) {
      if (type.isInstance(t)) {
        return true;
      }
    }
    return false;
  }

  /** Re-reads every log segment of this node's group and returns the first that fails its checksums. */
  private Path findCorruptLogSegment() {
    final Path current = options.storageDir().resolve(groupId.getUuid().toString()).resolve("current");
    try (java.util.stream.Stream<Path> files = Files.list(current)) {
      for (Path file : files.sorted().toList()) {
        final LogSegmentPath segment = LogSegmentPath.matchLogSegment(file);
        if (segment == null) {
          continue;
        }
        try {
          LogSegment.readSegmentFile(file.toFile(), segment.getStartEnd(),
              SizeInBytes.valueOf(options.maxRequestBytes() + (1 << 20)),
              RaftServerConfigKeys.Log.CorruptionPolicy.EXCEPTION, null, null);
        } catch (IOException | RuntimeException corrupt) {
          return file;
        }
      }
    } catch (IOException e) {
      LOG.warn("node {}: cannot list {} to find the corrupt log segment: {}", nodeId(), current, e.toString());
    }
    return null;
  }

  private static String rootMessage(Throwable e) {
    Throwable t = e;
    while (t.getCause() != null && t.getCause() != t) {
      t = t.getCause();
    }
    return t.getClass().getSimpleName() + ": " + t.getMessage();
  }

  private RaftProperties serverProperties() {
    final RaftProperties p = new RaftProperties();
    RaftConfigKeys.Rpc.setType(p, SupportedRpcType.GRPC);
    RaftServerConfigKeys.setStorageDir(p, List.of(options.storageDir().toFile()));
    GrpcConfigKeys.Server.setHost(p, options.self().host());
    GrpcConfigKeys.Server.setPort(p, options.self().port());
    GrpcConfigKeys.setMessageSizeMax(p, SizeInBytes.valueOf(messageSizeMax(options.maxRequestBytes())));
    RaftServerConfigKeys.Rpc.setTimeoutMin(p, millis(options.electionTimeoutMin()));
    RaftServerConfigKeys.Rpc.setTimeoutMax(p, millis(options.electionTimeoutMax()));
    // pre-vote (Ratis' default, set explicitly): the leader lease and the fast election after a
    // crash rely on followers refusing to help elect anyone while they still hear their leader
    RaftServerConfigKeys.LeaderElection.setPreVote(p, true);
    // no metadata entry (the commit index) appended after every commit: one more entry and fsync
    // per write for a faster replay after a restart, which learns the commit index from the leader
    // at once anyway (Apache Ozone turns it off too)
    RaftServerConfigKeys.Log.setLogMetadataEnabled(p, false);
    // Reads go to the leader only (followers answer NotLeader at once) and are served under the
    // leader lease check in MetadataStateMachine.query. Ratis' LINEARIZABLE option would also serve
    // read-index reads on followers, and in Ratis 3.3.0 such a read on a follower that had been an
    // isolated leader hung until the client's timeout.
    RaftServerConfigKeys.Read.setOption(p, RaftServerConfigKeys.Read.Option.DEFAULT);
    RaftServerConfigKeys.Snapshot.setAutoTriggerEnabled(p, true);
    RaftServerConfigKeys.Snapshot.setAutoTriggerThreshold(p, options.snapshotThreshold());
    RaftServerConfigKeys.Snapshot.setCreationGap(p, Math.min(1024, options.snapshotThreshold()));
    RaftServerConfigKeys.Snapshot.setRetentionFileNum(p, 2);
    // a stop must not hide the recovery path: restart replays the log from the last automatic snapshot
    RaftServerConfigKeys.Snapshot.setTriggerWhenStopEnabled(p, false);
    RaftServerConfigKeys.Log.setPurgeUptoSnapshotIndex(p, true);
    RaftServerConfigKeys.Log.setPurgeGap(p, (int) Math.min(1024, options.snapshotThreshold()));
    RaftServerConfigKeys.Log.setSegmentSizeMax(p, SizeInBytes.valueOf(options.logSegmentBytes()));
    RaftServerConfigKeys.Log.setPreallocatedSize(p, SizeInBytes.valueOf(Math.min(options.logSegmentBytes(), 4 << 20)));
    RaftServerConfigKeys.Log.setWriteBufferSize(p, SizeInBytes.valueOf(options.maxRequestBytes() + (2 << 20)));
    RaftServerConfigKeys.Log.Appender.setBufferByteLimit(p, SizeInBytes.valueOf(options.maxRequestBytes() + (1 << 20)));
    // Ratis' default ("1ms,10, 1s,20, 5s,1000") makes the leader wait up to 5 s between attempts to
    // reach a follower that was down; a restarted follower then stays behind for seconds, and if
    // another node dies meanwhile the cluster has no majority. Retry at least every 100 ms (or half
    // the election timeout, if shorter) instead: a failed connect to a dead follower is cheap.
    final long retryCapMillis = Math.max(20, Math.min(100, options.electionTimeoutMin().toMillis() / 2));
    RaftServerConfigKeys.Log.Appender.setRetryPolicy(p, "1ms,10, " + retryCapMillis + "ms,1000000000");
    return p;
  }

  /** Ratis wants the gRPC limit 1 MiB above the appender's byte limit (maxRequestBytes + 1 MiB). */
  private static long messageSizeMax(int maxRequestBytes) {
    return 2L * maxRequestBytes + (2 << 20);
  }

  static TimeDuration millis(Duration d) {
    return TimeDuration.valueOf(d.toMillis(), TimeUnit.MILLISECONDS);
  }

  /** Ratis' parameters for {@code tls}: one mutual-TLS configuration for server, client and admin traffic. */
  static Parameters parameters(TlsFiles tls) {
    final Parameters parameters = new Parameters();
    if (tls != null) {
      GrpcConfigKeys.TLS.setConf(parameters, GrpcTlsConfig.newBuilder()
          .setName("baton-peers")
          .setKeyManager(tls.keyManager())
          .setTrustManager(tls.trustManager())
          .setMutualTls(true)
          .setSslProvider(SslProvider.JDK)
          .build());
    }
    return parameters;
  }

  /** A Ratis client for a group with {@code peers}; used by nodes and by {@link MetadataClient}. */
  static RaftClient newClient(String clusterName, List<RaftPeer> peers, Duration requestTimeout, int maxRequestBytes,
      TlsFiles tls) {
    final RaftProperties p = new RaftProperties();
    RaftConfigKeys.Rpc.setType(p, SupportedRpcType.GRPC);
    GrpcConfigKeys.setMessageSizeMax(p, SizeInBytes.valueOf(messageSizeMax(maxRequestBytes)));
    RaftClientConfigKeys.Rpc.setRequestTimeout(p, millis(requestTimeout));
    RaftClientConfigKeys.Async.setOutstandingRequestsMax(p, 1024);
    final long sleepMs = 50;
    final RetryPolicy retry = RetryPolicies.retryUpToMaximumCountWithFixedSleep(
        (int) Math.max(2, requestTimeout.toMillis() / sleepMs), TimeDuration.valueOf(sleepMs, TimeUnit.MILLISECONDS));
    return RaftClient.newBuilder()
        .setProperties(p)
        .setParameters(parameters(tls))
        .setRaftGroup(RaftGroup.valueOf(groupIdOf(clusterName), peers))
        .setClientId(ClientId.randomId())
        .setRetryPolicy(retry)
        .build();
  }

  private List<RaftPeer> clientPeers() {
    final List<RaftPeer> peers = new ArrayList<>(toRaftPeers(options.peers()));
    final RaftServer.Division division = divisionOrNull();
    final RaftConfiguration conf = division == null ? null : division.getRaftConf();
    if (conf != null && !conf.getCurrentPeers().isEmpty()) {
      peers.clear();
      peers.addAll(conf.getCurrentPeers());
    }
    return peers;
  }

  static List<RaftPeer> toRaftPeers(Collection<Peer> peers) {
    final List<RaftPeer> out = new ArrayList<>();
    for (Peer p : peers) {
      out.add(toRaftPeer(p));
    }
    return out;
  }

  static RaftPeer toRaftPeer(Peer p) {
    return RaftPeer.newBuilder().setId(p.id()).setAddress(p.address()).build();
  }

  // ---- the store ------------------------------------------------------------------------

  /** Requests this node submits to its own server while it leads: one client id, increasing call ids. */
  private final ClientId localClientId = ClientId.randomId();
  private final java.util.concurrent.atomic.AtomicLong localCallIds = new java.util.concurrent.atomic.AtomicLong();

  /** When {@link #checkSilence} last ran, and the silent leader it last logged (the timer's thread only). */
  private long silenceCheckedAt = System.nanoTime();
  private String silentLeaderLogged;
  /** The term whose leader lease this node last held (positive) or saw lapse (negative); for the log. */
  private final java.util.concurrent.atomic.AtomicLong leaseHeldInTerm = new java.util.concurrent.atomic.AtomicLong();

  private CompletableFuture<RaftClientReply> submitIfLeader(Message message, boolean read) {
    final RaftServer s = server;
    final RaftServer.Division d = divisionOrNull();
    if (s == null || d == null || !d.getInfo().isLeader() || !d.getInfo().isLeaderReady()) {
      return null;
    }
    try {
      return s.submitClientRequestAsync(RaftClientRequest.newBuilder()
          .setClientId(localClientId).setServerId(selfId).setGroupId(groupId)
          .setCallId(localCallIds.incrementAndGet()).setMessage(message)
          .setType(read ? RaftClientRequest.readRequestType() : RaftClientRequest.writeRequestType())
          .build());
    } catch (IOException e) {
      return null; // the server refused to take it: the client path reports what is wrong
    }
  }

  /** The replicated metadata store, through this node (writes are forwarded to the leader). */
  public MetadataStore metadata() {
    requireStarted();
    return store;
  }

  // ---- leadership -----------------------------------------------------------------------

  /**
   * Whether this node may act as leader now, and for which epoch (the Raft term). Unlike cached
   * state, this consults the leader lease: it is true only while a majority of the voting members
   * has answered a request this leader <em>sent</em> within {@link RaftNodeOptions#leaderLease()}.
   * Each of them refuses to help elect anyone else (pre-vote) for {@code electionTimeoutMin} after
   * it received that request, which is later than its sending, so no other node can have been
   * elected while this returns true (given clocks whose rates differ by less than
   * {@code 1 - leaderLeaseRatio}). [Thread-safe, wait-free apart from reading Ratis' state.]
   */
  public Leadership leadership() {
    if (state.get() != State.STARTED) {
      return Leadership.NONE;
    }
    final RaftServer.Division d = divisionOrNull();
    if (d == null) {
      return Leadership.NONE;
    }
    final DivisionInfo info = d.getInfo();
    final long term = info.getCurrentTerm();
    if (!info.isLeader() || !info.isLeaderReady()) {
      return Leadership.NONE;
    }
    final long leaseMs = options.leaderLease().toMillis();
    final Set<String> fresh = new HashSet<>();
    fresh.add(nodeId());
    // the lease runs from the *send* time of the newest request each follower answered (as Ratis'
    // own LeaderLease): the only basis that is safe without assuming the answer was instant
    final Map<String, Long> ages = BatonRatisAccess.ackedSendAgesMs(d);
    ages.forEach((peer, ageMs) -> {
      if (ageMs < leaseMs) {
        fresh.add(peer);
      }
    });
    final RaftConfiguration conf = d.getRaftConf();
    if (!hasMajority(conf.getCurrentPeers(), fresh) || !hasMajority(conf.getPreviousPeers(), fresh)) {
      if (leaseHeldInTerm.getAndSet(-term) == term) {
        LOG.warn("node {} role=leader epoch={}: leader lease lapsed: no majority answered a request sent in the last {} ms"
            + " (ms since the send time of each follower's newest answered request: {}); acting as leader stops until"
            + " one does", nodeId(), term, leaseMs, ages);
      }
      return Leadership.NONE;
    }
    if (info.getCurrentTerm() != term || !info.isLeader()) {
      return Leadership.NONE;
    }
    if (leaseHeldInTerm.getAndSet(term) == -term) {
      LOG.info("node {} role=leader epoch={}: leader lease held again", nodeId(), term);
    }
    return new Leadership(true, term);
  }

  private static boolean hasMajority(Collection<RaftPeer> voters, Set<String> fresh) {
    if (voters.isEmpty()) {
      return true;
    }
    int acked = 0;
    for (RaftPeer p : voters) {
      if (fresh.contains(p.getId().toString())) {
        acked++;
      }
    }
    return acked * 2 > voters.size();
  }

  /**
   * Registers a listener, called on {@code executor}, one call at a time and in order. If this
   * node is leader already, {@link LeadershipListener#isLeader} follows at once.
   */
  public void addLeadershipListener(LeadershipListener listener, Executor executor) {
    final Registration r = new Registration(listener, new SerialExecutor(executor));
    synchronized (leadershipLock) {
      listeners.add(r);
      if (leaderEpoch != 0) {
        final long epoch = leaderEpoch;
        r.executor().execute(() -> listener.isLeader(epoch));
      }
    }
  }

  public void removeLeadershipListener(LeadershipListener listener) {
    listeners.removeIf(r -> r.listener() == listener);
  }

  private final java.util.concurrent.atomic.AtomicLong leaderChanges = new java.util.concurrent.atomic.AtomicLong();
  private volatile String lastLeader;

  /** How many times this node has seen a new leader (a different node id, or the first) since it started. */
  public long leaderChanges() {
    return leaderChanges.get();
  }

  private final class Events implements MetadataStateMachine.Events {
    @Override
    public void leaderReady(long term) {
      synchronized (leadershipLock) {
        leaderEpoch = term;
        knownLeader = nodeId();
        LOG.info("node {} role=leader epoch={}: became leader", nodeId(), term);
        final RatisMetadataStore s = store;
        if (s != null) {
          // off this Ratis thread (it sends what queued); a claim the listeners make meanwhile queues and leaves with it
          try {
            timer.execute(s::becameLeader);
          } catch (java.util.concurrent.RejectedExecutionException closing) {
            // the node is closing: nothing more is sent
          }
        }
        for (Registration r : listeners) {
          r.executor().execute(() -> r.listener().isLeader(term));
        }
      }
    }

    @Override
    public void notLeader() {
      synchronized (leadershipLock) {
        if (leaderEpoch == 0) {
          return;
        }
        LOG.info("node {} role=follower epoch={}: stopped being leader", nodeId(), leaderEpoch);
        leaderEpoch = 0;
        for (Registration r : listeners) {
          r.executor().execute(() -> r.listener().notLeader());
        }
      }
    }

    @Override
    public void logFailed(Throwable cause, org.apache.ratis.proto.RaftProtos.LogEntryProto failedEntry) {
      final String what = rootMessage(cause) + (failedEntry == null ? "" : " (writing log index "
          + failedEntry.getIndex() + ")");
      final long epoch;
      synchronized (leadershipLock) {
        if (logFailure != null) {
          return;
        }
        logFailure = what;
        epoch = leaderEpoch;
      }
      final boolean released = reserve.release();
      LOG.error("node {} role={} epoch={}: its Raft log cannot be written: {}. It takes no further part in"
          + " replication (Ratis keeps the log failed); its liveness is DOWN{}. Free space (or fix the disk), then"
          + " restart the node: it recovers from its storage and catches up from the leader", nodeId(),
          epoch == 0 ? "follower" : "leader", epoch, what,
          released ? "; released its " + StorageReserve.BYTES / 1024 + " KiB storage reserve for its vote record" : "");
      if (epoch != 0) { // a leader that cannot write its log must not keep leading: the others elect at once
        stepDown().whenComplete((v, e) -> {
          if (e != null) {
            LOG.warn("node {} role=leader epoch={}: stepping down after its log failed did not work: {}", nodeId(),
                epoch, e.toString());
          }
        });
      }
    }

    @Override
    public void leaderChanged(String leaderId) {
      if (leaderId != null && !leaderId.equals(lastLeader)) {
        lastLeader = leaderId;
        leaderChanges.incrementAndGet();
      }
      knownLeader = leaderId;
      if (!nodeId().equals(leaderId)) {
        notLeader();
      }
    }
  }

  private void expireLeases() {
    try {
      if (deadlines.size() == 0 || !leadership().leader()) {
        return;
      }
      for (long id : deadlines.takeExpired()) {
        LOG.info("node {} role=leader epoch={}: lease {} ran out, proposing its expiry", nodeId(),
            leadership().epoch(), id);
        store.expireLease(id).whenComplete((rev, error) -> {
          if (error != null) {
            deadlines.proposalFailed(id);
          }
        });
      }
    } catch (RuntimeException e) {
      LOG.warn("node {}: lease expiry check failed: {}", nodeId(), e.toString());
    }
  }

  // ---- the fast path for a dead leader ----------------------------------------------------

  private void startPeerWatch() {
    final String unfit = BatonRatisAccess.check();
    if (unfit != null) {
      LOG.warn("node {}: no fast takeover after a crash ({}); a dead leader is replaced after the election timeout",
          nodeId(), unfit);
      return;
    }
    final SilenceCheck silence = new SilenceCheck(options.electionTimeoutMin().toNanos(),
        options.electionTimeoutMax().toNanos(), n -> java.util.concurrent.ThreadLocalRandom.current().nextLong(n));
    timer.scheduleWithFixedDelay(() -> checkSilence(silence), SILENCE_CHECK_MILLIS, SILENCE_CHECK_MILLIS,
        TimeUnit.MILLISECONDS);
    try {
      peerWatch = new PeerWatch(nodeId(), () -> {
        final List<Peer> current = members();
        return current.isEmpty() ? options.peers() : current;
      }, this::peerGone);
      peerWatch.start();
      timer.scheduleWithFixedDelay(() -> {
        final RaftServer.Division d = divisionOrNull();
        if (d != null) {
          BatonRatisAccess.warmChannels(d);
        }
      }, 0, 1, TimeUnit.SECONDS);
    } catch (IOException e) {
      LOG.warn("node {}: no fast takeover after a crash (cannot open a selector: {}); a dead leader is replaced after"
          + " the election timeout", nodeId(), e.toString());
    }
  }

  /**
   * A follower that has heard nothing from its leader for this silence's random election timeout
   * starts an election (with pre-vote) now, rather than at the end of Ratis' own timeout-long sleep
   * (see {@link SilenceCheck}): a silent leader (a partition, a pause, a dead machine) is replaced
   * within the election timeout of its last heartbeat, as Raft intends.
   */
  private void checkSilence(SilenceCheck check) {
    try {
      final long now = System.nanoTime();
      final long sincePrevious = now - silenceCheckedAt;
      silenceCheckedAt = now;
      final RaftServer.Division d = divisionOrNull();
      if (d == null || state.get() != State.STARTED) {
        return;
      }
      final java.util.OptionalLong heardAt = BatonRatisAccess.followerLastRpcNanos(d);
      if (heardAt.isEmpty()) {
        return;
      }
      if (sincePrevious > TimeUnit.MILLISECONDS.toNanos(SILENCE_CHECK_MILLIS + SILENCE_CHECK_OVERSLEPT_MILLIS)) {
        check.restart(now); // this node was paused or starved: the heartbeats may be there, unread
        return;
      }
      if (!check.overdue(heardAt.getAsLong(), now)) {
        return;
      }
      final RaftPeerId leader = d.getInfo().getLeaderId();
      final long term = d.getInfo().getCurrentTerm();
      if (!BatonRatisAccess.startElectionIfSilentSince(d, heardAt.getAsLong())) {
        check.restart(now); // not now (an RPC just came, a recent step-down): next try one random timeout later
        return;
      }
      final String silentLeader = leader + "@" + term;
      if (leader != null && !silentLeader.equals(silentLeaderLogged)) {
        // once per silent leader and term (a follower cut off on its own retries, refused by pre-vote, every 1-2 s)
        silentLeaderLogged = silentLeader;
        LOG.info("node {} role=candidate epoch={}: nothing heard from the leader {} for {} ms (this silence's election"
            + " timeout: {} ms): electing", nodeId(), term, leader, (now - heardAt.getAsLong()) / 1_000_000,
            check.timeoutNanos() / 1_000_000);
      } else if (LOG.isDebugEnabled()) {
        LOG.debug("node {} role=candidate epoch={}: nothing heard from {} for {} ms: electing", nodeId(), term,
            leader == null ? "any leader" : "the leader " + leader, (now - heardAt.getAsLong()) / 1_000_000);
      }
    } catch (RuntimeException e) {
      LOG.warn("node {}: silence check failed (Ratis' own election timer still runs): {}", nodeId(), e.toString());
    }
  }

  /**
   * Tells {@code listener} (on the node's watch thread; it must only enqueue) the id of each peer
   * whose process is gone: its Raft port closed its connection and refuses a new one. A partitioned
   * or paused peer is never reported.
   */
  public void addPeerGoneListener(Consumer<String> listener) {
    peerGoneListeners.add(Objects.requireNonNull(listener, "listener"));
  }

  /** Package-private for tests that play the watch's part. */
  void peerGone(String peer) {
    final RaftStatus s = status();
    LOG.info("node {} role={} epoch={}: node {}'s process is gone (its Raft port closed and refuses connections)",
        nodeId(), s.role().name().toLowerCase(java.util.Locale.ROOT), s.term(), peer);
    for (Consumer<String> l : peerGoneListeners) {
      try {
        l.accept(peer);
      } catch (RuntimeException e) {
        LOG.warn("node {}: a peer listener threw: {}", nodeId(), e.toString());
      }
    }
    if (peer.equals(s.leader()) && s.role() == RaftStatus.Role.FOLLOWER) {
      final long now = System.nanoTime();
      timer.execute(() -> electWithout(peer, s.term(), now, 0));
    }
  }

  /**
   * The leader's process is gone: stop waiting for its heartbeats and elect now. Each follower
   * forgets the dead leader at once (so that it grants pre-votes); the first by node id among the
   * remaining voters starts an election right away, the next ones a quarter of
   * {@code electionTimeoutMin} later each (only if no leader emerged meanwhile), so that two do not
   * split the vote; a follower that has voted in a newer term meanwhile leaves the election to that
   * candidate. The election keeps Raft's pre-vote: it wins only if a majority also finds the
   * leader gone, so a leader that the others still hear is not deposed by one follower's view.
   * Checked every {@link #FAST_ELECTION_POLL_MILLIS} until a new leader is known, for at most two
   * election timeouts.
   */
  private void electWithout(String dead, long deadTerm, long sinceNanos, long lastStartNanos) {
    final RaftServer.Division d = divisionOrNull();
    final long now = System.nanoTime();
    if (d == null || state.get() != State.STARTED
        || now - sinceNanos > 2 * options.electionTimeoutMax().toNanos()) {
      return;
    }
    final DivisionInfo info = d.getInfo();
    final RaftPeerId leader = info.getLeaderId();
    if (leader != null && !leader.toString().equals(dead)) {
      return; // a new leader is known
    }
    if (lastStartNanos == 0 && info.getCurrentTerm() > deadTerm) {
      return; // another node's election is under way (this one voted in it): do not compete with it
    }
    long started = lastStartNanos;
    if (info.isFollower()) {
      BatonRatisAccess.forgetLeader(d, dead, options.electionTimeoutMax().toMillis());
      final List<String> voters = new ArrayList<>();
      d.getRaftConf().getCurrentPeers().forEach(p -> voters.add(p.getId().toString()));
      voters.remove(dead);
      voters.sort(null);
      final int rank = Math.max(0, voters.indexOf(nodeId()));
      final long stagger = options.electionTimeoutMin().toNanos() / 4;
      if (now - sinceNanos >= rank * stagger && (started == 0 || now - started >= stagger)
          && BatonRatisAccess.startElection(d)) {
        if (started == 0) {
          LOG.info("node {} role=candidate epoch={}: electing without the dead leader {} (rank {} of {} voters)",
              nodeId(), info.getCurrentTerm(), dead, rank + 1, voters.size());
        }
        started = now;
      }
    }
    final long lastStart = started;
    try {
      timer.schedule(() -> electWithout(dead, deadTerm, sinceNanos, lastStart), FAST_ELECTION_POLL_MILLIS,
          TimeUnit.MILLISECONDS);
    } catch (java.util.concurrent.RejectedExecutionException closing) {
      // closed
    }
  }

  // ---- status and membership ------------------------------------------------------------

  /**
   * Why this node's Raft log can no longer be written (a full disk, an I/O error), if it failed:
   * then the node takes no part in replication until it is restarted (its data on disk is intact up
   * to the failure; a restart recovers it and catches up from the leader).
   */
  public Optional<String> logFailure() {
    return Optional.ofNullable(logFailure);
  }

  /**
   * Whether this node's Raft server is running (started, not closed, not failed): what a liveness
   * check asks. A node that is up but not leader is alive.
   */
  public boolean serverAlive() {
    final RaftServer.Division d = divisionOrNull();
    return state.get() == State.STARTED && d != null && d.getInfo().isAlive();
  }

  /** The Raft term this node is in (0 before its server runs): {@link #status()}'s term, read alone. */
  public long term() {
    final RaftServer.Division d = divisionOrNull();
    return d == null ? 0 : d.getInfo().getCurrentTerm();
  }

  /** This node's view of the Raft group. */
  public RaftStatus status() {
    final RaftServer.Division d = divisionOrNull();
    if (d == null) {
      return new RaftStatus(nodeId(), RaftStatus.Role.NONE, 0, null, 0, 0, stateMachine.revision());
    }
    final DivisionInfo info = d.getInfo();
    final RaftPeerId leader = info.getLeaderId();
    return new RaftStatus(nodeId(), RaftStatus.Role.of(info.getCurrentRole().name()), info.getCurrentTerm(),
        leader == null ? null : leader.toString(), d.getRaftLog().getLastCommittedIndex(),
        info.getLastAppliedIndex(), stateMachine.revision());
  }

  /**
   * Writes a backup of the store to {@code out} (see {@link Backup}): this replica's whole state at
   * one point that includes every write acknowledged before the call. A linearizable read through
   * the leader says which log index the leader had applied; this replica waits (up to
   * {@code requestTimeout}) until it has applied as much, then copies its state under its lock.
   * Completes with what the backup holds once every byte was written to {@code out}; fails with
   * {@link NoQuorumException} when the leader cannot be reached or this replica stays behind.
   */
  public CompletableFuture<Backup.Info> backup(OutputStream out) {
    requireStarted();
    return store.get(BACKUP_BARRIER_KEY, io.baton.store.ReadConsistency.LINEARIZABLE)
        .thenCompose(read -> awaitApplied(read.appliedIndex(), System.nanoTime() + options.requestTimeout().toNanos()))
        .thenApplyAsync(applied -> {
          final MetadataStateMachine.StateCopy copy = stateMachine.copyState();
          try {
            final Backup.Info info = Backup.write(out, options.clusterName(), nodeId(), java.time.Instant.now(),
                copy.revision(), copy.appliedIndex(), copy.keys(), copy.state());
            LOG.info("node {}: wrote a backup at revision {}, log index {}: {} keys, {} bytes, sha256 {}", nodeId(),
                info.revision(), info.logIndex(), info.keys(), info.bytes(), info.sha256());
            return info;
          } catch (IOException e) {
            throw new java.io.UncheckedIOException("node " + nodeId() + " cannot write the backup: " + e, e);
          }
        }, callbacks);
  }

  /** A key whose linearizable read marks the point a backup must include (it is only read). */
  private static final String BACKUP_BARRIER_KEY = "baton/backup-barrier";

  /** Completes once this replica has applied {@code index}, polling every millisecond until the deadline. */
  private CompletableFuture<Long> awaitApplied(long index, long deadlineNanos) {
    final CompletableFuture<Long> done = new CompletableFuture<>();
    final java.util.concurrent.ScheduledFuture<?> poll = timer.scheduleWithFixedDelay(() -> {
      final long applied = stateMachine.appliedIndex();
      if (applied >= index) {
        done.complete(applied);
      } else if (System.nanoTime() - deadlineNanos > 0) {
        done.completeExceptionally(new NoQuorumException("node " + nodeId() + " has applied log index " + applied
            + ", not yet the leader's " + index + ", after " + options.requestTimeout().toMillis()
            + " ms; take the backup on the leader or a caught-up node", null));
      }
    }, 0, 1, TimeUnit.MILLISECONDS);
    done.whenComplete((applied, error) -> poll.cancel(false));
    return done;
  }

  /** How many snapshots this node installed from a leader to catch up, since start. */
  public long installedSnapshots() {
    return stateMachine.installedSnapshots();
  }

  /** The voting members in this node's current configuration. */
  public List<Peer> members() {
    final RaftServer.Division d = divisionOrNull();
    final List<Peer> out = new ArrayList<>();
    if (d != null) {
      for (RaftPeer p : d.getRaftConf().getCurrentPeers()) {
        out.add(peerOf(p));
      }
    }
    return out;
  }

  static Peer peerOf(RaftPeer p) {
    final String address = p.getAddress();
    final int colon = address.lastIndexOf(':');
    String host = address.substring(0, colon);
    if (host.startsWith("[")) {
      host = host.substring(1, host.length() - 1);
    }
    return new Peer(p.getId().toString(), host, Integer.parseInt(address.substring(colon + 1)));
  }

  /**
   * Adds a voting member. The new node must have been started with
   * {@link RaftNodeOptions#join()} set; the leader brings it up to date (by snapshot if needed)
   * before it counts toward the majority.
   */
  public CompletableFuture<Void> addPeer(Peer peer) {
    requireStarted();
    return admin("add peer " + peer, () -> client.admin().setConfiguration(
        SetConfigurationRequest.Arguments.newBuilder()
            .setServersInNewConf(List.of(toRaftPeer(peer)))
            .setMode(SetConfigurationRequest.Mode.ADD)
            .build()));
  }

  /** Removes a voting member (its process keeps running until closed). */
  public CompletableFuture<Void> removePeer(String peerId) {
    requireStarted();
    return admin("remove peer " + peerId, () -> {
      final List<RaftPeer> current = new ArrayList<>(divisionOrNull().getRaftConf().getCurrentPeers());
      final List<RaftPeer> next = new ArrayList<>(current);
      if (!next.removeIf(p -> p.getId().toString().equals(peerId))) {
        throw new IllegalArgumentException("peer " + peerId + " is not a member of " + current);
      }
      return client.admin().setConfiguration(SetConfigurationRequest.Arguments.newBuilder()
          .setServersInNewConf(next)
          .setServersInCurrentConf(current)
          .setMode(SetConfigurationRequest.Mode.COMPARE_AND_SET)
          .build());
    });
  }

  /**
   * If this node leads, hands leadership to the follower it heard from most recently (Ratis waits
   * for that follower to catch up first). Completes with true once handed over, with false at once
   * when this node does not lead or has no follower to hand to. Used before a planned shutdown, so
   * that it causes no unplanned election.
   */
  public CompletableFuture<Boolean> handOverLeadership() {
    requireStarted();
    final RaftServer.Division d = divisionOrNull();
    if (d == null || !d.getInfo().isLeader()) {
      return CompletableFuture.completedFuture(false);
    }
    final Set<String> voters = new HashSet<>();
    d.getRaftConf().getCurrentPeers().forEach(p -> voters.add(p.getId().toString()));
    final Map<String, Long> ages = BatonRatisAccess.ackedSendAgesMs(d);
    final Map<String, Long> matched = BatonRatisAccess.matchIndexes(d);
    final List<String> followers = new ArrayList<>(ages.keySet());
    followers.removeIf(id -> !voters.contains(id));
    // the most caught-up first (Ratis hands over only once the target has the whole log: a follower
    // that just restarted and is still catching up made a handover wait 3 s for nothing), then the freshest
    followers.sort(java.util.Comparator.comparingLong((String id) -> -matched.getOrDefault(id, -1L))
        .thenComparingLong(ages::get));
    if (followers.isEmpty()) {
      return CompletableFuture.completedFuture(false);
    }
    return handOverTo(followers, 0, d.getInfo().getCurrentTerm(), ages, matched);
  }

  /** Tries the followers in that order: one whose handover fails (a channel broken after a restart, say) is skipped. */
  private CompletableFuture<Boolean> handOverTo(List<String> followers, int i, long term, Map<String, Long> ages,
      Map<String, Long> matched) {
    final String target = followers.get(i);
    LOG.info("node {} role=leader epoch={}: handing leadership over to {} (it has the log up to index {} and answered"
        + " a request sent {} ms ago)", nodeId(), term, target, matched.getOrDefault(target, -1L), ages.get(target));
    return transferLeadership(target).thenApply(v -> true).exceptionallyCompose(e -> stillLeaderAfter(
        options.electionTimeoutMin().toMillis() / 2).thenCompose(leads -> {
      if (!leads) {
        // Ratis 3.3.0 can answer a transfer with a TIMED_OUT that belongs to an earlier transfer's
        // timer; what counts is whether this node still leads
        return CompletableFuture.completedFuture(true);
      }
      final RaftServer.Division d = divisionOrNull();
      if (i + 1 < followers.size() && d != null && d.getInfo().isLeader()) {
        LOG.info("node {} role=leader epoch={}: handing over to {} failed ({}); trying {}", nodeId(), term, target,
            Futures.unwrap(e).getMessage(), followers.get(i + 1));
        return handOverTo(followers, i + 1, term, ages, matched);
      }
      return CompletableFuture.failedFuture(Futures.unwrap(e));
    }));
  }

  /** Completes with whether this node is still leader after up to {@code millis} (earlier once it is not). */
  private CompletableFuture<Boolean> stillLeaderAfter(long millis) {
    final CompletableFuture<Boolean> out = new CompletableFuture<>();
    final long deadline = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(millis);
    final Runnable[] check = new Runnable[1];
    check[0] = () -> {
      final RaftServer.Division d = divisionOrNull();
      final boolean leads = d != null && d.getInfo().isLeader();
      if (!leads || System.nanoTime() - deadline >= 0) {
        out.complete(leads);
      } else {
        try {
          timer.schedule(check[0], 10, TimeUnit.MILLISECONDS);
        } catch (java.util.concurrent.RejectedExecutionException closing) {
          out.complete(false);
        }
      }
    };
    check[0].run();
    return out;
  }

  /**
   * If this node leads, gives leadership up so that a new election (a new term) takes place.
   * Completes once the request is answered; does nothing when this node does not lead.
   */
  public CompletableFuture<Void> stepDown() {
    requireStarted();
    final RaftServer.Division d = divisionOrNull();
    if (d == null || !d.getInfo().isLeader()) {
      return CompletableFuture.completedFuture(null);
    }
    return admin("step down", () -> client.admin().transferLeadership(null, options.requestTimeout().toMillis()));
  }

  /**
   * Asks the leader to hand leadership to {@code peerId} (Ratis waits until it is caught up).
   * Completes once {@code peerId} was told to take over and this node stepped down; fails with an
   * {@link IllegalArgumentException} for a node that is not a voting member. On the leader itself
   * the request goes to the local server directly.
   */
  public CompletableFuture<Void> transferLeadership(String peerId) {
    requireStarted();
    final List<String> memberIds = members().stream().map(Peer::id).toList();
    if (!memberIds.isEmpty() && !memberIds.contains(peerId)) {
      return CompletableFuture.failedFuture(new IllegalArgumentException("node '" + peerId
          + "' is not a voting member of the cluster (members: " + memberIds + ")"));
    }
    final String what = "transfer leadership to " + peerId;
    final RaftServer.Division d = divisionOrNull();
    if (d != null && d.getInfo().isLeader()) {
      try {
        return server.transferLeadershipAsync(new org.apache.ratis.protocol.TransferLeadershipRequest(localClientId,
            selfId, groupId, localCallIds.incrementAndGet(), RaftPeerId.valueOf(peerId),
            options.requestTimeout().toMillis())).handle((reply, e) -> {
              checkAdmin(what, reply, e);
              return null;
            });
      } catch (IOException e) {
        return CompletableFuture.failedFuture(new NoQuorumException("node " + nodeId() + ": " + what + " failed: "
            + e.getMessage(), e));
      }
    }
    return admin(what, () -> client.admin().transferLeadership(RaftPeerId.valueOf(peerId),
        options.requestTimeout().toMillis()));
  }

  private void checkAdmin(String what, RaftClientReply reply, Throwable error) {
    if (error != null) {
      final Throwable e = Futures.unwrap(error);
      throw new NoQuorumException("node " + nodeId() + ": " + what + " failed: " + e.getMessage(), e);
    }
    if (!reply.isSuccess()) {
      throw new NoQuorumException("node " + nodeId() + ": " + what + " failed: "
          + (reply.getException() == null ? "unknown" : reply.getException().getMessage()), reply.getException());
    }
    LOG.info("node {}: {} done", nodeId(), what);
  }

  private interface AdminCall {
    RaftClientReply call() throws IOException;
  }

  private CompletableFuture<Void> admin(String what, AdminCall call) {
    return CompletableFuture.runAsync(() -> {
      RaftClientReply reply = null;
      Throwable error = null;
      try {
        reply = call.call();
      } catch (IOException e) {
        error = e;
      }
      checkAdmin(what, reply, error);
    }, callbacks);
  }

  private RaftServer.Division divisionOrNull() {
    final RaftServer s = server;
    if (s == null) {
      return null;
    }
    try {
      return s.getDivision(groupId);
    } catch (org.apache.ratis.protocol.exceptions.GroupMismatchException | org.apache.ratis.protocol.exceptions
        .AlreadyClosedException notThere) {
      return null; // the group is not (or no longer) on this server: closing, or not joined yet
    } catch (IOException e) {
      if (!divisionFailureLogged) {
        divisionFailureLogged = true;
        LOG.warn("node {}: the Raft group cannot be reached on this node's server ({}); reporting it as not"
            + " running until it can", nodeId(), e.toString());
      }
      return null;
    }
  }

  private volatile boolean divisionFailureLogged;

  private void requireStarted() {
    final State s = state.get();
    if (s == State.CLOSED) {
      throw new ClosedException("node " + nodeId() + " is closed");
    }
    if (s != State.STARTED || store == null) {
      throw new IllegalStateException("node " + nodeId() + " is not started");
    }
  }

  /**
   * Stops the node: watches end with {@link ClosedException}, leadership listeners get
   * {@link LeadershipListener#notLeader()}, and the Raft server stops. Idempotent.
   */
  @Override
  public void close() {
    if (state.get() == State.CLOSED) {
      return;
    }
    synchronized (lifecycleLock) {
      closeLocked();
    }
  }

  private void closeLocked() {
    if (state.getAndSet(State.CLOSED) == State.CLOSED) {
      return;
    }
    timer.shutdownNow();
    if (peerWatch != null) {
      peerWatch.close();
    }
    if (store != null) {
      store.close();
    }
    events.notLeader();
    closeQuietly(client);
    closeQuietly(server);
    if (options.tls() != null) {
      PlaintextRefusals.unwatch(nodeId());
    }
    callbacks.shutdown();
    LOG.info("node {} role=stopped epoch=0: closed", nodeId());
  }

  private void closeQuietly(AutoCloseable c) {
    if (c == null) {
      return;
    }
    try {
      c.close();
    } catch (Exception e) {
      LOG.warn("node {}: error while closing {}: {}", nodeId(), c.getClass().getSimpleName(), e.toString());
    }
  }

  private static ThreadFactory daemon(String name) {
    final AtomicInteger n = new AtomicInteger();
    return r -> {
      final Thread t = new Thread(r, name + "-" + n.incrementAndGet());
      t.setDaemon(true);
      return t;
    };
  }

  @Override
  public String toString() {
    return "RaftNode[" + nodeId() + ", " + state.get() + "]";
  }
}
