package io.baton.example.milvus;

import io.baton.ha.BatonRole;
import io.baton.ha.RoleContext;
import io.baton.milvus.MilvusConfig;
import io.baton.milvus.MilvusEndpointMonitor;
import io.baton.milvus.MilvusEndpoints;
import io.baton.store.StaleEpochException;
import jakarta.inject.Inject;
import jakarta.inject.Singleton;
import java.util.Optional;
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
public class MilvusWatchRole extends RecordingRole {
  private static final Logger LOG = Logger.getLogger(MilvusWatchRole.class);

  @Inject
  MilvusEndpoints endpoints;

  @Inject
  MilvusConfig config;

  public MilvusWatchRole() {
    super("milvus", "endpoints/");
  }

  @Override
  public void onActive(RoleContext ctx) {
    final Optional<MilvusEndpointMonitor> monitor = endpoints.monitor();
    if (monitor.isEmpty()) {
      LOG.infof("node %s role=milvus-watch epoch=%d: active, no baton.milvus.endpoints to watch", ctx.node(), ctx.epoch());
      return;
    }
    LOG.infof("node %s role=milvus-watch epoch=%d: active, watching %s", ctx.node(), ctx.epoch(), monitor.get().endpoints());
    repeatWhileActive(ctx, config.probeInterval(), () -> record(ctx, monitor.get()));
  }

  /** Records every endpoint whose state differs from the recorded one; false once deposed. */
  private boolean record(RoleContext ctx, MilvusEndpointMonitor monitor) {
    for (MilvusEndpointMonitor.EndpointHealth h : monitor.health().values()) {
      if (!h.probed()) {
        continue;
      }
      final String key = ctx.statePrefix() + "endpoints/" + h.endpoint();
      final String before = record(key);
      if (before != null && before.startsWith(h.state() + " ")) {
        continue;
      }
      final String value = h.state() + " by " + ctx.node() + " at epoch " + ctx.epoch() + ": " + h.detail();
      try {
        ctx.store().put(key, value).get(5, TimeUnit.SECONDS);
        recorded(key, value);
        LOG.infof("node %s role=milvus-watch epoch=%d: milvus endpoint %s recorded %s (was %s)", ctx.node(), ctx.epoch(),
            h.endpoint(), h.state(), before == null ? "unrecorded" : before.substring(0, before.indexOf(' ')));
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        return false;
      } catch (Exception e) {
        final Throwable cause = io.baton.store.Futures.unwrap(e);
        if (cause instanceof StaleEpochException) {
          LOG.infof("node %s role=milvus-watch epoch=%d: deposed, no longer recording", ctx.node(), ctx.epoch());
          return false;
        }
        LOG.warnf("node %s role=milvus-watch epoch=%d: recording %s failed, retrying next round: %s", ctx.node(),
            ctx.epoch(), h.endpoint(), cause);
        return true;
      }
    }
    return true;
  }

  @Override
  public void onStandby(String role, String activeNode) {
  }
}
