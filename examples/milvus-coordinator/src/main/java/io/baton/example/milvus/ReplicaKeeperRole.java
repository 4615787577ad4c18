package io.baton.example.milvus;

import io.baton.ha.BatonRole;
import io.baton.ha.RoleContext;
import io.baton.ha.RoleHandler;
import io.baton.ha.StatusSection;
import io.baton.milvus.ReplicaKeeper;
import io.baton.milvus.ResilientMilvusClient;
import io.baton.store.WatchEvent;
import jakarta.inject.Inject;
import jakarta.inject.Singleton;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import org.jboss.logging.Logger;

/**
 * {@code replica-keeper} (HOT): while active, keeps the configured collections loaded with their
 * replica numbers ({@link ReplicaKeeper}), every {@code milvus-coordinator.reconcile-interval};
 * each action recorded under the role's state, fenced by its epoch. While standby it mirrors those
 * records, so a new active continues where the old one stopped. In {@code /baton/status} as the
 * {@code replica-keeper} section: each collection's last recorded action.
 */
@BatonRole("replica-keeper")
@Singleton
public class ReplicaKeeperRole implements RoleHandler, StatusSection {
  private static final Logger LOG = Logger.getLogger(ReplicaKeeperRole.class);

  @Inject
  CoordinatorConfig config;

  @Inject
  MilvusClients milvus;

  private final RecordedState recorded = new RecordedState("collections/");
  private final Map<String, String> lastStatus = new ConcurrentHashMap<>();

  @Override
  public void onActive(RoleContext ctx) {
    final List<ReplicaKeeper.Target> targets = config.collections().orElse(List.of()).stream()
        .filter(s -> !s.isBlank()).map(ReplicaKeeper.Target::parse).toList();
    final Optional<ResilientMilvusClient> client = milvus.client();
    if (targets.isEmpty() || client.isEmpty()) {
      LOG.infof("node %s role=replica-keeper epoch=%d: active, nothing to keep (%s)", ctx.node(), ctx.epoch(),
          targets.isEmpty() ? "no milvus-coordinator.collections" : "no baton.milvus.endpoints");
      return;
    }
    LOG.infof("node %s role=replica-keeper epoch=%d: active, keeping %s with %d action record(s) already mirrored (HOT)",
        ctx.node(), ctx.epoch(), targets, recorded.view().size());
    final ReplicaKeeper keeper = new ReplicaKeeper(client.get(), targets, ctx.node(), Duration.ofSeconds(5));
    final ScheduledExecutorService loop = Executors.newSingleThreadScheduledExecutor(r -> {
      final Thread t = new Thread(r, "replica-keeper-" + ctx.epoch());
      t.setDaemon(true);
      return t;
    });
    loop.scheduleWithFixedDelay(() -> pass(ctx, keeper), 0, config.reconcileInterval().toMillis(), TimeUnit.MILLISECONDS);
    ctx.lost().whenComplete((v, e) -> loop.shutdownNow());
  }

  private void pass(RoleContext ctx, ReplicaKeeper keeper) {
    try {
      for (ReplicaKeeper.Outcome o : keeper.reconcile(ctx.store(), ctx.statePrefix(), ctx.epoch(), ctx::isActive)) {
        if (o.record() != null) {
          recorded.put(ReplicaKeeper.recordKey(ctx.statePrefix(), o.collection()), o.record().encode());
        }
        if (!o.status().equals(lastStatus.put(o.collection(), o.status()))) {
          LOG.infof("node %s role=replica-keeper epoch=%d: collection %s %s", ctx.node(), ctx.epoch(), o.collection(), o.status());
        }
      }
    } catch (RuntimeException e) {
      LOG.warnf("node %s role=replica-keeper epoch=%d: reconciliation failed: %s", ctx.node(), ctx.epoch(), e);
    }
  }

  @Override
  public void onStandby(String role, String activeNode) {
    lastStatus.clear();
  }

  @Override
  public void onStateChange(WatchEvent event) {
    recorded.apply(event);
  }

  @Override
  public void onStateReset() {
    recorded.clear();
  }

  @Override
  public String name() {
    return "replica-keeper";
  }

  /** Each collection's last recorded action ({@code phase=DONE replicas=2 seq=1 epoch=7 node=n1}). */
  @Override
  public Map<String, String> entries() {
    return recorded.view();
  }
}
