package io.baton.ha;

import io.quarkus.arc.InjectableInstance;
import java.lang.annotation.Annotation;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/** Finds the application's role handler beans ({@code @BatonRole}) and checks them against {@code baton.roles.*}. */
final class RoleHandlers {
  private RoleHandlers() {
  }

  /**
   * The roles this node runs: one per {@code @BatonRole} handler bean, each with its configured
   * standby mode (HOT by default), its handler wrapped by {@code events}.
   *
   * @throws IllegalArgumentException naming the problem: no handler, two handlers for one role, a
   *     configured role without a handler, an invalid role name
   */
  static List<RoleManager.RoleSpec> discover(InjectableInstance<RoleHandler> handlers, BatonConfig config,
      RoleEvents events) {
    final Map<String, RoleHandler> byName = new LinkedHashMap<>();
    for (InjectableInstance.Handle<RoleHandler> handle : handlers.handles()) {
      for (Annotation q : handle.getBean().getQualifiers()) {
        if (q instanceof BatonRole role && byName.put(role.value(), handle.get()) != null) {
          throw Settings.invalid("@BatonRole(\"" + role.value() + "\")", "two beans handle the same role");
        }
      }
    }
    for (String configured : config.roles().keySet()) {
      if (!byName.containsKey(configured)) {
        throw Settings.invalid("baton.roles." + configured, "no bean implements RoleHandler with @BatonRole(\""
            + configured + "\") (handlers found: " + byName.keySet() + "); remove the entry or add the handler");
      }
    }
    if (byName.isEmpty()) {
      throw Settings.invalid("@BatonRole", "no RoleHandler bean with @BatonRole(\"<name>\") found: declare at least one role");
    }
    final List<RoleManager.RoleSpec> specs = new ArrayList<>();
    byName.forEach((name, handler) -> {
      final BatonConfig.Role roleConfig = config.roles().get(name);
      final StandbyMode mode = roleConfig == null ? StandbyMode.HOT : roleConfig.standbyMode();
      try {
        specs.add(new RoleManager.RoleSpec(name, events.wrap(name, handler), mode));
      } catch (IllegalArgumentException e) {
        throw Settings.invalid("@BatonRole(\"" + name + "\")", e.getMessage());
      }
    });
    return specs;
  }
}
