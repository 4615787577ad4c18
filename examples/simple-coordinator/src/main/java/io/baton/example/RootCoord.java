package io.baton.example;

import io.baton.ha.BatonRole;
import io.baton.ha.RoleContext;
import io.baton.ha.RoleHandler;
import io.baton.raft.WatchEvent;
import jakarta.inject.Singleton;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import org.jboss.logging.Logger;

/**
 * A HOT role: while standby it mirrors the role's state from the replicated log, so it becomes
 * active without loading anything. As active it records which node holds the role, fenced by its
 * epoch.
 */
@BatonRole("rootcoord")
@Singleton
public class RootCoord implements RoleHandler {
  private static final Logger LOG = Logger.getLogger(RootCoord.class);
  private final Map<String, String> state = new ConcurrentHashMap<>();

  @Override
  public void onActive(RoleContext ctx) {
    LOG.infof("node %s role=rootcoord epoch=%d: active with %d keys of state already in memory (HOT)",
        ctx.node(), ctx.epoch(), state.size());
    ctx.store().put(ctx.statePrefix() + "holder", ctx.node() + "@" + ctx.epoch());
  }

  @Override
  public void onStandby(String role, String activeNode) {
    LOG.infof("role=rootcoord: standby, active is %s", activeNode);
  }

  @Override
  public void onStateChange(WatchEvent event) {
    if (event.type() == WatchEvent.Type.PUT) {
      state.put(event.key(), event.kv().valueAsString());
    } else {
      state.remove(event.key());
    }
  }

  @Override
  public void onStateReset() {
    state.clear();
  }
}
