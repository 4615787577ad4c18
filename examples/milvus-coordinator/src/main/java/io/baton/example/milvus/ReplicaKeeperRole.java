package io.baton.example.milvus;

import io.baton.ha.BatonRole;
import io.baton.ha.RoleContext;
import io.baton.milvus.ReplicaKeeper;
import io.baton.milvus.ResilientMilvusClient;
import jakarta.inject.Inject;
import jakarta.inject.Singleton;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;
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
public class ReplicaKeeperRole extends RecordingRole {
  private static final Logger LOG = Logger.getLogger(ReplicaKeeperRole.class);

  @Inject
  CoordinatorConfig config;

  @Inject
  MilvusClients milvus;

  private final Map<String, String> lastStatus = new ConcurrentHashMap<>();

  public ReplicaKeeperRole() {
    super("replica-keeper", "collections/");
  }

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
        ctx.node(), ctx.epoch(), targets, entries().size());
    final ReplicaKeeper keeper = new ReplicaKeeper(client.get(), targets, ctx.node(), Duration.ofSeconds(5));
    repeatWhileActive(ctx, config.reconcileInterval(), () -> pass(ctx, keeper));
  }

  /** One reconciliation pass; always goes on (a deposed activation's pass stops by itself, see ReplicaKeeper). */
  private boolean pass(RoleContext ctx, ReplicaKeeper keeper) {
    try {
      for (ReplicaKeeper.Outcome o : keeper.reconcile(ctx.store(), ctx.statePrefix(), ctx.epoch(), ctx::isActive)) {
        if (o.record() != null) {
          recorded(ReplicaKeeper.recordKey(ctx.statePrefix(), o.collection()), o.record().encode());
        }
        if (!o.status().equals(lastStatus.put(o.collection(), o.status()))) {
          LOG.infof("node %s role=replica-keeper epoch=%d: collection %s %s", ctx.node(), ctx.epoch(), o.collection(), o.status());
        }
      }
    } catch (RuntimeException e) {
      LOG.warnf("node %s role=replica-keeper epoch=%d: reconciliation failed: %s", ctx.node(), ctx.epoch(), e);
    }
    return true;
  }

  @Override
  public void onStandby(String role, String activeNode) {
    lastStatus.clear();
  }
}
