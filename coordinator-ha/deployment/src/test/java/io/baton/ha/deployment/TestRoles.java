package io.baton.ha.deployment;

import io.baton.ha.BatonRole;
import io.baton.ha.RoleChanged;
import io.baton.ha.RoleContext;
import io.baton.ha.RoleHandler;
import jakarta.enterprise.event.Observes;
import jakarta.inject.Singleton;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;

/** Role handler beans for the extension tests. */
final class TestRoles {
  private TestRoles() {
  }

  /** A one-node application with both test roles, its data under {@code dataDir}. */
  static io.quarkus.test.QuarkusUnitTest singleNodeApp(String dataDir) {
    return new io.quarkus.test.QuarkusUnitTest()
        .withApplicationRoot(jar -> jar.addClasses(TestRoles.class, RootCoord.class, QueryCoord.class, Events.class,
            Section.class, Fixtures.class))
        .overrideConfigKey("baton.node-id", "n1")
        .overrideConfigKey("baton.peers", Fixtures.singleNodePeers())
        .overrideConfigKey("baton.data-dir", dataDir);
  }

  /** A status section, in the status as "sections":{"test":{...}}. */
  @Singleton
  static class Section implements io.baton.ha.StatusSection {
    @Override
    public String name() {
      return "test";
    }

    @Override
    public java.util.Map<String, String> entries() {
      final java.util.Map<String, String> entries = new java.util.LinkedHashMap<>();
      entries.put("b", "2");
      entries.put("a", "1");
      return entries;
    }
  }

  @BatonRole("rootcoord")
  @Singleton
  static class RootCoord implements RoleHandler {
    final List<RoleContext> activations = new CopyOnWriteArrayList<>();
    final List<String> threads = new CopyOnWriteArrayList<>();

    @Override
    public void onActive(RoleContext context) {
      threads.add(Thread.currentThread().getName());
      activations.add(context);
    }

    @Override
    public void onStandby(String role, String activeNode) {
      threads.add(Thread.currentThread().getName());
    }
  }

  @BatonRole("querycoord")
  @Singleton
  static class QueryCoord implements RoleHandler {
    final List<RoleContext> activations = new CopyOnWriteArrayList<>();

    @Override
    public void onActive(RoleContext context) {
      activations.add(context);
    }

    @Override
    public void onStandby(String role, String activeNode) {
    }
  }

  @Singleton
  static class Events {
    final List<RoleChanged> seen = new CopyOnWriteArrayList<>();

    void on(@Observes RoleChanged event) {
      seen.add(event);
    }
  }
}
