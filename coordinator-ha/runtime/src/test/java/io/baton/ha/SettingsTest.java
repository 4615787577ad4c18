package io.baton.ha;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.quarkus.runtime.configuration.DurationConverter;
import io.smallrye.config.PropertiesConfigSource;
import io.smallrye.config.SmallRyeConfig;
import io.smallrye.config.SmallRyeConfigBuilder;
import io.vertx.core.http.ClientAuth;
import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.api.Test;

/**
 * Every Baton property with a value it cannot take: the configuration is refused before anything
 * starts, with an error that names the property and what it accepts. The configuration is built
 * the way Quarkus builds it (SmallRye Config with Quarkus' duration syntax), then validated by
 * {@link Settings}, as at start-up.
 */
class SettingsTest {
  /** A valid 3-node Ratis configuration that each case changes in one place. */
  private static Map<String, String> valid() {
    final Map<String, String> p = new HashMap<>();
    p.put("baton.node-id", "n1");
    p.put("baton.peers", "n1=127.0.0.1:9001,n2=127.0.0.1:9002,n3=127.0.0.1:9003");
    return p;
  }

  private static Settings settings(Map<String, String> properties) {
    final SmallRyeConfig config = new SmallRyeConfigBuilder()
        .withMapping(BatonConfig.class)
        .withConverter(Duration.class, 200, new DurationConverter())
        .withSources(new PropertiesConfigSource(properties, "test", 500))
        .build();
    return Settings.of(config.getConfigMapping(BatonConfig.class));
  }

  /** Applies {@code changes} ("key=value;key=value"; an empty value removes the key) to a valid configuration. */
  private static Map<String, String> with(String changes) {
    final Map<String, String> p = valid();
    for (String change : changes.split(";")) {
      final int eq = change.indexOf('=');
      final String key = change.substring(0, eq).trim();
      final String value = change.substring(eq + 1);
      if (value.isEmpty()) {
        p.remove(key);
      } else {
        p.put(key, value);
      }
    }
    return p;
  }

  @Test
  void theValidConfigurationAndTheDefaultsAreAccepted() {
    final Settings s = settings(valid());
    assertThat(s.backend()).isEqualTo(BatonConfig.Backend.RATIS);
    assertThat(s.placement()).isEqualTo(Placement.leader());
    assertThat(s.raft().peers()).hasSize(3);
    assertThat(s.members().downAfter()).isGreaterThan(s.members().suspectAfter());
    assertThat(settings(with("baton.backend=etcd;baton.etcd.endpoints=http://127.0.0.1:2379")).etcd().namespace())
        .isEqualTo("/baton/" + io.baton.raft.RaftNodeOptions.DEFAULT_CLUSTER_NAME + "/");
  }

  @ParameterizedTest(name = "{0}")
  @CsvSource(delimiter = '|', value = {
      // the change                                                         | what the error must say
      "baton.node-id=                                                       | baton.node-id |",
      "baton.node-id=n7                                                     | baton.node-id|not among the peers",
      "baton.peers=                                                         | baton.peers|id=host:port",
      "baton.peers=n1=127.0.0.1                                             | baton.peers|",
      "baton.peers=n1=127.0.0.1:9001,n1=127.0.0.1:9002                      | baton.peers|more than once",
      "baton.backend=zookeeper                                              | baton.backend|etcd",
      "baton.placement=anywhere                                             | baton.placement|spread",
      "baton.raft.election-timeout-min=5ms                                  | baton.raft.election-timeout-min|10 ms",
      "baton.raft.election-timeout-min=2s;baton.raft.election-timeout-max=1s | baton.raft.election-timeout-max|must exceed",
      "baton.raft.request-timeout=100ms                                     | baton.raft.request-timeout|must exceed",
      "baton.raft.snapshot-threshold=0                                      | baton.raft.snapshot-threshold|at least 1",
      "baton.raft.watch-history=0                                           | baton.raft.watch-history|at least 1",
      "baton.raft.watch-history=many                                        | baton.raft.watch-history|many",
      "baton.raft.election-timeout-min=soon                                 | baton.raft.election-timeout-min|soon",
      "baton.placement=spread;baton.spread.session-ttl=100ms                | baton.spread.session-ttl|minimum",
      "baton.placement=spread;baton.spread.session-ttl=1500ms               | baton.spread.session-ttl|election timeout",
      "baton.placement=spread;baton.spread.rebalance-after=-1s              | baton.spread.rebalance-after|negative",
      "baton.backend=etcd                                                   | baton.etcd.endpoints|required",
      "baton.backend=etcd;baton.etcd.endpoints=http://e:2379;baton.etcd.lease-ttl=1s | baton.etcd.lease-ttl|2 s",
      "baton.backend=etcd;baton.etcd.endpoints=http://e:2379;baton.etcd.request-timeout=0s | baton.etcd.request-timeout|positive",
      "baton.backend=etcd;baton.etcd.endpoints=http://e:2379;baton.placement=spread;baton.spread.session-ttl=1500ms | baton.spread.session-ttl|2 s",
      "baton.members.suspect-after=0s                                       | baton.members.suspect-after|positive",
      "baton.members.down-after=2s                                          | baton.members.down-after|must exceed",
      "baton.members.check-interval=-1s                                     | baton.members.check-interval|positive",
      "baton.roles.rootcoord.standby-mode=lukewarm                          | baton.roles.rootcoord.standby-mode|warm",
      "baton.etcd-api.enabled=maybe                                         | baton.etcd-api.enabled|maybe",
      "baton.tls.certificate=/etc/n1.crt                                    | baton.tls.key|missing: baton.tls.key, baton.tls.ca",
      "baton.tls.certificate=/nonexistent/n1.crt;baton.tls.key=/k;baton.tls.ca=/c | baton.tls|/nonexistent/n1.crt",
      "baton.backend=etcd;baton.etcd.endpoints=https://e:2379               | baton.etcd.endpoints|needs baton.etcd.tls",
      "baton.backend=etcd;baton.etcd.endpoints=http://e:2379;baton.etcd.tls.ca=/c | baton.etcd.tls.certificate|required",
      "baton.backend=etcd;baton.etcd.endpoints=http://e:2379;baton.etcd.user=baton | baton.etcd.password|go together",
      "baton.backend=etcd;baton.etcd.endpoints=http://e:2379;baton.etcd.probe-address=10.0.0.1 | baton.etcd.probe-address|host:port (or none)",
  })
  void anInvalidValueIsRefusedWithAnErrorNamingThePropertyAndWhatItAccepts(String change, String property,
      String accepts) {
    assertThatThrownBy(() -> settings(with(change.trim().replace("\"", ""))))
        .satisfies(e -> assertThat(messages(e)).contains(property.trim()).contains(accepts == null ? "" : accepts.trim()));
  }

  @Test
  void theEtcdProbeAddressIsTheConfiguredOneElseTheHttpServersUnlessThatIsAWildcard() {
    assertThat(settings(with("baton.backend=etcd;baton.etcd.endpoints=http://e:2379;baton.etcd.probe-address=none"))
        .etcd().probeAddress()).contains("none");
    assertThat(Settings.probe("n1", Optional.of("10.1.2.3:8080"), "0.0.0.0", 9000).address()).isEqualTo("10.1.2.3:8080");
    assertThat(Settings.probe("n1", Optional.of("none"), "10.1.2.3", 8080)).isNull();
    assertThat(Settings.probe("n1", Optional.empty(), "10.1.2.3", 8080).address()).isEqualTo("10.1.2.3:8080");
    assertThat(Settings.probe("n1", Optional.empty(), "[::1]", 8080).address()).isEqualTo("[::1]:8080");
    for (String wildcard : new String[] {"0.0.0.0", "::", "[::]", ""}) {
      assertThat(Settings.probe("n1", Optional.empty(), wildcard, 8080)).as("host '%s'", wildcard).isNull();
    }
    assertThat(Settings.probe("n1", Optional.empty(), "10.1.2.3", 0)).as("a random port").isNull();
  }

  @Test
  void anHttpPortThatTakesClientsWithoutCertificatesNextToATlsRaftPortIsWarnedAbout() {
    final Optional<ClientAuth> unset = Optional.empty();
    assertThat(Settings.httpClientAuthWarnings("n1", true, ClientAuth.NONE, unset, "enabled")).singleElement()
        .satisfies(w -> assertThat(w).startsWith("node n1: baton.tls secures the Raft port")
            .contains("(client auth NONE)").contains("set baton.http.client-auth=required"));
    assertThat(Settings.httpClientAuthWarnings("n1", true, ClientAuth.NONE, Optional.of(ClientAuth.REQUEST),
        "disabled")).singleElement().satisfies(w -> assertThat(w).contains("(client auth REQUEST)"));
    // required at build time or at start: nothing to say, as long as the plaintext port is closed
    assertThat(Settings.httpClientAuthWarnings("n1", true, ClientAuth.REQUIRED, unset, "enabled")).isEmpty();
    assertThat(Settings.httpClientAuthWarnings("n1", true, ClientAuth.NONE, Optional.of(ClientAuth.REQUIRED),
        "disabled")).isEmpty();
    assertThat(Settings.httpClientAuthWarnings("n1", false, ClientAuth.NONE, unset, "enabled"))
        .as("no TLS at all: nothing to say").isEmpty();
  }

  @Test
  void requiringClientCertificatesAtStartWithThePlaintextPortOpenIsWarnedAbout() {
    assertThat(Settings.httpClientAuthWarnings("n1", false, ClientAuth.NONE, Optional.of(ClientAuth.REQUIRED),
        "enabled")).singleElement().satisfies(w -> assertThat(w)
            .contains("the plaintext HTTP port is open to every client (quarkus.http.insecure-requests=enabled)"));
    // required at build time: Quarkus closes the plaintext port itself
    assertThat(Settings.httpClientAuthWarnings("n1", false, ClientAuth.REQUIRED, Optional.of(ClientAuth.REQUIRED),
        "enabled")).isEmpty();
  }

  @Test
  void theMembersRoleMustBeARoleOfTheNode() {
    final Settings s = settings(with("baton.members.role=datacoord"));
    assertThatThrownBy(() -> s.membersRole(List.of("querycoord", "rootcoord")))
        .hasMessageContaining("baton.members.role").hasMessageContaining("querycoord");
    assertThat(settings(valid()).membersRole(List.of("rootcoord", "querycoord"))).isEqualTo("querycoord");
  }

  /** The messages of {@code e} and its causes (SmallRye wraps conversion problems). */
  private static String messages(Throwable e) {
    final StringBuilder all = new StringBuilder();
    for (Throwable t = e; t != null; t = t.getCause() == t ? null : t.getCause()) {
      all.append(t.getMessage()).append(" | ");
    }
    return all.toString();
  }
}
