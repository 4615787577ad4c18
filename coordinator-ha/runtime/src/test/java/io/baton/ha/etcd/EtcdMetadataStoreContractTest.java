package io.baton.ha.etcd;

import io.baton.raft.MetadataStore;
import io.baton.raft.MetadataStoreContract;
import io.etcd.jetcd.Client;
import java.time.Duration;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.RegisterExtension;

/** The same MetadataStore contract as the Ratis backend's, on a real 3-member etcd cluster. */
@Timeout(value = 120, unit = TimeUnit.SECONDS)
class EtcdMetadataStoreContractTest extends MetadataStoreContract {
  @RegisterExtension
  static final EtcdCluster ETCD = new EtcdCluster(3);

  private static EtcdMetadataStore store;

  @BeforeAll
  static void connect() {
    store = new EtcdMetadataStore(Client.builder().endpoints(ETCD.endpoints().toArray(String[]::new)).build(),
        Duration.ofSeconds(5));
  }

  @AfterAll
  static void disconnect() {
    store.close();
  }

  @Override
  protected MetadataStore store() {
    return store;
  }
}
