package io.baton.example;

import io.baton.ha.BatonRole;
import io.baton.ha.RoleContext;
import io.baton.ha.RoleHandler;
import jakarta.inject.Singleton;
import org.jboss.logging.Logger;

/** A WARM role: it keeps nothing while standby and loads the role's state when it becomes active. */
@BatonRole("querycoord")
@Singleton
public class QueryCoord implements RoleHandler {
  private static final Logger LOG = Logger.getLogger(QueryCoord.class);

  @Override
  public void onActive(RoleContext ctx) {
    ctx.loadState().thenCompose(state -> {
      LOG.infof("node %s role=querycoord epoch=%d: active, loaded %d keys of state (WARM)", ctx.node(), ctx.epoch(),
          state.kvs().size());
      return ctx.store().put(ctx.statePrefix() + "holder", ctx.node() + "@" + ctx.epoch());
    }).whenComplete((rev, e) -> {
      if (e != null) {
        LOG.warnf("node %s role=querycoord epoch=%d: loading the state or recording the holder failed: %s",
            ctx.node(), ctx.epoch(), e);
      }
    });
  }

  @Override
  public void onStandby(String role, String activeNode) {
    LOG.infof("role=querycoord: standby, active is %s", activeNode);
  }
}
