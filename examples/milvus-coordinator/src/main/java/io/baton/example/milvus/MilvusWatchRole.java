package io.baton.example.milvus;

import io.baton.ha.BatonRole;
import io.baton.ha.RoleContext;
import io.baton.ha.RoleHandler;
import io.baton.ha.StatusSection;
import io.baton.milvus.MilvusConfig;
import io.baton.milvus.MilvusEndpointMonitor;
import io.baton.milvus.MilvusEndpoints;
import io.baton.store.StaleEpochException;
import io.baton.store.WatchEvent;
import jakarta.inject.Inject;
import jakarta.inject.Singleton;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import org.jboss.logging.Logger;

/**
 * {@code milvus-watch} (HOT): while active, records each Milvus endpoint's state (UP, SUSPECT,
 * DOWN, from the failure detector of the node's {@link MilvusEndpointMonitor}) in the role's
 * replicated state whenever it changes, fenced by the epoch; every node shows the recorded states
 * in {@code /baton/status} as the {@code milvus} section ({@code "<endpoint>": "SUSPECT by n2 at
 * epoch 7: <what the probe said>"}). Each node's own view is the {@code milvus} health group.
 */
@BatonRole("milvus-watch")
@Singleton
public class MilvusWatchRole implements RoleHandler, StatusSection {
  private static final Logger LOG = Logger.getLogger(MilvusWatchRole.class);

  @Inject
  MilvusEndpoints endpoints;

  @Inject
  MilvusConfig config;

  private final RecordedState recorded = new RecordedState("endpoints/");

  @Override
  public void onActive(RoleContext ctx) {
    final Optional<MilvusEndpointMonitor> monitor = endpoints.monitor();
    if (monitor.isEmpty()) {
      LOG.infof("node %s role=milvus-watch epoch=%d: active, no baton.milvus.endpoints to watch", ctx.node(), ctx.epoch());
      return;
    }
    LOG.infof("node %s role=milvus-watch epoch=%d: active, watching %s", ctx.node(), ctx.epoch(), monitor.get().endpoints());
    final ScheduledExecutorService loop = Executors.newSingleThreadScheduledExecutor(r -> {
      final Thread t = new Thread(r, "milvus-watch-" + ctx.epoch());
      t.setDaemon(true);
      return t;
    });
    loop.scheduleWithFixedDelay(() -> record(ctx, monitor.get(), loop), 0, config.probeInterval().toMillis(),
        TimeUnit.MILLISECONDS);
    ctx.lost().whenComplete((v, e) -> loop.shutdownNow());
  }

  /** Records every endpoint whose state differs from the recorded one. */
  private void record(RoleContext ctx, MilvusEndpointMonitor monitor, ScheduledExecutorService loop) {
    for (MilvusEndpointMonitor.EndpointHealth h : monitor.health().values()) {
      if (!h.probed()) {
        continue;
      }
      final String key = ctx.statePrefix() + "endpoints/" + h.endpoint();
      final String before = recorded.get(key);
      if (before != null && before.startsWith(h.state() + " ")) {
        continue;
      }
      final String value = h.state() + " by " + ctx.node() + " at epoch " + ctx.epoch() + ": " + h.detail();
      try {
        ctx.store().put(key, value).get(5, TimeUnit.SECONDS);
        recorded.put(key, value);
        LOG.infof("node %s role=milvus-watch epoch=%d: milvus endpoint %s recorded %s (was %s)", ctx.node(), ctx.epoch(),
            h.endpoint(), h.state(), before == null ? "unrecorded" : before.substring(0, before.indexOf(' ')));
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        return;
      } catch (Exception e) {
        final Throwable cause = io.baton.store.Futures.unwrap(e);
        if (cause instanceof StaleEpochException) {
          LOG.infof("node %s role=milvus-watch epoch=%d: deposed, no longer recording", ctx.node(), ctx.epoch());
          loop.shutdownNow();
          return;
        }
        LOG.warnf("node %s role=milvus-watch epoch=%d: recording %s failed, retrying next round: %s", ctx.node(),
            ctx.epoch(), h.endpoint(), cause);
        return;
      }
    }
  }

  @Override
  public void onStandby(String role, String activeNode) {
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
    return "milvus";
  }

  @Override
  public Map<String, String> entries() {
    return recorded.view();
  }
}
