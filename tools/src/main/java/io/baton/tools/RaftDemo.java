package io.baton.tools;

import io.baton.raft.MetadataClient;
import io.baton.raft.RaftStatus;
import io.baton.store.Op;
import io.baton.store.ReadResult;
import io.baton.store.Txn;
import io.baton.testkit.Dirs;
import io.baton.testkit.LocalCluster;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * The README's first command: three Baton nodes as separate processes on loopback (embedded Ratis,
 * nothing else needed), some writes, then {@code kill -9} of the leader, repeated a few rounds,
 * printing who leads, in which epoch, and how long the takeover took.
 * Arguments: {@code [--rounds N] [--keep]} (keep the data directory).
 */
public final class RaftDemo {
  private static final long START = System.nanoTime();

  private RaftDemo() {
  }

  private static void say(String line) {
    System.out.printf("[%6.2f s] %s%n", (System.nanoTime() - START) / 1e9, line);
  }

  public static void main(String[] args) throws Exception {
    java.util.logging.Logger.getLogger("org.apache.ratis.thirdparty.io.grpc").setLevel(java.util.logging.Level.WARNING);
    int rounds = 3;
    boolean keep = false;
    for (int i = 0; i < args.length; i++) {
      switch (args[i]) {
        case "--rounds" -> rounds = Integer.parseInt(args[++i]);
        case "--keep" -> keep = true;
        default -> throw new IllegalArgumentException("unknown argument " + args[i] + " (use --rounds N, --keep)");
      }
    }
    final Path dir = Files.createTempDirectory("baton-demo-");
    System.out.println("Baton demo: a 3-node cluster on loopback, embedded Raft (Apache Ratis), no external service.");
    System.out.println("Node data and logs: " + dir);
    final List<Double> electionMs = new ArrayList<>();
    final List<Double> resumeMs = new ArrayList<>();
    try (LocalCluster cluster = new LocalCluster(3, dir, List.of("-Xmx256m", "-XX:+UseSerialGC"), List.of()).startAll();
         MetadataClient client = cluster.client(Duration.ofSeconds(2))) {
      say("started nodes " + cluster.peers());
      RaftStatus leader = cluster.awaitLeader(client, Duration.ofSeconds(30));
      say("leader: " + leader.node() + " (epoch " + leader.term() + ")");
      int written = 0;
      for (int round = 1; round <= rounds; round++) {
        final List<Op> batch = new ArrayList<>();
        for (int i = 0; i < 100; i++) {
          batch.add(Op.put(String.format("demo/%04d", written + i), "value " + (written + i)));
        }
        final long rev = client.txn(Txn.of(List.of(), batch)).get(10, TimeUnit.SECONDS).revision();
        written += batch.size();
        say("round " + round + ": wrote 100 keys in one batch (store revision " + rev + ", " + written + " keys in all)");

        final String victim = leader.node();
        final long killedAt = System.nanoTime();
        cluster.kill(victim);
        say("round " + round + ": kill -9 " + victim + " (the leader)");
        RaftStatus next = null;
        final long deadline = killedAt + TimeUnit.SECONDS.toNanos(30);
        while (next == null && System.nanoTime() < deadline) {
          for (var p : cluster.peers()) {
            final var s = cluster.status(client, p.id());
            if (s.isPresent() && s.get().isLeader() && !p.id().equals(victim)) {
              next = s.get();
            }
          }
          if (next == null) {
            LocalCluster.sleep(5);
          }
        }
        if (next == null) {
          throw new IllegalStateException("no new leader within 30 s; node logs are in " + dir);
        }
        final double elected = (System.nanoTime() - killedAt) / 1e6;
        client.put("demo/after-kill-" + round, "written by the new leader").get(10, TimeUnit.SECONDS);
        final double resumed = (System.nanoTime() - killedAt) / 1e6;
        electionMs.add(elected);
        resumeMs.add(resumed);
        say(String.format("round %d: new leader %s (epoch %d) %.0f ms after the kill; first write acknowledged after %.0f ms",
            round, next.node(), next.term(), elected, resumed));
        final ReadResult all = client.range("demo/").get(10, TimeUnit.SECONDS);
        final long present = all.kvs().stream().filter(kv -> !kv.key().startsWith("demo/after-kill")).count();
        if (present != written) {
          throw new IllegalStateException("lost acknowledged writes: " + present + " of " + written + " present");
        }
        say("round " + round + ": all " + written + " acknowledged keys are there (linearizable read, revision "
            + all.revision() + ")");
        cluster.start(victim);
        final long target = cluster.status(client, next.node()).map(RaftStatus::commitIndex).orElse(next.commitIndex());
        final long restartAt = System.nanoTime();
        while (System.nanoTime() - restartAt < TimeUnit.SECONDS.toNanos(30)) {
          final var s = cluster.status(client, victim);
          if (s.isPresent() && s.get().appliedIndex() >= target) {
            say(String.format("round %d: %s restarted from its disk and caught up (applied index %d) in %.1f s",
                round, victim, s.get().appliedIndex(), (System.nanoTime() - restartAt) / 1e9));
            break;
          }
          LocalCluster.sleep(50);
        }
        leader = next;
      }
    } finally {
      if (!keep) {
        Dirs.deleteRecursively(dir);
      }
    }
    Collections.sort(electionMs);
    Collections.sort(resumeMs);
    System.out.printf("Failover over %d kill -9 rounds: new leader after %s ms (median %.0f); writes resumed after %s ms (median %.0f).%n",
        rounds, fmt(electionMs), electionMs.get(electionMs.size() / 2), fmt(resumeMs), resumeMs.get(resumeMs.size() / 2));
  }

  private static String fmt(List<Double> ms) {
    return String.join(", ", ms.stream().map(v -> String.format("%.0f", v)).toList());
  }
}
