package io.baton.testkit;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ThreadLocalRandom;

/**
 * Free ports for nodes, etcd members and test doubles that tests start. They come from below the
 * kernel's ephemeral range: a server restarted on its port must find it free, and a port in the
 * ephemeral range can meanwhile be taken as the local port of any outbound connection (one of this
 * JVM's clients reconnecting, say); a Milvus test double restarted on its port failed with "Address
 * already in use" that way.
 */
public final class Ports {
  /**
   * Every port handed out by this JVM: a port probed free a moment ago is still free, and two peers
   * of one cluster must never share one.
   */
  private static final Set<Integer> HANDED_OUT = ConcurrentHashMap.newKeySet();
  private static final int ATTEMPTS = 1000;
  /** The lowest port handed out: above the well-known and most registered service ports. */
  static final int LOWEST = 10_000;
  /** The ephemeral range's start when the kernel does not say (Linux' default). */
  private static final int DEFAULT_EPHEMERAL_START = 32_768;
  /** The kernel's ephemeral range's start, read once. */
  private static final int EPHEMERAL_START = readEphemeralStart();

  private Ports() {
  }

  /** A port that was free a moment ago, below the ephemeral range, and that this JVM has not handed out before. */
  public static int free() {
    final int highest = EPHEMERAL_START - 1;
    if (highest - LOWEST < 2 * ATTEMPTS) {
      throw new IllegalStateException("the ephemeral port range starts at " + (highest + 1) + " (from /proc/sys/net/"
          + "ipv4/ip_local_port_range), leaving too few ports above " + LOWEST + " for tests");
    }
    for (int i = 0; i < ATTEMPTS; i++) {
      final int port = ThreadLocalRandom.current().nextInt(LOWEST, highest + 1);
      if (!HANDED_OUT.contains(port) && bindable(port) && HANDED_OUT.add(port)) {
        return port;
      }
    }
    throw new IllegalStateException("no free port in " + LOWEST + ".." + highest + " after " + ATTEMPTS + " tries ("
        + HANDED_OUT.size() + " handed out)");
  }

  /**
   * Waits until {@code port} can be bound again, as after a server process's exit: a stopped
   * in-process server can hold its listening socket a little longer than its stop call (a gRPC
   * server's did, after shutdownNow and awaitTermination, in 4 of 300 restarts under load).
   *
   * @throws IllegalStateException if it cannot be bound within {@code timeout}
   */
  public static void awaitReleased(int port, Duration timeout) {
    final long deadline = System.nanoTime() + timeout.toNanos();
    while (!bindable(port)) {
      if (System.nanoTime() - deadline > 0) {
        throw new IllegalStateException("port " + port + " was not released within " + timeout.toMillis() + " ms");
      }
      try {
        Thread.sleep(5);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        throw new IllegalStateException("interrupted while waiting for port " + port + " to be released", e);
      }
    }
  }

  /** The first port of the kernel's ephemeral range. */
  static int ephemeralStart() {
    return EPHEMERAL_START;
  }

  private static int readEphemeralStart() {
    // read line by line: a sysctl file answers only its first read, and Files.readString's first
    // read of it (its size says 0) asks for one byte
    try (java.io.BufferedReader r = Files.newBufferedReader(Path.of("/proc/sys/net/ipv4/ip_local_port_range"))) {
      final String[] range = r.readLine().trim().split("\\s+");
      return Integer.parseInt(range[0]);
    } catch (IOException | RuntimeException e) {
      return DEFAULT_EPHEMERAL_START;
    }
  }

  private static boolean bindable(int port) {
    try (ServerSocket s = new ServerSocket()) {
      s.setReuseAddress(true);
      s.bind(new InetSocketAddress(port)); // the wildcard address: free on every local address
      return true;
    } catch (IOException e) {
      return false;
    }
  }
}
