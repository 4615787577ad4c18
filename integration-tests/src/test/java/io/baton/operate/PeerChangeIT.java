package io.baton.operate;

import static io.baton.operate.DisasterRecoveryIT.baton;
import static org.assertj.core.api.Assertions.assertThat;

import io.baton.operate.DisasterRecoveryIT.Run;
import io.baton.testkit.Dirs;
import io.baton.testkit.ServiceNodes;
import io.baton.testkit.Timing;
import io.vertx.core.json.JsonArray;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/** Changing the cluster's voting peers with the {@code baton} command, against real node processes. */
@Timeout(value = 4, unit = TimeUnit.MINUTES)
class PeerChangeIT {
  private static final Path APP = Path.of(System.getProperty("baton.example.app"));
  private static final Duration AWAIT = Duration.ofSeconds(60);
  private ServiceNodes nodes;
  private Path dir;

  private static List<String> peerIds(Run list) {
    final JsonArray peers = list.json().getJsonArray("peers");
    final List<String> ids = new ArrayList<>();
    for (int i = 0; i < peers.size(); i++) {
      ids.add(peers.getJsonObject(i).getString("id"));
    }
    return ids;
  }

  @Test
  void aJoiningNodeIsAddedThenRemoved() throws Exception {
    dir = Files.createTempDirectory("baton-peers");
    nodes = new ServiceNodes(APP, dir, List.of(), 4).bootstrapPeers(List.of("n1", "n2", "n3"));
    for (String id : List.of("n1", "n2", "n3")) {
      nodes.start(id);
    }
    nodes.awaitAgreedActive("rootcoord", AWAIT);
    final String endpoints = String.join(",", List.of("n1", "n2", "n3").stream()
        .map(id -> nodes.host(id) + ":" + nodes.httpPort(id)).toList());
    assertThat(baton("--endpoints", endpoints, "put", "peers/before", "written before n4 joined").code()).isZero();
    assertThat(peerIds(baton("--endpoints", endpoints, "-o", "json", "peer", "list"))).containsExactly("n1", "n2", "n3");

    nodes.start("n4", List.of("-Dbaton.raft.join=true"));
    Timing.waitUntil("n4 serves its status", AWAIT, () -> nodes.status("n4").isPresent());
    final Run add = baton("--endpoints", endpoints, "peer", "add", "n4", nodes.host("n4") + ":" + nodes.raftPort("n4"));
    assertThat(add.code()).as(add.err()).isZero();
    assertThat(peerIds(baton("--endpoints", endpoints, "-o", "json", "member", "list"))) // etcdctl's word, an alias
        .containsExactlyInAnyOrder("n1", "n2", "n3", "n4");
    final String n4 = nodes.host("n4") + ":" + nodes.httpPort("n4");
    Timing.waitUntil("n4 has the data written before it joined", AWAIT, () -> {
      final Run get = baton("--endpoints", n4, "-o", "json", "get", "peers/before", "--stale");
      return get.code() == 0 && get.json().getJsonArray("kvs").size() == 1;
    });
    final Run status = baton("--endpoints", n4, "status");
    assertThat(status.out()).contains("rootcoord=STANDBY");

    final Run unknown = baton("--endpoints", endpoints, "peer", "remove", "n9");
    assertThat(unknown.code()).isEqualTo(1);
    assertThat(unknown.err()).contains("INVALID_ARGUMENT").contains("n9");
    final Run badAddress = baton("--endpoints", endpoints, "peer", "add", "n5", "no-port-here");
    assertThat(badAddress.code()).isEqualTo(1);
    assertThat(badAddress.err()).contains("INVALID_ARGUMENT");

    final Run remove = baton("--endpoints", endpoints, "member", "remove", "n4");
    assertThat(remove.code()).as(remove.err()).isZero();
    assertThat(peerIds(baton("--endpoints", endpoints, "-o", "json", "peer", "list"))).containsExactly("n1", "n2", "n3");
    assertThat(baton("--endpoints", endpoints, "put", "peers/after", "written after n4 left").code()).isZero();
  }

  @AfterEach
  void cleanUp() {
    Dirs.closeThenDelete(nodes, dir);
  }
}
