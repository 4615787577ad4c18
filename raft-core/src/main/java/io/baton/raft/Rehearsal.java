package io.baton.raft;

import java.io.IOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.concurrent.CancellationException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.stream.Stream;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A practice cluster: three throwaway {@link RaftNode}s in this process, on free loopback ports and
 * in a directory of their own, whose leadership is handed around a few times with writes in
 * between; then they are closed and the directory deleted.
 *
 * <p>Why: the code of an election, a new leader's set-up, its log appenders and its first commits
 * runs only when a node takes over. In a new process that code is still interpreted and its classes
 * uninitialized (a JDK AOT cache holds loaded classes and profiles, not compiled code), so the first
 * leaderships of a process were two to three times slower than later ones, and after a restart the
 * next takeover landed on such a process. Running that code once in a practice cluster right after
 * start-up makes the first real takeover as fast as later ones.
 *
 * <p>It shares only the classes with the real cluster: its own Raft group ({@value #CLUSTER}), its
 * own ports (127.0.0.1, chosen free) and its own storage. It costs a few seconds of CPU and a few
 * megabytes of disk once, and ends within {@link #DEADLINE} whatever happens. {@link #close()} from
 * another thread stops it (run then fails with a {@link CancellationException}).
 */
public final class Rehearsal implements AutoCloseable {
  private static final Logger LOG = LoggerFactory.getLogger(Rehearsal.class);
  static final String CLUSTER = "baton-rehearsal";
  private static final int NODES = 3;
  private static final long STEP_TIMEOUT_SECONDS = 10;
  /** The whole rehearsal's bound: readiness waits for it ({@code NodeStatus.Raft#rehearsing}), so it must end. */
  public static final Duration DEADLINE = Duration.ofSeconds(30);

  private final Path dir;
  private final Duration limit;
  private final List<RaftNode> nodes = new ArrayList<>();
  private final java.util.concurrent.CountDownLatch done = new java.util.concurrent.CountDownLatch(1);
  private boolean running;
  private boolean closed;

  /** A rehearsal whose nodes keep their storage under {@code dir} (wiped before and after; created if missing). */
  public Rehearsal(Path dir) {
    this(dir, DEADLINE);
  }

  /** A rehearsal bound by {@code limit} instead of {@link #DEADLINE} (tests). */
  Rehearsal(Path dir, Duration limit) {
    this.dir = dir;
    this.limit = limit;
  }

  /**
   * Starts the practice cluster, waits for its leader, and then {@code handovers} times: the leader
   * makes {@code writesPerLeader} writes and hands its leadership over; the last leader writes too.
   * Returns how long it took; closes the practice cluster either way.
   *
   * @throws CancellationException when {@link #close()} stopped it
   * @throws Exception             when a step failed or took over 10 s, or the whole took over
   *                               {@link #DEADLINE} (the real node is unaffected)
   */
  public Duration run(int handovers, int writesPerLeader) throws Exception {
    if (handovers < 0 || writesPerLeader < 1) {
      throw new IllegalArgumentException("handovers must be >= 0 and writesPerLeader >= 1");
    }
    synchronized (this) {
      if (running || closed) {
        throw closed ? new CancellationException("the rehearsal was stopped")
            : new IllegalStateException("the rehearsal runs already");
      }
      running = true;
    }
    final long begin = System.nanoTime();
    final long deadline = begin + limit.toNanos();
    try {
      deleteTree(dir);
      final List<Peer> peers = new ArrayList<>();
      for (int i = 1; i <= NODES; i++) {
        peers.add(new Peer("rehearsal-" + i, "127.0.0.1", freePort()));
      }
      for (Peer p : peers) {
        final RaftNode node = new RaftNode(RaftNodeOptions.builder()
            .clusterName(CLUSTER)
            .nodeId(p.id())
            .peers(peers)
            .storageDir(dir.resolve(p.id()))
            .electionTimeout(Duration.ofMillis(200), Duration.ofMillis(400))
            .build());
        node.start(); // tracked once started: a close() on another thread then finds a node it can stop at once
        track(node);
      }
      RaftNode leader = awaitLeader(null, deadline);
      for (int h = 0; ; h++) {
        for (int w = 0; w < writesPerLeader; w++) {
          await(leader.metadata().put("rehearsal/" + (w % 4), "v" + h + "." + w), deadline, "a write");
        }
        if (h == handovers) {
          break;
        }
        if (!await(leader.handOverLeadership(), deadline, "a handover")) {
          throw new IllegalStateException("practice leader " + leader.nodeId() + " had no follower to hand over to");
        }
        leader = awaitLeader(leader, deadline);
      }
      return Duration.ofNanos(System.nanoTime() - begin);
    } catch (Exception e) {
      if (isClosed()) {
        final CancellationException c = new CancellationException("the rehearsal was stopped");
        c.initCause(e);
        throw c;
      }
      throw e;
    } finally {
      final List<RaftNode> all;
      synchronized (this) {
        closed = true;
        all = List.copyOf(nodes);
      }
      closeAll(all);
      deleteTree(dir); // here, once this thread no longer writes under it
      done.countDown();
    }
  }

  private void track(RaftNode node) {
    synchronized (this) {
      if (!closed) {
        nodes.add(node);
        return;
      }
    }
    node.close();
    throw new CancellationException("the rehearsal was stopped");
  }

  private synchronized boolean isClosed() {
    return closed;
  }

  /**
   * How long the next step may take: {@value #STEP_TIMEOUT_SECONDS} s, or what is left before the
   * whole rehearsal's {@code deadline}.
   *
   * @throws TimeoutException when the deadline has passed
   */
  private long stepNanos(long deadline) throws TimeoutException {
    final long left = deadline - System.nanoTime();
    if (left <= 0) {
      throw new TimeoutException("the rehearsal took over " + limit.toMillis() + " ms");
    }
    return Math.min(left, TimeUnit.SECONDS.toNanos(STEP_TIMEOUT_SECONDS));
  }

  private <T> T await(java.util.concurrent.Future<T> step, long deadline, String what) throws Exception {
    try {
      return step.get(stepNanos(deadline), TimeUnit.NANOSECONDS);
    } catch (TimeoutException e) {
      throw new TimeoutException(what + " took over " + bound(deadline));
    }
  }

  /** Which bound a step that timed out ran into. */
  private String bound(long deadline) {
    return System.nanoTime() - deadline < 0 ? STEP_TIMEOUT_SECONDS + " s"
        : "what was left of the rehearsal's " + limit.toMillis() + " ms";
  }

  private RaftNode awaitLeader(RaftNode previous, long deadline) throws InterruptedException, TimeoutException {
    final long stepDeadline = System.nanoTime() + stepNanos(deadline);
    final List<RaftNode> started;
    synchronized (this) {
      started = List.copyOf(nodes); // every node has started by now: the list no longer changes
    }
    while (System.nanoTime() - stepDeadline < 0 && !isClosed()) {
      for (RaftNode n : started) {
        if (n != previous && n.leadership().leader()) {
          return n;
        }
      }
      Thread.sleep(5);
    }
    throw new TimeoutException("no practice leader" + (previous == null ? "" : " after " + previous.nodeId())
        + " within " + bound(deadline));
  }

  /**
   * Stops the rehearsal: closes the practice nodes, which fails the step in progress, and waits (at
   * most 30 s) until {@link #run} has deleted their storage. Idempotent.
   */
  @Override
  public void close() {
    final List<RaftNode> started;
    final boolean wait;
    synchronized (this) {
      closed = true;
      started = List.copyOf(nodes);
      wait = running;
    }
    closeAll(started);
    if (wait) {
      try {
        if (!done.await(30, TimeUnit.SECONDS)) {
          LOG.warn("rehearsal: still running 30 s after it was closed; its storage {} is deleted once it ends", dir);
        }
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      }
    }
  }

  /** Closes {@code toClose} all at once, so that none sees the others die one by one. */
  private static void closeAll(List<RaftNode> toClose) {
    final List<Thread> closers = new ArrayList<>();
    for (RaftNode n : toClose) {
      final Thread t = new Thread(n::close, "baton-rehearsal-close");
      t.setDaemon(true);
      t.start();
      closers.add(t);
    }
    for (Thread t : closers) {
      try {
        t.join();
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        return;
      }
    }
  }

  private static int freePort() throws IOException {
    try (ServerSocket s = new ServerSocket(0, 1, InetAddress.getByName("127.0.0.1"))) {
      return s.getLocalPort();
    }
  }

  private static void deleteTree(Path dir) {
    if (!Files.exists(dir)) {
      return;
    }
    try (Stream<Path> all = Files.walk(dir)) {
      for (Path p : all.sorted(Comparator.reverseOrder()).toList()) {
        Files.deleteIfExists(p);
      }
    } catch (IOException e) {
      LOG.warn("rehearsal: could not delete {}: {}", dir, e.toString());
    }
  }
}
