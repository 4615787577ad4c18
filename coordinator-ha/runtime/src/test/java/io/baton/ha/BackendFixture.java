package io.baton.ha;

import io.baton.etcd.EtcdMetadataStore;
import io.baton.raft.RaftNode;
import io.baton.testkit.EtcdCluster;
import io.baton.testkit.TestCluster;
import io.etcd.jetcd.ByteSequence;
import io.etcd.jetcd.Client;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;

/** Three nodes' backends for a contract test: one fixture per test, closed after it. */
interface BackendFixture extends AutoCloseable {
  /** Starts the backend for three nodes; returns their ids. */
  List<String> start() throws Exception;

  /** Node {@code id}'s backend. */
  Backend backend(String id);

  /** Node {@code id} dies: its side of the backend stops without a goodbye (no resign, no revoke). */
  void crash(String id) throws Exception;

  /** How long a takeover after a crash may take. */
  Duration takeoverWithin();

  @Override
  void close();

  /** Three Ratis nodes in this JVM over loopback. */
  static BackendFixture ratis() {
    return new BackendFixture() {
      private TestCluster cluster;

      @Override
      public List<String> start() {
        cluster = new TestCluster(3).start();
        return cluster.running().stream().map(RaftNode::nodeId).toList();
      }

      @Override
      public Backend backend(String id) {
        return new RatisBackend(cluster.node(id));
      }

      @Override
      public void crash(String id) {
        cluster.crash(id);
      }

      @Override
      public Duration takeoverWithin() {
        return Duration.ofSeconds(15);
      }

      @Override
      public void close() {
        if (cluster != null) {
          cluster.close();
        }
      }
    };
  }

  /** Three nodes, each with its own jetcd client, on a real etcd cluster; a fresh namespace per fixture. */
  static BackendFixture etcd(EtcdCluster etcd) {
    return new BackendFixture() {
      private final Map<String, EtcdMetadataStore> stores = new HashMap<>();
      private final String namespace = "/contract-" + UUID.randomUUID() + "/";

      @Override
      public List<String> start() {
        return List.of("n1", "n2", "n3");
      }

      @Override
      public Backend backend(String id) {
        final EtcdMetadataStore store = etcdStore(etcd, namespace);
        stores.put(id, store);
        return new EtcdBackend(store, id, Duration.ofSeconds(2), Duration.ofSeconds(2));
      }

      @Override
      public void crash(String id) {
        stores.remove(id).close(); // no resign, no revoke: the lease has to expire
      }

      @Override
      public Duration takeoverWithin() {
        return Duration.ofSeconds(20);
      }

      @Override
      public void close() {
        stores.values().forEach(EtcdMetadataStore::close);
      }
    };
  }

  /** A store over {@code etcd} whose keys live under {@code namespace} (one per test), with a 2 s request timeout. */
  static EtcdMetadataStore etcdStore(EtcdCluster etcd, String namespace) {
    return new EtcdMetadataStore(Client.builder().endpoints(etcd.endpoints().toArray(String[]::new))
        .namespace(ByteSequence.from(namespace, StandardCharsets.UTF_8)).build(), Duration.ofSeconds(2));
  }
}
