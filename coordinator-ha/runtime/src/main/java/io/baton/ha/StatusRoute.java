package io.baton.ha;

import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.Router;
import jakarta.enterprise.event.Observes;
import jakarta.inject.Inject;
import jakarta.inject.Singleton;

/** Serves {@code GET /baton/status}: the {@link NodeStatus} as JSON (see {@link #toJson}). */
@Singleton
public class StatusRoute {
  /** Where the status is served. */
  public static final String PATH = "/baton/status";

  @Inject
  Baton baton;

  void routes(@Observes Router router) {
    router.get(PATH).handler(ctx -> {
      final JsonObject body;
      try {
        body = toJson(baton.status());
      } catch (RuntimeException e) {
        ctx.response().setStatusCode(503).putHeader("content-type", "application/json")
            .end(new JsonObject().put("error", String.valueOf(e.getMessage())).encode());
        return;
      }
      ctx.response().putHeader("content-type", "application/json").end(body.encode());
    });
  }

  /**
   * {@code {"node","backend","placement","lifecycle","roles":{"<role>":{"state","epoch","active",
   * "standbyMode","activatedAtMillis","candidate"}},"members":{"<member>":"ALIVE|SUSPECT|DOWN"},
   * "raft":{"term","leader","commitIndex","appliedIndex","role"},"sections":{"<name>":{"<key>":"<value>"}}}}
   * ({@code raft} absent on etcd; {@code sections} from the {@link StatusSection} beans, empty without).
   */
  public static JsonObject toJson(NodeStatus status) {
    final JsonObject roles = new JsonObject();
    for (RoleStatus r : status.roles()) {
      roles.put(r.role(), new JsonObject()
          .put("state", r.state().name())
          .put("epoch", r.epoch())
          .put("active", r.active())
          .put("standbyMode", r.standbyMode().name())
          .put("activatedAtMillis", r.activatedAtMillis())
          .put("candidate", r.candidate()));
    }
    final JsonObject members = new JsonObject();
    status.members().forEach((m, state) -> members.put(m, state.name()));
    final JsonObject json = new JsonObject()
        .put("node", status.node())
        .put("backend", status.backend())
        .put("placement", status.placement())
        .put("lifecycle", status.lifecycle().name())
        .put("roles", roles)
        .put("members", members);
    status.raft().ifPresent(raft -> {
      final JsonObject r = new JsonObject()
          .put("term", raft.term())
          .put("leader", raft.leader())
          .put("commitIndex", raft.commitIndex())
          .put("appliedIndex", raft.appliedIndex())
          .put("role", raft.role())
          .put("rehearsing", raft.rehearsing());
      raft.logFailure().ifPresent(failure -> r.put("logFailure", failure));
      json.put("raft", r);
    });
    final JsonObject sections = new JsonObject();
    status.sections().forEach((name, entries) -> {
      final JsonObject section = new JsonObject();
      entries.forEach(section::put);
      sections.put(name, section);
    });
    return json.put("sections", sections);
  }
}
