package io.baton.ha.deployment;

import static org.assertj.core.api.Assertions.assertThat;

import io.baton.ha.Baton;
import io.baton.testkit.TestCertificates;
import jakarta.inject.Inject;
import io.quarkus.test.QuarkusUnitTest;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.logging.LogRecord;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * A node with mutual TLS on its Raft port whose HTTP port takes clients without a certificate
 * (neither {@code baton.http.client-auth} nor, at build time, {@code quarkus.http.ssl.client-auth}
 * requires one) says so at start, in one WARN line.
 */
@Timeout(value = 60, unit = TimeUnit.SECONDS)
class HttpClientAuthWarningTest {
  // once: the application and the test must see the same files (see Fixtures.once)
  private static final Path DIR = Path.of(Fixtures.once("client-auth-warning.dir", () -> {
    final Path dir = Path.of(Fixtures.tempDir());
    final TestCertificates.Authority ca = TestCertificates.authority("baton-test-ca");
    ca.writeCertificate(dir.resolve("ca.crt"));
    ca.issue("n1", List.of("127.0.0.1", "localhost")).write(dir, "n1");
    return dir.toString();
  }));

  @RegisterExtension
  static final QuarkusUnitTest APP = TestRoles.singleNodeApp(DIR.toString())
      .overrideConfigKey("baton.tls.certificate", DIR.resolve("n1.crt").toString())
      .overrideConfigKey("baton.tls.key", DIR.resolve("n1.key").toString())
      .overrideConfigKey("baton.tls.ca", DIR.resolve("ca.crt").toString())
      .setLogRecordPredicate(r -> r.getLoggerName().startsWith("io.baton"))
      .assertLogRecords(HttpClientAuthWarningTest::oneWarning);

  private static void oneWarning(List<LogRecord> records) {
    assertThat(records.stream().filter(r -> r.getMessage().contains("takes clients without a certificate (client auth NONE)")))
        .singleElement().satisfies(r -> {
          assertThat(r.getLevel().getName()).isIn("WARN", "WARNING");
          assertThat(r.getMessage()).startsWith("node n1: baton.tls secures the Raft port");
        });
  }

  @AfterAll
  static void cleanUp() {
    Fixtures.deleteQuietly(DIR.toString());
  }

  @Inject
  Baton baton;

  @Test
  void theNodeStartsOnItsTlsRaftPortAndServesWrites() {
    // the warning itself is checked on the start-up's log records (assertLogRecords, after this test)
    assertThat(baton.metadata().put("warned/k", "v").join()).isPositive();
  }
}
