package io.baton.example;

import static org.assertj.core.api.Assertions.assertThat;

import io.baton.testkit.Dirs;
import io.baton.testkit.ServiceNodes;
import io.etcd.jetcd.ByteSequence;
import io.etcd.jetcd.Client;
import io.etcd.jetcd.KeyValue;
import io.etcd.jetcd.Watch;
import io.etcd.jetcd.kv.TxnResponse;
import io.etcd.jetcd.op.Cmp;
import io.etcd.jetcd.op.CmpTarget;
import io.etcd.jetcd.op.Op;
import io.etcd.jetcd.options.DeleteOption;
import io.etcd.jetcd.options.GetOption;
import io.etcd.jetcd.options.PutOption;
import io.etcd.jetcd.options.WatchOption;
import io.etcd.jetcd.watch.WatchEvent;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * etcd's v3 API served by three processes of the packaged example service (Ratis backend), driven
 * by real clients: Debian's {@code etcdctl} (put, get, del, txn, watch, lease, endpoint status,
 * member list, elect) and jetcd (KV, transactions, leases, watches), each write through one node and
 * read through another; Baton's own keys (its roles) read through etcdctl; and a node with the
 * API turned off, which says so.
 */
@Timeout(value = 240, unit = TimeUnit.SECONDS)
class EtcdApiIT {
  private Path dir;
  private ServiceNodes nodes;

  @AfterEach
  void stop() {
    Dirs.closeThenDelete(nodes, dir);
  }

  private void cluster(int count, List<String> properties) throws Exception {
    dir = Files.createTempDirectory("baton-etcd-api-");
    nodes = new ServiceNodes(Path.of(System.getProperty("baton.example.app")), dir, properties, count);
    for (String id : nodes.ids()) {
      nodes.start(id);
    }
    nodes.awaitAgreedActive("rootcoord", Duration.ofSeconds(60));
  }

  private String endpoint(String id) {
    return "127.0.0.1:" + nodes.httpPort(id);
  }

  /** Runs etcdctl against node {@code id}; returns its output, failing on a non-zero exit. */
  private String etcdctl(String id, String stdin, String... args) throws Exception {
    final Result r = etcdctlResult(id, stdin, args);
    assertThat(r.exit).as("etcdctl %s: %s", String.join(" ", args), r.output).isZero();
    return r.output;
  }

  private record Result(int exit, String output) {}

  private Result etcdctlResult(String id, String stdin, String... args) throws Exception {
    final List<String> cmd = new ArrayList<>(List.of("etcdctl", "--endpoints=" + endpoint(id), "--command-timeout=10s"));
    cmd.addAll(List.of(args));
    final ProcessBuilder pb = new ProcessBuilder(cmd).redirectErrorStream(true);
    pb.environment().put("ETCDCTL_API", "3");
    final Process p = pb.start();
    if (stdin != null) {
      p.getOutputStream().write(stdin.getBytes(StandardCharsets.UTF_8));
    }
    p.getOutputStream().close();
    final String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
    assertThat(p.waitFor(30, TimeUnit.SECONDS)).isTrue();
    return new Result(p.exitValue(), out);
  }

  @Test
  void etcdctlAgainstABatonCluster() throws Exception {
    cluster(3, List.of());
    assertThat(etcdctl("n1", null, "put", "app/a", "1")).isEqualTo("OK\n");
    assertThat(etcdctl("n2", null, "put", "app/b", "2")).isEqualTo("OK\n");
    assertThat(etcdctl("n3", null, "get", "app/a")).isEqualTo("app/a\n1\n");
    assertThat(etcdctl("n3", null, "get", "app/", "--prefix")).isEqualTo("app/a\n1\napp/b\n2\n");
    assertThat(etcdctl("n1", null, "get", "app/", "--prefix", "--keys-only", "--limit=1")).isEqualTo("app/a\n\n");
    assertThat(etcdctl("n2", null, "get", "app/a", "app/b")).isEqualTo("app/a\n1\n"); // [app/a, app/b)
    assertThat(etcdctl("n1", null, "get", "app/", "--prefix", "--sort-by=KEY", "--order=DESCEND", "--keys-only"))
        .isEqualTo("app/b\n\napp/a\n\n");
    assertThat(etcdctl("n1", null, "put", "app/a", "3", "--prev-kv")).isEqualTo("OK\napp/a\n1\n");
    // Baton's own keys, written by its role election, read through the etcd API
    assertThat(etcdctl("n2", null, "get", "baton/roles/", "--prefix", "--keys-only")).contains("baton/roles/rootcoord");

    // a transaction, both branches (etcdctl reads compares, success and failure ops, each ended by a blank line)
    assertThat(etcdctl("n2", "value(\"app/a\") = \"3\"\n\nput app/a 4\n\nput app/a never\n\n", "txn"))
        .isEqualTo("SUCCESS\n\nOK\n");
    assertThat(etcdctl("n3", "value(\"app/a\") = \"3\"\n\nput app/a never\n\nget app/a\n\n", "txn"))
        .isEqualTo("FAILURE\n\napp/a\n4\n");
    assertThat(etcdctl("n1", "mod(\"app/missing\") = \"0\"\nversion(\"app/a\") > \"1\"\n\ndel app/b\n\n\n", "txn"))
        .isEqualTo("SUCCESS\n\n1\n");
    assertThat(etcdctl("n1", null, "del", "app/", "--prefix")).isEqualTo("1\n");
    assertThat(etcdctl("n2", null, "get", "app/", "--prefix")).isEmpty();

    // a lease: keys bound to it go with it
    final String granted = etcdctl("n1", null, "lease", "grant", "30");
    final Matcher m = Pattern.compile("lease ([0-9a-f]+) granted with TTL\\(30s\\)").matcher(granted);
    assertThat(m.find()).as(granted).isTrue();
    final String lease = m.group(1);
    assertThat(etcdctl("n2", null, "put", "app/leased", "x", "--lease=" + lease)).isEqualTo("OK\n");
    assertThat(etcdctl("n3", null, "lease", "keep-alive", "--once", lease)).contains("keepalived with TTL(30)");
    assertThat(etcdctl("n3", null, "lease", "timetolive", lease, "--keys")).contains("granted with TTL(30s)")
        .contains("app/leased");
    assertThat(etcdctl("n1", null, "lease", "revoke", lease)).contains("revoked");
    assertThat(etcdctl("n2", null, "get", "app/leased")).isEmpty();
    assertThat(etcdctlResult("n2", null, "lease", "revoke", lease).output()).contains("requested lease not found");

    // a watch on one node sees the writes through others, with their previous values (as Milvus' session watchers ask)
    final Path watchOut = dir.resolve("watch.out");
    final ProcessBuilder pb = new ProcessBuilder("etcdctl", "--endpoints=" + endpoint("n3"), "watch", "app/w", "--prefix",
        "--prev-kv").redirectErrorStream(true).redirectOutput(watchOut.toFile());
    pb.environment().put("ETCDCTL_API", "3");
    final Process watch = pb.start();
    try {
      Thread.sleep(1000);
      etcdctl("n1", null, "put", "app/w1", "hello");
      etcdctl("n2", null, "put", "app/w1", "bye");
      etcdctl("n2", null, "del", "app/w1");
      final long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(20);
      while (!Files.readString(watchOut).contains("DELETE") && System.nanoTime() < deadline) {
        Thread.sleep(100);
      }
      assertThat(Files.readString(watchOut)).startsWith("PUT\napp/w1\nhello\n" + "PUT\napp/w1\nhello\napp/w1\nbye\n"
          + "DELETE\napp/w1\nbye\napp/w1\n");
    } finally {
      watch.destroyForcibly().waitFor(10, TimeUnit.SECONDS);
    }

    assertThat(etcdctl("n1", null, "member", "list")).contains(", n1, http://").contains(", n2, http://")
        .contains(", n3, http://");
    final String status = etcdctl("n2", null, "endpoint", "status", "-w", "json");
    assertThat(status).contains("\"version\":\"3.4.0\"").containsIgnoringCase("raft");
    // what is not served says so
    assertThat(etcdctlResult("n1", null, "defrag").output()).containsIgnoringCase("unimplemented");
    assertThat(etcdctlResult("n1", null, "get", "app/a", "--rev=1").output())
        .contains("required revision has been compacted");

    // Baton's own keys cannot be forged or erased through the etcd API
    assertThat(etcdctlResult("n1", null, "put", "baton/roles/rootcoord/x", "1").output()).contains("Baton's own");
    etcdctl("n1", null, "put", "zz", "1");
    assertThat(etcdctl("n2", null, "del", "", "--prefix")).isEqualTo("1\n");
    assertThat(etcdctl("n3", null, "get", "baton/roles/", "--prefix", "--keys-only")).contains("baton/roles/rootcoord");

    elections();
  }

  /** etcdctl elect: one leader at a time, the next one once it resigns, an observer on a third node sees both. */
  private void elections() throws Exception {
    final List<Process> started = new ArrayList<>();
    try {
      final Path observed = dir.resolve("observe.out");
      final Path alice = dir.resolve("alice.out");
      final Path bob = dir.resolve("bob.out");
      started.add(background("n3", observed, "elect", "-l", "coord"));
      final Process a = background("n1", alice, "elect", "coord", "alice");
      started.add(a);
      awaitContains(alice, "alice");
      final Process b = background("n2", bob, "elect", "coord", "bob");
      started.add(b);
      Thread.sleep(1500);
      assertThat(Files.readString(bob)).as("bob waits while alice leads").isEmpty();
      assertThat(etcdctl("n2", null, "get", "coord/", "--prefix")).contains("alice").contains("bob");
      new ProcessBuilder("kill", "-INT", String.valueOf(a.pid())).start().waitFor(10, TimeUnit.SECONDS); // alice resigns
      awaitContains(bob, "bob");
      assertThat(Files.readString(bob)).startsWith("coord/");
      awaitContains(observed, "bob");
      final String seen = Files.readString(observed);
      assertThat(seen.indexOf("alice")).as(seen).isNotNegative().isLessThan(seen.indexOf("bob"));
    } finally {
      for (Process p : started) {
        p.destroyForcibly().waitFor(10, TimeUnit.SECONDS);
      }
    }
  }

  private Process background(String id, Path output, String... args) throws IOException {
    final List<String> cmd = new ArrayList<>(List.of("etcdctl", "--endpoints=" + endpoint(id)));
    cmd.addAll(List.of(args));
    final ProcessBuilder pb = new ProcessBuilder(cmd).redirectErrorStream(true).redirectOutput(output.toFile());
    pb.environment().put("ETCDCTL_API", "3");
    return pb.start();
  }

  private static void awaitContains(Path file, String text) throws Exception {
    final long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(20);
    while (!(Files.exists(file) && Files.readString(file).contains(text)) && System.nanoTime() < deadline) {
      Thread.sleep(100);
    }
    assertThat(Files.readString(file)).contains(text);
  }

  @Test
  void jetcdAgainstABatonCluster() throws Exception {
    cluster(3, List.of());
    final ByteSequence a = bytes("jetcd/a");
    try (Client one = client("n1"); Client two = client("n2")) {
      final io.etcd.jetcd.kv.PutResponse put = one.getKVClient().put(a, bytes("1")).get(10, TimeUnit.SECONDS);
      final long rev = put.getHeader().getRevision();
      assertThat(rev).isPositive();
      // the header's Raft term is the node's, as its Maintenance.Status reports it (no election meanwhile here)
      assertThat(put.getHeader().getRaftTerm()).isPositive().isEqualTo(one.getMaintenanceClient()
          .statusMember("http://" + endpoint("n1")).get(10, TimeUnit.SECONDS).getRaftTerm());
      final List<KeyValue> read = two.getKVClient().get(a).get(10, TimeUnit.SECONDS).getKvs();
      assertThat(read).hasSize(1);
      assertThat(read.get(0).getValue()).isEqualTo(bytes("1"));
      assertThat(read.get(0).getModRevision()).isEqualTo(rev);
      assertThat(two.getKVClient().get(bytes("jetcd/"), GetOption.builder().isPrefix(true).withCountOnly(true).build())
          .get(10, TimeUnit.SECONDS).getCount()).isEqualTo(1);

      // compare-and-set, as Milvus' sessions register: create only if absent, with a lease
      final long lease = one.getLeaseClient().grant(20).get(10, TimeUnit.SECONDS).getID();
      final ByteSequence session = bytes("jetcd/session/1");
      final Cmp absent = new Cmp(session, Cmp.Op.EQUAL, CmpTarget.createRevision(0));
      final TxnResponse created = two.getKVClient().txn().If(absent)
          .Then(Op.put(session, bytes("me"), PutOption.builder().withLeaseId(lease).build())).commit()
          .get(10, TimeUnit.SECONDS);
      assertThat(created.isSucceeded()).isTrue();
      final TxnResponse again = one.getKVClient().txn().If(absent)
          .Then(Op.put(session, bytes("other"), PutOption.DEFAULT))
          .Else(Op.get(session, GetOption.DEFAULT)).commit().get(10, TimeUnit.SECONDS);
      assertThat(again.isSucceeded()).isFalse();
      assertThat(again.getGetResponses().get(0).getKvs().get(0).getValue()).isEqualTo(bytes("me"));
      assertThat(two.getLeaseClient().keepAliveOnce(lease).get(10, TimeUnit.SECONDS).getTTL()).isEqualTo(20);

      // a prefix watch through one node sees the writes through the other, in order
      final List<WatchEvent> events = new CopyOnWriteArrayList<>();
      try (Watch.Watcher watcher = two.getWatchClient().watch(bytes("jetcd/"),
          WatchOption.builder().isPrefix(true).build(), r -> events.addAll(r.getEvents()))) {
        Thread.sleep(500);
        one.getKVClient().put(bytes("jetcd/b"), bytes("2")).get(10, TimeUnit.SECONDS);
        one.getLeaseClient().revoke(lease).get(10, TimeUnit.SECONDS);
        final long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(20);
        while (events.size() < 2 && System.nanoTime() < deadline) {
          Thread.sleep(50);
        }
      }
      assertThat(events).extracting(e -> e.getEventType() + " " + e.getKeyValue().getKey().toString())
          .containsSubsequence("PUT jetcd/b", "DELETE jetcd/session/1");
      final long deleted = one.getKVClient().delete(bytes("jetcd/"), DeleteOption.builder().isPrefix(true).build())
          .get(10, TimeUnit.SECONDS).getDeleted();
      assertThat(deleted).isEqualTo(2); // jetcd/a and jetcd/b; the session key went with its lease
    }
  }

  @Test
  void turnedOffItSaysSo() throws Exception {
    cluster(1, List.of("baton.etcd-api.enabled=false"));
    assertThat(etcdctlResult("n1", null, "get", "x").output()).contains("baton.etcd-api.enabled=false");
  }

  private Client client(String id) {
    return Client.builder().endpoints("http://" + endpoint(id)).build();
  }

  private static ByteSequence bytes(String s) {
    return ByteSequence.from(s, StandardCharsets.UTF_8);
  }
}
