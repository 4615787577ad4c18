package io.baton.operate;

import static org.assertj.core.api.Assertions.assertThat;

import io.baton.cli.BatonCli;
import io.baton.testkit.Dirs;
import io.baton.testkit.ServiceNodes;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * The disaster-recovery drill, with the {@code baton} command against real node processes: write
 * data, back it up, destroy the cluster (processes and disks), restore the backup into a new
 * cluster, and check that every key is there with its revisions and that the roles elect with
 * epochs above every epoch in the backup. Damaged backups are refused before anything is placed.
 */
@Timeout(value = 4, unit = TimeUnit.MINUTES)
class DisasterRecoveryIT {
  private static final Path APP = Path.of(System.getProperty("baton.example.app"));
  private static final Duration AWAIT = Duration.ofSeconds(60);
  private final List<ServiceNodes> clusters = new ArrayList<>();
  private final List<Path> dirs = new ArrayList<>();

  /** What one {@code baton} command line printed and returned. */
  record Run(int code, String out, String err) {
    JsonObject json() {
      return new JsonObject(out);
    }
  }

  static Run baton(String... args) {
    final StringWriter out = new StringWriter();
    final StringWriter err = new StringWriter();
    final int code = BatonCli.run(args, new PrintWriter(out, true), new PrintWriter(err, true));
    return new Run(code, out.toString(), err.toString());
  }

  /** A cluster named {@code name} whose admin calls need a token from {@code tokens} (name operations token lines), if given. */
  private ServiceNodes cluster(String name, String tokens) throws Exception {
    final Path dir = Files.createTempDirectory("baton-drill-" + name);
    dirs.add(dir);
    final List<String> properties = new ArrayList<>(List.of("baton.cluster-name=" + name));
    if (tokens != null) {
      properties.add("baton.admin.token-file=" + Files.writeString(dir.resolve("tokens"), tokens));
    }
    final ServiceNodes nodes = new ServiceNodes(APP, dir, properties);
    clusters.add(nodes);
    return nodes;
  }

  private static String endpoints(ServiceNodes nodes) {
    return String.join(",", nodes.ids().stream().map(id -> nodes.host(id) + ":" + nodes.httpPort(id)).toList());
  }

  /** Every key under {@code prefix} as the cluster returns it (value and revisions), and the store revision. */
  private static Map<String, JsonObject> keys(String endpoints, String prefix) {
    final Run get = baton("--endpoints", endpoints, "-o", "json", "get", "--prefix", prefix);
    assertThat(get.code()).as(get.err()).isZero();
    final Map<String, JsonObject> out = new TreeMap<>();
    final JsonArray kvs = get.json().getJsonArray("kvs");
    for (int i = 0; i < kvs.size(); i++) {
      out.put(kvs.getJsonObject(i).getString("key"), kvs.getJsonObject(i));
    }
    return out;
  }

  @Test
  void aBackupRestoredIntoANewClusterHasEveryKeyAndHigherEpochs() throws Exception {
    final String token = "backup-token-0123456789";
    final ServiceNodes old = cluster("drill-old", "backups backup " + token + "\n");
    for (String id : old.ids()) {
      old.start(id);
    }
    final List<String> roles = List.copyOf(old.awaitAgreedActive("rootcoord", AWAIT).getJsonObject("roles").fieldNames());
    old.awaitAgreedActive(roles, AWAIT);
    final String oldEndpoints = endpoints(old);
    for (int i = 0; i < 40; i++) {
      final Run put = baton("--endpoints", oldEndpoints, "put", String.format("drill/key-%02d", i), "value " + i);
      assertThat(put.code()).as(put.err()).isZero();
    }
    assertThat(baton("--endpoints", oldEndpoints, "del", "drill/key-07").code()).isZero();
    assertThat(baton("--endpoints", oldEndpoints, "put", "drill/key-03", "rewritten").code()).isZero();
    final Map<String, JsonObject> written = keys(oldEndpoints, "drill/");
    assertThat(written).hasSize(39);
    long highestEpoch = 0;
    for (String id : old.ids()) {
      final JsonObject r = old.status(id).orElseThrow().getJsonObject("roles");
      for (String role : roles) {
        highestEpoch = Math.max(highestEpoch, r.getJsonObject(role).getLong("epoch"));
      }
    }

    final Path backup = dirs.get(0).resolve("drill.backup");
    // a backup is an admin call: refused without the token, taken with it
    final Run anonymous = baton("--endpoints", oldEndpoints, "snapshot", "save", backup.toString());
    assertThat(anonymous.code()).as(anonymous.err()).isEqualTo(1);
    assertThat(anonymous.err()).contains("UNAUTHENTICATED").contains("Backup is an admin call");
    assertThat(backup).doesNotExist();
    final Path tokenFile = Files.writeString(dirs.get(0).resolve("my-token"), token + "\n");
    final Run save = baton("--endpoints", oldEndpoints, "--token-file", tokenFile.toString(), "-o", "json", "snapshot",
        "save", backup.toString());
    assertThat(save.code()).as(save.err()).isZero();
    final JsonObject info = save.json();
    assertThat(info.getString("clusterName")).isEqualTo("drill-old");
    assertThat(info.getLong("revision")).isGreaterThanOrEqualTo(written.get("drill/key-03").getLong("modRevision"))
        .isGreaterThanOrEqualTo(highestEpoch);
    final Run verified = baton("-o", "json", "snapshot", "status", backup.toString());
    assertThat(verified.code()).as(verified.err()).isZero();
    assertThat(verified.json().getString("sha256")).isEqualTo(info.getString("sha256"));

    // the disaster: every process and every disk of the old cluster gone
    old.close();
    Dirs.deleteRecursively(old.dir().resolve("n1"));
    Dirs.deleteRecursively(old.dir().resolve("n2"));
    Dirs.deleteRecursively(old.dir().resolve("n3"));

    final ServiceNodes restored = cluster("drill-new", null);
    final Run sameName = baton("snapshot", "restore", backup.toString(), "--cluster-name", "drill-old",
        "--storage-dir", restored.dir().resolve("n1").toString());
    assertThat(sameName.code()).isEqualTo(2);
    assertThat(sameName.err()).contains("another name");
    final Run restore = baton("snapshot", "restore", backup.toString(), "--cluster-name", "drill-new",
        "--storage-dir", restored.dir().resolve("n1").toString(), "--storage-dir", restored.dir().resolve("n2").toString(),
        "--storage-dir", restored.dir().resolve("n3").toString());
    assertThat(restore.code()).as(restore.err()).isZero();
    for (String id : restored.ids()) {
      restored.start(id);
    }
    final Map<String, JsonObject> active = restored.awaitAgreedActive(roles, AWAIT);
    for (String role : roles) {
      assertThat(active.get(role).getJsonObject("roles").getJsonObject(role).getLong("epoch"))
          .as("role %s's epoch in the restored cluster", role).isGreaterThan(info.getLong("revision"));
    }
    final String newEndpoints = endpoints(restored);
    assertThat(keys(newEndpoints, "drill/")).as("every key with its value and revisions").isEqualTo(written);
    final Run after = baton("--endpoints", newEndpoints, "-o", "json", "put", "drill/after", "x");
    assertThat(after.json().getLong("revision")).isGreaterThan(info.getLong("revision"));
    final Run status = baton("--endpoints", newEndpoints, "status");
    assertThat(status.code()).isZero();
    assertThat(status.out()).contains("leader").contains("rootcoord=ACTIVE");
  }

  @Test
  void aDamagedBackupIsRefusedBeforeAnythingIsPlaced() throws Exception {
    final Path dir = Files.createTempDirectory("baton-drill-damaged");
    dirs.add(dir);
    final Path good = dir.resolve("good.backup");
    writeSmallBackup(good);
    assertThat(baton("snapshot", "status", good.toString()).code()).isZero();

    final byte[] bytes = Files.readAllBytes(good);
    final Path flipped = dir.resolve("flipped.backup");
    final byte[] copy = bytes.clone();
    copy[copy.length / 2] ^= 1;
    Files.write(flipped, copy);
    final Path truncated = dir.resolve("truncated.backup");
    Files.write(truncated, java.util.Arrays.copyOf(bytes, bytes.length - 10));
    for (Path damaged : List.of(flipped, truncated)) {
      final Run status = baton("snapshot", "status", damaged.toString());
      assertThat(status.code()).as(damaged.toString()).isEqualTo(3);
      assertThat(status.err()).contains(damaged.toString()).containsAnyOf("corrupt", "truncated");
      final Path target = dir.resolve("node-" + damaged.getFileName());
      final Run restore = baton("snapshot", "restore", damaged.toString(), "--cluster-name", "x", "--storage-dir",
          target.toString());
      assertThat(restore.code()).isEqualTo(3);
      assertThat(target).doesNotExist();
    }
  }

  /** A backup of a one-node cluster with a few keys, through a node in this JVM. */
  private static void writeSmallBackup(Path file) throws Exception {
    try (io.baton.testkit.TestCluster c = new io.baton.testkit.TestCluster(1).start()) {
      final var store = c.leader().metadata();
      for (int i = 0; i < 5; i++) {
        io.baton.testkit.Timing.await(store.put("k" + i, "v" + i));
      }
      try (var out = Files.newOutputStream(file)) {
        io.baton.testkit.Timing.await(c.leader().backup(out));
      }
    }
  }

  @AfterEach
  void cleanUp() {
    clusters.forEach(ServiceNodes::close);
    dirs.forEach(Dirs::deleteRecursively);
  }
}
