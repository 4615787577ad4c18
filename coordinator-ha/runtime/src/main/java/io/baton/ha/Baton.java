package io.baton.ha;

import io.baton.etcd.EtcdMetadataStore;
import io.baton.raft.RaftNode;
import io.baton.store.Futures;
import io.baton.store.MetadataStore;
import io.baton.store.MonotonicClock;
import io.etcd.jetcd.ByteSequence;
import io.etcd.jetcd.Client;
import io.etcd.jetcd.ClientBuilder;
import io.quarkus.arc.InjectableInstance;
import io.quarkus.runtime.ShutdownEvent;
import io.quarkus.runtime.StartupEvent;
import jakarta.enterprise.event.Event;
import jakarta.enterprise.event.Observes;
import jakarta.enterprise.inject.Any;
import jakarta.inject.Inject;
import jakarta.inject.Singleton;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;
import org.jboss.logging.Logger;

/**
 * The embedding application's handle on Baton: starts this node and its roles when the application
 * starts, hands them over and stops them when it shuts down. Inject it to reach the
 * {@link #metadata() metadata store}, the {@link #roles() roles}, the {@link #members() members}
 * and the node's {@link #status() status}.
 *
 * <p>Lifecycle: {@link NodeStatus.Lifecycle#STARTING} until start-up has finished, then
 * {@code STARTED}, and {@code STOPPED} from the shutdown on. [Thread-safe]
 */
@Singleton
public class Baton implements NodeStatusSource {
  private static final Logger LOG = Logger.getLogger(Baton.class);

  @Inject
  BatonConfig config;

  @Inject
  @Any
  InjectableInstance<RoleHandler> handlers;

  @Inject
  @Any
  InjectableInstance<StatusSection> statusSections;

  @Inject
  Event<RoleChanged> roleChanged;

  @Inject
  Event<ActivationTiming> activationEvents;

  private final List<MetadataOperationListener> metadataListeners = new CopyOnWriteArrayList<>();
  private volatile NodeStatus.Lifecycle lifecycle = NodeStatus.Lifecycle.STARTING;
  private volatile Backend backend;
  private volatile RoleManager roles;
  private volatile MemberMonitor members;
  private volatile MetadataStore observed;
  private Settings settings;
  private RoleEvents events;
  private ScheduledExecutorService memberTimer;
  private ExecutorService callbacks;

  void start(@Observes StartupEvent event) {
    final long begin = System.nanoTime();
    final long sinceJvmStart = System.currentTimeMillis()
        - java.lang.management.ManagementFactory.getRuntimeMXBean().getStartTime();
    settings = Settings.of(config); // every property checked before anything starts
    Settings.checkGrpcInboundLimit(org.eclipse.microprofile.config.ConfigProvider.getConfig()
        .getOptionalValue("quarkus.grpc.server.max-inbound-message-size", Integer.class)
        .map(java.util.OptionalInt::of).orElse(java.util.OptionalInt.empty()));
    sections(); // a misnamed status section fails the start, not every status request
    final io.smallrye.config.SmallRyeConfig quarkusConfig = org.eclipse.microprofile.config.ConfigProvider.getConfig()
        .unwrap(io.smallrye.config.SmallRyeConfig.class);
    Settings.httpClientAuthWarnings(config.nodeId(), settings.raft() != null && settings.raft().tls() != null,
        quarkusConfig.getConfigMapping(io.quarkus.vertx.http.runtime.VertxHttpBuildTimeConfig.class).tlsClientAuth(),
        config.http().clientAuth(),
        quarkusConfig.getOptionalValue("quarkus.http.insecure-requests", String.class).orElse("enabled"))
        .forEach(LOG::warn);
    events = new RoleEvents(config.nodeId(), roleChanged);
    final List<RoleManager.RoleSpec> specs = RoleHandlers.discover(handlers, config, events);
    final String membersRole = settings.membersRole(specs.stream().map(RoleManager.RoleSpec::name).toList());
    try {
      callbacks = Executors.newCachedThreadPool(r -> {
        final Thread t = new Thread(r, "baton-role-callback");
        t.setDaemon(true);
        return t;
      });
      backend = settings.backend() == BatonConfig.Backend.ETCD ? startEtcd(settings.etcd()) : startRatis();
      final long backendStarted = System.nanoTime();
      final RoleManager manager;
      try {
        manager = new RoleManager(backend, specs, callbacks, settings.placement());
      } catch (IllegalArgumentException e) {
        throw Settings.invalid("baton.placement", e.getMessage());
      }
      roles = manager;
      events.statusesFrom(manager::statuses);
      manager.addActivationListener(activationEvents::fire);
      manager.start();
      startMembers(manager, membersRole);
      Runtime.getRuntime().addShutdownHook(shutdownHook);
      if (backend instanceof RatisBackend ratis && config.raft().rehearse()) {
        // before STARTED: no readiness check may see the node started and not (yet) rehearsing
        ratis.rehearse(Path.of(config.dataDir()).resolve(config.nodeId() + ".rehearsal"));
      }
      lifecycle = NodeStatus.Lifecycle.STARTED;
      final long done = System.nanoTime();
      LOG.infof("node %s: started on %s, placement %s, roles %s (members' role %s); start-up phases: JVM start ->"
          + " Baton's start %d ms, backend %d ms, roles and members %d ms", config.nodeId(), backend.name(),
          placementName(), manager.roleNames(), membersRole, sinceJvmStart, (backendStarted - begin) / 1_000_000,
          (done - backendStarted) / 1_000_000);
    } catch (RuntimeException e) {
      closeAll(); // start-up failed part-way: close what it created
      throw e;
    }
  }

  private Backend startRatis() {
    final RaftNode node = new RaftNode(settings.raft());
    try {
      node.start();
    } catch (RuntimeException e) {
      node.close();
      throw e;
    }
    return new RatisBackend(node);
  }

  private Backend startEtcd(Settings.Etcd etcd) {
    final EtcdMetadataStore store = etcdStore(etcd);
    LOG.infof("node %s: using etcd %s, namespace %s, lease TTL %d s, %s%s", config.nodeId(), etcd.endpoints(),
        etcd.namespace(), etcd.leaseTtl().toSeconds(), etcd.tls() == null ? "plaintext" : "mutual TLS",
        etcd.user().map(u -> ", as user " + u).orElse(""));
    final org.eclipse.microprofile.config.Config quarkus = org.eclipse.microprofile.config.ConfigProvider.getConfig();
    final io.baton.raft.Peer probe = Settings.probe(config.nodeId(), etcd.probeAddress(),
        quarkus.getOptionalValue("quarkus.http.host", String.class).orElse(""),
        quarkus.getOptionalValue("quarkus.http.port", Integer.class).orElse(0));
    if (settings.placement() instanceof Placement.Spread) {
      LOG.infof("node %s: a crashed node's roles move once its session expires (the spread placement on etcd has no"
          + " crash probe)", config.nodeId());
    } else if (probe == null) {
      LOG.infof("node %s: no crash probe (baton.etcd.probe-address is none, or quarkus.http.host is a wildcard"
          + " address): if this node's process dies, its roles move once its lease expires", config.nodeId());
    } else {
      LOG.infof("node %s: the other nodes probe this node's process at %s (baton.etcd.probe-address): if it dies,"
          + " its roles move at once", config.nodeId(), probe.address());
    }
    return new EtcdBackend(store, config.nodeId(), etcd.leaseTtl(), etcd.requestTimeout(), probe);
  }

  /**
   * The store on the etcd cluster of {@code etcd}: its endpoints and namespace, with mutual TLS and
   * a user when configured.
   *
   * @throws IllegalArgumentException naming the property whose value jetcd refused
   */
  static EtcdMetadataStore etcdStore(Settings.Etcd etcd) {
    try {
      final ClientBuilder client = Client.builder()
          .endpoints(etcd.endpoints().toArray(String[]::new))
          .namespace(ByteSequence.from(etcd.namespace(), StandardCharsets.UTF_8))
          // a member cut off from its cluster answers at once ("etcdserver: no leader") instead of
          // holding requests until they time out; the client then tries another member
          .header(EtcdMetadataStore.REQUIRE_LEADER_HEADER, "true");
      if (etcd.tls() != null) {
        client.sslContext(b -> b.keyManager(etcd.tls().keyManager()).trustManager(etcd.tls().trustManager()));
      }
      if (etcd.user().isPresent()) {
        client.user(ByteSequence.from(etcd.user().get(), StandardCharsets.UTF_8))
            .password(ByteSequence.from(etcd.password().orElseThrow(), StandardCharsets.UTF_8));
      }
      return new EtcdMetadataStore(client.build(), etcd.requestTimeout());
    } catch (javax.net.ssl.SSLException e) {
      throw Settings.invalid("baton.etcd.tls", e.getMessage());
    } catch (IllegalArgumentException e) {
      throw Settings.invalid("baton.etcd.endpoints", e.getMessage());
    }
  }

  private void startMembers(RoleManager manager, String membersRole) {
    final Settings.Members m = settings.members();
    final MemberMonitor monitor = new MemberMonitor(config.nodeId(), backend.store(),
        MemberMonitor.Authority.of(manager, membersRole), MonotonicClock.SYSTEM, m.suspectAfter(), m.downAfter(),
        manager::memberChanged);
    members = monitor;
    monitor.start();
    memberTimer = Executors.newSingleThreadScheduledExecutor(r -> {
      final Thread t = new Thread(r, "baton-member-check");
      t.setDaemon(true);
      return t;
    });
    final long every = m.checkInterval().toMillis();
    memberTimer.scheduleWithFixedDelay(() -> {
      try {
        monitor.evaluate();
      } catch (RuntimeException e) {
        LOG.warnf("node %s role=%s: member check failed: %s", config.nodeId(), membersRole, e.toString());
      }
    }, every, every, TimeUnit.MILLISECONDS);
  }

  /**
   * Starts the planned handover the moment the JVM begins to shut down (SIGTERM), in parallel with
   * Quarkus' own shutdown rather than after it: the next active does not wait for this node's
   * HTTP server and beans to stop. Quarkus' {@link ShutdownEvent} then waits for the same handover.
   */
  private final Thread shutdownHook = new Thread(this::handOverForShutdown, "baton-handover");

  private final java.util.concurrent.atomic.AtomicReference<CompletableFuture<Void>> handover =
      new java.util.concurrent.atomic.AtomicReference<>();

  /**
   * Hands the roles this node holds to other nodes, then the Raft leadership (once; later calls
   * wait for the same handover) and waits for it, at most the backend's move timeout. Logs the
   * outcome in one line: how long it took, or why the roles did not move.
   */
  private void handOverForShutdown() {
    final RoleManager r = roles;
    final Backend b = backend;
    if (r == null || b == null) {
      return;
    }
    final long start = System.nanoTime();
    final CompletableFuture<Void> started = new CompletableFuture<>();
    final CompletableFuture<Void> mine = handover.compareAndExchange(null, started) == null ? started : handover.get();
    if (mine == started) {
      LOG.infof("node %s: shutting down: handing the roles over", config.nodeId());
      r.handOver().thenCompose(v -> b.handOver()).whenComplete((v, e) -> {
        if (e == null) {
          LOG.infof("node %s: roles handed over in %d ms before shutting down", config.nodeId(),
              (System.nanoTime() - start) / 1_000_000);
          started.complete(null);
        } else {
          LOG.warnf("node %s: roles not handed over before shutting down (%s); the others take over once this"
              + " node's lease runs out", config.nodeId(), Futures.unwrap(e).toString());
          started.completeExceptionally(e);
        }
      });
    }
    final long timeoutMs = settings.backend() == BatonConfig.Backend.ETCD
        ? settings.etcd().requestTimeout().multipliedBy(2).plus(settings.etcd().leaseTtl()).toMillis()
        : settings.raft().requestTimeout().multipliedBy(2).toMillis();
    try {
      mine.get(timeoutMs, TimeUnit.MILLISECONDS);
    } catch (java.util.concurrent.TimeoutException e) {
      if (mine == started) {
        LOG.warnf("node %s: roles not handed over within %d ms before shutting down; the others take over once"
            + " this node's lease runs out", config.nodeId(), timeoutMs);
      }
    } catch (java.util.concurrent.ExecutionException e) {
      // logged once where it completed
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }

  /**
   * A planned shutdown: hands the roles this node holds to other nodes (and then the Raft
   * leadership), so that a rolling restart causes no unplanned election, then stops.
   */
  void stop(@Observes ShutdownEvent event) {
    if (lifecycle == NodeStatus.Lifecycle.STOPPED) {
      return;
    }
    handOverForShutdown();
    lifecycle = NodeStatus.Lifecycle.STOPPED;
    try {
      Runtime.getRuntime().removeShutdownHook(shutdownHook);
    } catch (IllegalStateException shuttingDown) {
      // the JVM is exiting: the hook is running (or ran) already
    }
    closeAll();
  }

  private void closeAll() {
    if (memberTimer != null) {
      memberTimer.shutdownNow();
    }
    if (members != null) {
      members.close();
    }
    if (roles != null) {
      roles.close();
    }
    if (backend != null) {
      backend.close();
    }
    if (callbacks != null) {
      callbacks.shutdown();
    }
    lifecycle = NodeStatus.Lifecycle.STOPPED;
  }

  // ---- status ------------------------------------------------------------------------------

  @Override
  public NodeStatus status() {
    final Backend b = backend;
    final MemberMonitor m = members;
    return new NodeStatus(config.nodeId(), backendName(), placementName(), lifecycle, roles(),
        m == null ? Map.of() : m.states(), b == null ? Optional.empty() : b.raftStatus(), sections());
  }

  /** The Raft part of the status alone (empty on the etcd backend or before start): cheaper than {@link #status()}. */
  public Optional<NodeStatus.Raft> raftStatus() {
    final Backend b = backend;
    return b == null ? Optional.empty() : b.raftStatus();
  }

  /** The Raft term this node is in; 0 on the etcd backend or before start. Cheaper than {@link #raftStatus()}. */
  public long raftTerm() {
    final Backend b = backend;
    return b == null ? 0 : b.raftTerm();
  }

  /** Every {@link StatusSection}'s entries; a section that fails shows why instead of failing the status. */
  private Map<String, Map<String, String>> sections() {
    final Map<String, Map<String, String>> out = new java.util.TreeMap<>();
    for (StatusSection section : statusSections) {
      final String name = section.name();
      if (name == null || !name.matches("[A-Za-z0-9._-]+")) {
        throw new IllegalStateException("status section " + section.getClass().getName() + " has an invalid name '"
            + name + "': use letters, digits, '-', '_' and '.'");
      }
      if (out.containsKey(name)) {
        throw new IllegalStateException("two status sections are named '" + name + "'");
      }
      Map<String, String> entries;
      try {
        entries = section.entries();
      } catch (RuntimeException e) {
        entries = Map.of("error", String.valueOf(e));
      }
      out.put(name, entries);
    }
    return out;
  }

  @Override
  public Optional<String> probeBackend(Duration timeout) {
    final Backend b = backend;
    if (b == null) {
      return Optional.of("the node has not started");
    }
    try {
      b.store().get("baton/health-probe").get(timeout.toMillis(), TimeUnit.MILLISECONDS);
      return Optional.empty();
    } catch (java.util.concurrent.TimeoutException e) {
      return Optional.of("no answer within " + timeout.toMillis() + " ms");
    } catch (java.util.concurrent.ExecutionException e) {
      return Optional.of(Futures.unwrap(e).toString());
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      return Optional.of("interrupted");
    }
  }

  /** This node's state for each role (empty before start-up). */
  public List<RoleStatus> roles() {
    final RoleManager r = roles;
    return r == null ? List.of() : r.statuses();
  }

  /** This node's id. */
  public String nodeId() {
    return config.nodeId();
  }

  /** The backend's name as in the status: {@code ratis} or {@code etcd}. */
  public String backendName() {
    return config.backend().name().toLowerCase(java.util.Locale.ROOT);
  }

  /** The placement's name as in the status: {@code leader} or {@code spread}. */
  public String placementName() {
    return config.placement().name().toLowerCase(java.util.Locale.ROOT);
  }

  // ---- the API ------------------------------------------------------------------------------

  /**
   * This node's metadata store (on Ratis writes are forwarded to the leader); every operation
   * through it is reported to the {@link #onMetadataOperation listeners}.
   */
  public MetadataStore metadata() {
    final Backend b = requireStarted();
    MetadataStore view = observed;
    if (view == null) {
      view = new ObservedMetadataStore(b.store(), metadataListeners);
      observed = view;
    }
    return view;
  }

  /** Reports every operation made through {@link #metadata()} to {@code listener} (metrics, say). */
  public void onMetadataOperation(MetadataOperationListener listener) {
    metadataListeners.add(Objects.requireNonNull(listener, "listener"));
  }

  /** Members: register them, take their heartbeats (on the node active for the members' role), see their states. */
  public MemberMonitor members() {
    requireStarted();
    return members;
  }

  /**
   * Moves {@code role} to node {@code target} (a planned transfer, from any node); completes when
   * {@code target} holds it, exceptionally when it did not move. With the leader placement on
   * Ratis every role moves, since all follow the Raft leadership.
   */
  public CompletableFuture<Void> transfer(String role, String target) {
    requireStarted();
    return roles.transfer(role, target);
  }

  /**
   * Writes a backup of the store to {@code out}: a consistent copy that includes every write
   * acknowledged before the call (see {@link io.baton.raft.Backup}); Ratis backend only.
   */
  public CompletableFuture<io.baton.raft.Backup.Info> backup(java.io.OutputStream out) {
    return requireStarted().backup(out);
  }

  /** The Raft voting peers in this node's current configuration (Ratis backend). */
  public List<io.baton.raft.Peer> peers() {
    return raftNode().members();
  }

  /**
   * Adds a voting peer: a node started with {@code baton.raft.join=true} whose Raft address is
   * {@code address} ({@code host:port}). Completes once the configuration with it is committed;
   * the leader brings the node up to date first.
   */
  public CompletableFuture<Void> addPeer(String id, String address) {
    final RaftNode node = raftNode();
    final io.baton.raft.Peer peer;
    try {
      peer = io.baton.raft.Peer.parse(id + "=" + address);
    } catch (IllegalArgumentException e) {
      return CompletableFuture.failedFuture(e);
    }
    LOG.infof("node %s: adding peer %s", config.nodeId(), peer);
    return node.addPeer(peer);
  }

  /** Removes a voting peer; its process keeps running, outside the cluster, until it is stopped. */
  public CompletableFuture<Void> removePeer(String id) {
    final RaftNode node = raftNode();
    LOG.infof("node %s: removing peer %s", config.nodeId(), id);
    return node.removePeer(id);
  }

  private RaftNode raftNode() {
    final Backend b = requireStarted();
    if (b instanceof RatisBackend ratis) {
      return ratis.node();
    }
    throw new UnsupportedOperationException("the " + b.name() + " backend has no Raft peers: manage its etcd"
        + " cluster's members with 'etcdctl member'");
  }

  /** A store view whose writes are fenced by {@code role}'s {@code epoch} (see {@link RoleManager#fencedStore}). */
  public MetadataStore fencedStore(String role, long epoch) {
    requireStarted();
    return roles.fencedStore(role, epoch, metadata());
  }

  /**
   * Calls {@code listener} with a role's status after each of its changes on this node (after the
   * handler's onActive or onStandby returned), on the role's callback thread; returns what
   * unsubscribes it. The {@link RoleChanged} CDI event carries the same.
   */
  public Runnable onRoleChange(Consumer<RoleStatus> listener) {
    requireStarted();
    return events.subscribe(listener);
  }

  private Backend requireStarted() {
    final Backend b = backend;
    if (b == null || roles == null) {
      throw new IllegalStateException("Baton has not started yet");
    }
    return b;
  }
}
