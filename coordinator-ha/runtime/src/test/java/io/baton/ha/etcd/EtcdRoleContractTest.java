package io.baton.ha.etcd;

import io.baton.ha.Placement;
import io.baton.ha.RoleContract;
import io.baton.ha.RoleManager;
import io.baton.raft.MonotonicClock;
import io.etcd.jetcd.ByteSequence;
import io.etcd.jetcd.Client;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * The role contract on the etcd backend: three nodes, each with its own jetcd client, on a real
 * 3-member etcd cluster; every test in its own namespace. Lease TTL 2 s (etcd's minimum), so a
 * crash is taken over once the lease expires.
 */
@Timeout(value = 120, unit = TimeUnit.SECONDS)
class EtcdRoleContractTest extends RoleContract {
  @RegisterExtension
  static final EtcdCluster ETCD = new EtcdCluster(3);

  private final Map<String, EtcdMetadataStore> stores = new HashMap<>();
  private String namespace;

  @Override
  protected List<String> startBackend() {
    namespace = "/role-contract-" + UUID.randomUUID() + "/";
    return List.of("n1", "n2", "n3");
  }

  @Override
  protected RoleManager newManager(String id, List<RoleManager.RoleSpec> roles) {
    final EtcdMetadataStore store = new EtcdMetadataStore(Client.builder()
        .endpoints(ETCD.endpoints().toArray(String[]::new))
        .namespace(ByteSequence.from(namespace, StandardCharsets.UTF_8)).build(), Duration.ofSeconds(2));
    stores.put(id, store);
    final EtcdElector elector = new EtcdElector(store, id, "election",
        roles.stream().map(RoleManager.RoleSpec::name).toList(), Duration.ofSeconds(2), MonotonicClock.SYSTEM);
    return new RoleManager(id, store, () -> true, roles, executor, Duration.ofMillis(20), Placement.leader(), elector);
  }

  @Override
  protected void crash(String id) {
    stores.remove(id).close(); // no resign, no revoke: the lease has to expire
  }

  @Override
  protected void stopBackend() {
    stores.values().forEach(EtcdMetadataStore::close);
  }

  @Override
  protected Duration takeoverWithin() {
    return Duration.ofSeconds(20);
  }
}
