package io.baton.testkit;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.ServerSocket;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;

/** Free loopback ports for nodes and etcd members that tests start. */
public final class Ports {
  /**
   * Every port handed out by this JVM: the kernel may offer a port it offered a moment ago (it is
   * free again once the probe socket closes), and two peers of one cluster must never share one.
   */
  private static final Set<Integer> HANDED_OUT = ConcurrentHashMap.newKeySet();
  private static final int ATTEMPTS = 1000;

  private Ports() {
  }

  /** A loopback port that was free a moment ago and that this JVM has not handed out before. */
  public static int free() {
    for (int i = 0; i < ATTEMPTS; i++) {
      final int port = probe();
      if (HANDED_OUT.add(port)) {
        return port;
      }
    }
    throw new IllegalStateException("no free loopback port that was not handed out already, after " + ATTEMPTS
        + " tries (" + HANDED_OUT.size() + " handed out)");
  }

  private static int probe() {
    try (ServerSocket s = new ServerSocket(0)) {
      s.setReuseAddress(true);
      return s.getLocalPort();
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }
}
