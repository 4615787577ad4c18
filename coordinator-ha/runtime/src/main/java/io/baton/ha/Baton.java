package io.baton.ha;

import io.baton.raft.MetadataStore;
import io.baton.raft.Peer;
import io.baton.raft.RaftNode;
import io.baton.raft.RaftNodeOptions;
import io.baton.raft.RaftStatus;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.Router;
import io.baton.raft.WatchEvent;
import io.quarkus.arc.InjectableInstance;
import io.quarkus.runtime.ShutdownEvent;
import io.quarkus.runtime.StartupEvent;
import jakarta.enterprise.event.Event;
import jakarta.enterprise.event.Observes;
import jakarta.enterprise.inject.Any;
import jakarta.inject.Inject;
import jakarta.inject.Singleton;
import java.lang.annotation.Annotation;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import org.jboss.logging.Logger;

/**
 * The embedding application's handle on Baton: starts this node and its roles when the application
 * starts, hands leadership over and stops them when it shuts down. Inject it to reach the
 * {@link #metadata() metadata store}, the {@link #node() Raft node} and the {@link #roles() roles}.
 */
@Singleton
public class Baton {
  private static final Logger LOG = Logger.getLogger(Baton.class);

  @Inject
  BatonConfig config;

  @Inject
  @Any
  InjectableInstance<RoleHandler> handlers;

  @Inject
  Event<RoleChanged> roleEvents;

  @Inject
  Event<ActivationTiming> activationEvents;

  private RaftNode node;
  private RoleManager roles;
  private MemberMonitor members;
  private java.util.concurrent.ScheduledExecutorService memberTimer;
  private ExecutorService callbacks;

  void start(@Observes StartupEvent event) {
    if (config.backend() == BatonConfig.Backend.ETCD) {
      startOnEtcd();
      return;
    }
    final RaftNodeOptions options = options();
    placement(); // validates before anything starts
    final List<RoleManager.RoleSpec> specs = roleSpecs();
    final BatonConfig.Members memberConfig = config.members();
    if (memberConfig.downAfter().compareTo(memberConfig.suspectAfter()) <= 0) {
      throw invalid("baton.members.down-after", memberConfig.downAfter().toMillis() + " ms must exceed"
          + " baton.members.suspect-after (" + memberConfig.suspectAfter().toMillis() + " ms)");
    }
    if (memberConfig.checkInterval().isZero() || memberConfig.checkInterval().isNegative()) {
      throw invalid("baton.members.check-interval", "must be positive");
    }
    callbacks = newCallbackExecutor();
    node = new RaftNode(options);
    node.start();
    store = node.metadata();
    final Placement placement = placement();
    final java.time.Duration checkInterval = RoleManager.defaultCheckInterval(node);
    try {
      roles = new RoleManager(node, specs, callbacks, checkInterval, placement);
    } catch (IllegalArgumentException e) {
      throw invalid("baton.spread.session-ttl", e.getMessage());
    }
    roles.addActivationListener(activationEvents::fire);
    roles.start();
    members = new MemberMonitor(node, io.baton.raft.MonotonicClock.SYSTEM, memberConfig.suspectAfter(),
        memberConfig.downAfter(), roles::memberChanged);
    memberTimer = Executors.newSingleThreadScheduledExecutor(r -> {
      final Thread t = new Thread(r, "baton-member-check");
      t.setDaemon(true);
      return t;
    });
    final long every = memberConfig.checkInterval().toMillis();
    memberTimer.scheduleWithFixedDelay(() -> {
      try {
        members.evaluate();
      } catch (RuntimeException e) {
        LOG.warnf("node %s: member check failed: %s", node.nodeId(), e.toString());
      }
    }, every, every, TimeUnit.MILLISECONDS);
  }

  /**
   * The etcd backend: no Raft node; the metadata store is the etcd cluster (under the namespace
   * {@code baton.etcd.namespace}), and each role is an etcd election ({@link io.baton.ha.etcd.EtcdElector}).
   */
  private void startOnEtcd() {
    final BatonConfig.Etcd etcd = config.etcd();
    final List<String> endpoints = etcd.endpoints().orElse(List.of());
    if (endpoints.isEmpty()) {
      throw invalid("baton.etcd.endpoints", "required with baton.backend=etcd (e.g. http://etcd-0:2379,http://etcd-1:2379)");
    }
    if (config.placement() != BatonConfig.PlacementKind.LEADER) {
      throw invalid("baton.placement", "spread placement belongs to the ratis backend; on etcd every role is its own"
          + " election (remove baton.placement)");
    }
    if (etcd.leaseTtl().compareTo(java.time.Duration.ofSeconds(2)) < 0) {
      throw invalid("baton.etcd.lease-ttl", etcd.leaseTtl().toMillis() + " ms is below etcd's minimum of 2 s");
    }
    final List<RoleManager.RoleSpec> specs = roleSpecs();
    callbacks = newCallbackExecutor();
    final String namespace = etcd.namespace().orElse("/baton/" + config.clusterName() + "/");
    final io.baton.ha.etcd.EtcdMetadataStore etcdStore;
    try {
      etcdStore = new io.baton.ha.etcd.EtcdMetadataStore(io.etcd.jetcd.Client.builder()
          .endpoints(endpoints.stream().map(String::trim).toArray(String[]::new))
          .namespace(io.etcd.jetcd.ByteSequence.from(namespace, java.nio.charset.StandardCharsets.UTF_8))
          .build(), etcd.requestTimeout());
    } catch (IllegalArgumentException e) {
      throw invalid("baton.etcd.endpoints", e.getMessage());
    }
    closeEtcd = etcdStore;
    store = etcdStore;
    final java.time.Duration checkInterval = java.time.Duration.ofMillis(Math.max(10,
        Math.min(100, etcd.leaseTtl().toMillis() / 20)));
    final io.baton.ha.etcd.EtcdElector elector = new io.baton.ha.etcd.EtcdElector(etcdStore, config.nodeId(),
        "election", specs.stream().map(RoleManager.RoleSpec::name).toList(), etcd.leaseTtl(),
        io.baton.raft.MonotonicClock.SYSTEM);
    roles = new RoleManager(config.nodeId(), store, () -> true, specs, callbacks, checkInterval, Placement.leader(),
        elector);
    roles.addActivationListener(activationEvents::fire);
    roles.start();
    LOG.infof("node %s: started on etcd %s, namespace %s, elections %selection/<role>, lease TTL %d s",
        config.nodeId(), endpoints, namespace, namespace, etcd.leaseTtl().toSeconds());
  }

  /** Where role handlers are called (each role on its own serial view of it): daemon threads "baton-role-callback". */
  private static ExecutorService newCallbackExecutor() {
    return Executors.newCachedThreadPool(r -> {
      final Thread t = new Thread(r, "baton-role-callback");
      t.setDaemon(true);
      return t;
    });
  }

  private io.baton.ha.etcd.EtcdMetadataStore closeEtcd;
  private MetadataStore store;

  void stop(@Observes ShutdownEvent event) {
    if (store == null) {
      return;
    }
    if (roles != null) {
      try {
        // a planned handover, so that a rolling restart causes no unplanned election
        roles.handOver().get(config.raft().requestTimeout().toMillis() * 2, TimeUnit.MILLISECONDS);
        LOG.infof("node %s: roles handed over before shutting down", nodeId());
      } catch (Exception e) {
        LOG.warnf("node %s: handover before shutdown failed: %s", nodeId(), e.toString());
      }
    }
    // start-up may have failed part-way: close what it created, in reverse order
    if (memberTimer != null) {
      memberTimer.shutdownNow();
    }
    if (members != null) {
      members.close();
    }
    if (roles != null) {
      roles.close();
    }
    if (node != null) {
      node.close();
    }
    if (closeEtcd != null) {
      closeEtcd.close();
    }
    if (callbacks != null) {
      callbacks.shutdown();
    }
  }

  /** Serves {@code GET /baton/status} (the JSON of {@link #statusJson()}). */
  void routes(@Observes Router router) {
    router.get("/baton/status").handler(ctx -> {
      final JsonObject body;
      try {
        body = statusJson();
      } catch (RuntimeException e) {
        ctx.response().setStatusCode(503).putHeader("content-type", "application/json")
            .end(new JsonObject().put("error", String.valueOf(e.getMessage())).encode());
        return;
      }
      ctx.response().putHeader("content-type", "application/json").end(body.encode());
    });
  }

  /**
   * This node's status, as DESIGN.md's contract:
   * {@code {"node","backend","roles":{"<role>":{"state","epoch","active","standbyMode"}},
   * "raft":{"term","leader","commitIndex","appliedIndex"}}}, plus {@code "members"} (each member's
   * state as the active node's failure detector sees it; empty on standbys).
   */
  public JsonObject statusJson() {
    final JsonObject roleJson = new JsonObject();
    for (RoleStatus r : roles()) {
      roleJson.put(r.role(), new JsonObject()
          .put("state", r.state().name())
          .put("epoch", r.epoch())
          .put("active", r.active())
          .put("standbyMode", r.standbyMode().name())
          .put("activatedAtMillis", r.activatedAtMillis()));
    }
    final JsonObject status = new JsonObject()
        .put("node", config.nodeId())
        .put("backend", config.backend().name().toLowerCase())
        .put("placement", config.placement().name().toLowerCase())
        .put("roles", roleJson);
    if (members != null) {
      final JsonObject memberJson = new JsonObject();
      members.states().forEach((m, state) -> memberJson.put(m, state.name()));
      status.put("members", memberJson);
    }
    if (node != null) {
      final RaftStatus raft = node.status();
      status.put("raft", new JsonObject()
          .put("term", raft.term())
          .put("leader", raft.leader())
          .put("commitIndex", raft.commitIndex())
          .put("appliedIndex", raft.appliedIndex()));
    }
    return status;
  }

  /**
   * This node's replicated metadata store (writes are forwarded to the leader); every operation
   * through it is reported to the {@link #onMetadataOperation listeners}.
   */
  public MetadataStore metadata() {
    if (store == null) {
      throw new IllegalStateException("Baton has not started yet");
    }
    MetadataStore view = observed;
    if (view == null) {
      view = new ObservedMetadataStore(store, metadataListeners);
      observed = view;
    }
    return view;
  }

  private volatile MetadataStore observed;
  private final java.util.List<MetadataOperationListener> metadataListeners =
      new java.util.concurrent.CopyOnWriteArrayList<>();

  /** Reports every operation made through {@link #metadata()} to {@code listener} (metrics, say). */
  public void onMetadataOperation(MetadataOperationListener listener) {
    metadataListeners.add(java.util.Objects.requireNonNull(listener, "listener"));
  }

  /** This node's Raft node, once start-up created it (for health checks that run before). */
  public java.util.Optional<RaftNode> startedNode() {
    return java.util.Optional.ofNullable(node);
  }

  /** This node's Raft node (the ratis backend only). */
  public RaftNode node() {
    if (node == null) {
      throw new IllegalStateException(config.backend() == BatonConfig.Backend.ETCD
          ? "there is no Raft node on the etcd backend" : "Baton has not started yet");
    }
    return node;
  }

  /** Members: register them, take their heartbeats (on the active node), see their states (the ratis backend only, for now). */
  public MemberMonitor members() {
    if (members == null) {
      throw new IllegalStateException(config.backend() == BatonConfig.Backend.ETCD
          ? "members are not available on the etcd backend yet" : "Baton has not started yet");
    }
    return members;
  }

  /**
   * Moves {@code role} to node {@code target} (a planned transfer, from any node); completes when
   * {@code target} holds it. With {@code baton.placement=leader} every role moves, since all
   * follow the Raft leadership.
   */
  public java.util.concurrent.CompletableFuture<Void> transfer(String role, String target) {
    if (roles == null) {
      throw new IllegalStateException("Baton has not started yet");
    }
    return roles.transfer(role, target);
  }

  /** This node's id. */
  public String nodeId() {
    return config.nodeId();
  }

  /** The backend's name as in the status: {@code ratis} or {@code etcd}. */
  public String backendName() {
    return config.backend().name().toLowerCase();
  }

  /** The placement's name as in the status: {@code leader} or {@code spread}. */
  public String placementName() {
    return config.placement().name().toLowerCase();
  }

  /** A store view whose writes are fenced by {@code role}'s {@code epoch} (see {@link RoleManager#fencedStore}). */
  public MetadataStore fencedStore(String role, long epoch) {
    if (roles == null) {
      throw new IllegalStateException("Baton has not started yet");
    }
    return roles.fencedStore(role, epoch, metadata());
  }

  /**
   * Calls {@code listener} with a role's status after each of its changes on this node (after the
   * handler's onActive or onStandby returned), on the role's callback thread; returns what
   * unsubscribes it. The {@link RoleChanged} CDI event carries the same.
   */
  public Runnable onRoleChange(java.util.function.Consumer<RoleStatus> listener) {
    roleListeners.add(listener);
    return () -> roleListeners.remove(listener);
  }

  private final java.util.List<java.util.function.Consumer<RoleStatus>> roleListeners =
      new java.util.concurrent.CopyOnWriteArrayList<>();

  private void notifyRoleListeners(String role) {
    for (RoleStatus status : roles()) {
      if (status.role().equals(role)) {
        for (java.util.function.Consumer<RoleStatus> l : roleListeners) {
          try {
            l.accept(status);
          } catch (RuntimeException e) {
            LOG.warnf("node %s role=%s: a role listener threw: %s", nodeId(), role, e.toString());
          }
        }
      }
    }
  }

  /** This node's state for each role. */
  public List<RoleStatus> roles() {
    return roles == null ? List.of() : roles.statuses();
  }

  private RaftNodeOptions options() {
    final List<Peer> peers = new ArrayList<>();
    if (config.peers().isEmpty() || config.peers().get().isEmpty()) {
      throw invalid("baton.peers", "required with baton.backend=ratis: list the voting members as id=host:port,...");
    }
    for (String spec : config.peers().get()) {
      try {
        peers.add(Peer.parse(spec.trim()));
      } catch (IllegalArgumentException e) {
        throw invalid("baton.peers", e.getMessage());
      }
    }
    try {
      return RaftNodeOptions.builder()
          .clusterName(config.clusterName())
          .nodeId(config.nodeId())
          .peers(peers)
          .storageDir(Path.of(config.dataDir()).resolve(config.nodeId()))
          .electionTimeout(config.raft().electionTimeoutMin(), config.raft().electionTimeoutMax())
          .requestTimeout(config.raft().requestTimeout())
          .snapshotThreshold(config.raft().snapshotThreshold())
          .build();
    } catch (IllegalArgumentException e) {
      throw invalid(propertyOf(e.getMessage()), e.getMessage());
    }
  }

  private Placement placement() {
    if (config.placement() == BatonConfig.PlacementKind.LEADER) {
      return Placement.leader();
    }
    try {
      return Placement.spread(config.spread().sessionTtl(), config.spread().rebalanceAfter());
    } catch (IllegalArgumentException e) {
      throw invalid(e.getMessage().startsWith("rebalance") ? "baton.spread.rebalance-after" : "baton.spread.session-ttl",
          e.getMessage());
    }
  }

  private static final Map<String, String> PROPERTIES = Map.of(
      "'nodeId'", "baton.node-id", "'peers'", "baton.peers", "'clusterName'", "baton.cluster-name",
      "'electionTimeoutMin'", "baton.raft.election-timeout-min", "'electionTimeoutMax'", "baton.raft.election-timeout-max",
      "'requestTimeout'", "baton.raft.request-timeout", "'snapshotThreshold'", "baton.raft.snapshot-threshold");

  private static String propertyOf(String message) {
    for (Map.Entry<String, String> e : PROPERTIES.entrySet()) {
      if (message.contains(e.getKey())) {
        return e.getValue();
      }
    }
    return "baton.*";
  }

  private static IllegalArgumentException invalid(String property, String problem) {
    return new IllegalArgumentException("invalid Baton configuration, " + property + ": " + problem);
  }

  /** Roles come from handler beans; a configured role without a handler bean is an error. */
  private List<RoleManager.RoleSpec> roleSpecs() {
    final Map<String, RoleHandler> byName = new LinkedHashMap<>();
    for (InjectableInstance.Handle<RoleHandler> handle : handlers.handles()) {
      for (Annotation q : handle.getBean().getQualifiers()) {
        if (q instanceof BatonRole role) {
          if (byName.put(role.value(), handle.get()) != null) {
            throw invalid("@BatonRole(\"" + role.value() + "\")", "two beans handle the same role");
          }
        }
      }
    }
    for (String configured : config.roles().keySet()) {
      if (!byName.containsKey(configured)) {
        throw invalid("baton.roles." + configured, "no bean implements RoleHandler with @BatonRole(\"" + configured
            + "\") (handlers found: " + byName.keySet() + "); remove the entry or add the handler");
      }
    }
    if (byName.isEmpty()) {
      throw invalid("@BatonRole", "no RoleHandler bean with @BatonRole(\"<name>\") found: declare at least one role");
    }
    final List<RoleManager.RoleSpec> specs = new ArrayList<>();
    byName.forEach((name, handler) -> {
      final BatonConfig.Role roleConfig = config.roles().get(name);
      final StandbyMode mode = roleConfig == null ? StandbyMode.HOT : roleConfig.standbyMode();
      try {
        specs.add(new RoleManager.RoleSpec(name, new EventFiringHandler(name, handler), mode));
      } catch (IllegalArgumentException e) {
        throw invalid("@BatonRole(\"" + name + "\")", e.getMessage());
      }
    });
    return specs;
  }

  /** Calls the application's handler, then fires the matching {@link RoleChanged} CDI event. */
  private final class EventFiringHandler implements RoleHandler {
    private final String role;
    private final RoleHandler delegate;

    EventFiringHandler(String role, RoleHandler delegate) {
      this.role = role;
      this.delegate = delegate;
    }

    @Override
    public void onActive(RoleContext context) {
      try {
        delegate.onActive(context);
      } finally {
        roleEvents.fire(new RoleChanged(role, RoleState.ACTIVE, context.epoch(), context.node()));
        notifyRoleListeners(role);
      }
    }

    @Override
    public void onStandby(String roleName, String activeNode) {
      try {
        delegate.onStandby(roleName, activeNode);
      } finally {
        roleEvents.fire(new RoleChanged(role, RoleState.STANDBY, 0, config.nodeId()));
        notifyRoleListeners(role);
      }
    }

    @Override
    public void onStateChange(WatchEvent event) {
      delegate.onStateChange(event);
    }

    @Override
    public void onStateReset() {
      delegate.onStateReset();
    }
  }
}
