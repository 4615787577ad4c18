package io.baton.ha;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.baton.etcd.EtcdMetadataStore;
import io.baton.testkit.LocalEtcdCluster;
import io.baton.testkit.Timing;
import java.io.IOException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * The etcd backend's client (as a node builds it from baton.etcd.user and .password) against a
 * real etcd whose authentication etcdctl turned on: the right user reads and writes; a wrong
 * password or no user gets nothing.
 */
@Timeout(value = 90, unit = TimeUnit.SECONDS)
class EtcdAuthTest {
  private static LocalEtcdCluster etcd;

  @BeforeAll
  static void startEtcdWithAuth() throws Exception {
    etcd = new LocalEtcdCluster(1).start();
    etcdctl("user", "add", "root:root-password-0123");
    etcdctl("user", "grant-role", "root", "root");
    etcdctl("user", "add", "baton:baton-password-0123");
    etcdctl("role", "add", "baton");
    etcdctl("role", "grant-permission", "baton", "--prefix=true", "readwrite", "/baton/");
    etcdctl("user", "grant-role", "baton", "baton");
    etcdctl("auth", "enable");
  }

  private static void etcdctl(String... args) throws IOException, InterruptedException {
    final List<String> cmd = new ArrayList<>(List.of("etcdctl", "--endpoints", etcd.endpoints().get(0)));
    cmd.addAll(List.of(args));
    final Process p = new ProcessBuilder(cmd).redirectErrorStream(true).start();
    final String out = new String(p.getInputStream().readAllBytes());
    if (p.waitFor() != 0) {
      throw new IllegalStateException(String.join(" ", cmd) + " failed: " + out);
    }
  }

  @AfterAll
  static void stopEtcd() {
    if (etcd != null) {
      etcd.close();
    }
  }

  private static EtcdMetadataStore store(Optional<String> user, Optional<String> password) {
    return Baton.etcdStore(new Settings.Etcd(etcd.endpoints(), "/baton/auth-test/", Duration.ofSeconds(5),
        Duration.ofSeconds(2), null, user, password, Optional.empty()));
  }

  @Test
  void theConfiguredUserReadsAndWritesAndOthersGetNothing() {
    try (EtcdMetadataStore store = store(Optional.of("baton"), Optional.of("baton-password-0123"))) {
      final long revision = Timing.await(store.put("auth/written", "as baton"));
      assertThat(Timing.await(store.get("auth/written")).kvs().get(0).modRevision()).isEqualTo(revision);
    }
    try (EtcdMetadataStore wrong = store(Optional.of("baton"), Optional.of("not-the-password"))) {
      assertThatThrownBy(() -> Timing.await(wrong.put("auth/refused", "x"))).isInstanceOf(RuntimeException.class);
    }
    try (EtcdMetadataStore anonymous = store(Optional.empty(), Optional.empty())) {
      assertThatThrownBy(() -> Timing.await(anonymous.put("auth/refused", "x"))).isInstanceOf(RuntimeException.class);
    }
    try (EtcdMetadataStore store = store(Optional.of("baton"), Optional.of("baton-password-0123"))) {
      assertThat(Timing.await(store.get("auth/refused")).kvs()).isEmpty();
    }
  }
}
