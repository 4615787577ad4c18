package io.baton.example;

import io.baton.ha.BatonRole;
import io.baton.ha.RoleContext;
import io.baton.ha.RoleHandler;
import io.baton.ha.RoleStateMirror;
import io.baton.store.WatchEvent;
import jakarta.inject.Singleton;
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
  private final RoleStateMirror state = new RoleStateMirror();

  @Override
  public void onActive(RoleContext ctx) {
    LOG.infof("node %s role=rootcoord epoch=%d: active with %d keys of state already in memory (HOT)",
        ctx.node(), ctx.epoch(), state.size());
    ctx.store().put(ctx.statePrefix() + "holder", ctx.node() + "@" + ctx.epoch()).whenComplete((rev, e) -> {
      if (e != null) {
        LOG.warnf("node %s role=rootcoord epoch=%d: recording the holder failed: %s", ctx.node(), ctx.epoch(), e);
      }
    });
  }

  @Override
  public void onStandby(String role, String activeNode) {
    LOG.infof("role=rootcoord: standby, active is %s", activeNode);
  }

  @Override
  public void onStateChange(WatchEvent event) {
    state.apply(event);
  }

  @Override
  public void onStateReset() {
    state.reset();
  }
}
