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
    ctx.loadState().thenAccept(state -> {
      LOG.infof("node %s role=querycoord epoch=%d: active, loaded %d keys of state (WARM)", ctx.node(), ctx.epoch(),
          state.kvs().size());
      ctx.store().put(ctx.statePrefix() + "holder", ctx.node() + "@" + ctx.epoch());
    });
  }

  @Override
  public void onStandby(String role, String activeNode) {
    LOG.infof("role=querycoord: standby, active is %s", activeNode);
  }
}
