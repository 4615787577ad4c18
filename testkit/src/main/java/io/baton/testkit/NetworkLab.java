package io.baton.testkit;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;

/**
 * Hosts for multi-process tests, each in its own Linux network namespace with its own address, all
 * on one bridge; and the faults between them: partitions, isolation, one-way cuts (nftables inside
 * the namespaces), random loss (nftables), latency ({@code tc netem}, where the kernel has it), heal.
 *
 * <p>Layout: a namespace {@code <prefix>sw} holds the bridge; each host {@code h} gets a namespace
 * {@code <prefix>h} with {@code <subnet>.<10+i>/24} on a veth pair into the bridge. The test's own
 * process (the root namespace) reaches every host through one more veth with
 * {@code <subnet>.1}; faults never cut that path, so a test can always observe and kill its hosts.
 * Every address is inside these namespaces; nothing leaves the machine.
 *
 * <p>Clean-up: {@link #close()} deletes every namespace and interface it made (which also stops
 * what still runs in them only if the caller stopped it: stop the processes first); a shutdown hook
 * does the same if the JVM exits first; and {@link #start} first sweeps leftovers of earlier runs
 * (namespaces named {@code btn*}, interfaces {@code btn*}) that a killed JVM could not remove; so
 * run one lab per machine at a time (the sweep would take another's namespaces).
 *
 * <p>Needs root, iproute2 and nftables; {@link #unavailableReason()} says why it cannot run, so
 * tests skip with that reason instead of passing silently ({@link #delayUnavailableReason()} the
 * same for latency).
 */
public final class NetworkLab implements AutoCloseable {
  private static final String PREFIX = "btn";

  private final String id;
  private final String subnet;
  private final Map<String, String> addresses = new LinkedHashMap<>();
  private final Thread hook;
  private boolean closed;

  private NetworkLab(String id, String subnet) {
    this.id = id;
    this.subnet = subnet;
    this.hook = new Thread(this::teardown, "network-lab-cleanup-" + id);
  }

  /**
   * Why this machine cannot host the lab (not root, no {@code ip} or {@code nft}, namespaces
   * refused), or empty when it can.
   */
  public static Optional<String> unavailableReason() {
    try {
      final Process id = new ProcessBuilder("id", "-u").redirectErrorStream(true).start();
      final String uid = new String(id.getInputStream().readAllBytes(), StandardCharsets.UTF_8).trim();
      id.waitFor(5, TimeUnit.SECONDS);
      if (!uid.equals("0")) {
        return Optional.of("network namespaces need root (uid is " + uid + ")");
      }
      for (String tool : List.of("ip", "nft")) {
        if (run(false, "sh", "-c", "command -v " + tool) != 0) {
          return Optional.of("'" + tool + "' is not installed (iproute2, nftables)");
        }
      }
      final String probe = PREFIX + "probe" + ThreadLocalRandom.current().nextInt(1000, 9999);
      if (run(false, "ip", "netns", "add", probe) != 0) {
        return Optional.of("'ip netns add' is refused here");
      }
      run(false, "ip", "netns", "del", probe);
      return Optional.empty();
    } catch (IOException e) {
      return Optional.of("cannot run system commands: " + e.getMessage());
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      return Optional.of("interrupted");
    }
  }

  /**
   * Creates hosts named {@code hosts} (short names such as n1, n2) on a random
   * {@code 10.1xx.0.0/24}, after sweeping leftovers.
   */
  public static NetworkLab start(List<String> hosts) {
    return start(hosts, "10." + (100 + ThreadLocalRandom.current().nextInt(0, 100)) + ".0");
  }

  /**
   * Creates hosts on {@code subnet} (the first three octets of a /24 that nothing else on the
   * machine uses, e.g. {@code 10.77.0}): the test's process gets {@code .1}, the hosts {@code .10}
   * on, in order.
   */
  public static NetworkLab start(List<String> hosts, String subnet) {
    if (!subnet.matches("\\d{1,3}\\.\\d{1,3}\\.\\d{1,3}")) {
      throw new IllegalArgumentException("a subnet is three octets such as 10.77.0, got '" + subnet + "'");
    }
    if (hosts.isEmpty() || hosts.size() > 200) {
      throw new IllegalArgumentException("1 to 200 hosts, got " + hosts.size());
    }
    sweepLeftovers();
    final String id = Integer.toString(ThreadLocalRandom.current().nextInt(100, 999));
    final NetworkLab lab = new NetworkLab(id, subnet);
    Runtime.getRuntime().addShutdownHook(lab.hook);
    try {
      lab.create(hosts);
    } catch (RuntimeException e) {
      lab.close();
      throw e;
    }
    return lab;
  }

  private String ns(String host) {
    return PREFIX + id + host;
  }

  private String switchNs() {
    return PREFIX + id + "sw";
  }

  private void create(List<String> hosts) {
    final String sw = switchNs();
    must("ip", "netns", "add", sw);
    must("ip", "netns", "exec", sw, "ip", "link", "add", "br0", "type", "bridge");
    must("ip", "netns", "exec", sw, "ip", "link", "set", "br0", "up");
    // the test's own path in: a veth from the root namespace into the bridge
    final String hostSide = PREFIX + id + "h";
    must("ip", "link", "add", hostSide, "type", "veth", "peer", "name", hostSide + "p");
    must("ip", "link", "set", hostSide + "p", "netns", sw);
    must("ip", "netns", "exec", sw, "ip", "link", "set", hostSide + "p", "master", "br0", "up");
    must("ip", "addr", "add", subnet + ".1/24", "dev", hostSide);
    must("ip", "link", "set", hostSide, "up");
    int i = 0;
    for (String host : hosts) {
      final String ns = ns(host);
      final String address = subnet + "." + (10 + i++);
      must("ip", "netns", "add", ns);
      must("ip", "netns", "exec", ns, "ip", "link", "set", "lo", "up");
      must("ip", "link", "add", ns + "a", "type", "veth", "peer", "name", ns + "b");
      must("ip", "link", "set", ns + "a", "netns", ns);
      must("ip", "link", "set", ns + "b", "netns", sw);
      must("ip", "netns", "exec", sw, "ip", "link", "set", ns + "b", "master", "br0", "up");
      must("ip", "netns", "exec", ns, "ip", "link", "set", ns + "a", "name", "eth0");
      must("ip", "netns", "exec", ns, "ip", "addr", "add", address + "/24", "dev", "eth0");
      must("ip", "netns", "exec", ns, "ip", "link", "set", "eth0", "up");
      must("ip", "netns", "exec", ns, "nft", "add", "table", "inet", "baton");
      must("ip", "netns", "exec", ns, "nft", "add chain inet baton input { type filter hook input priority 0 ; }");
      must("ip", "netns", "exec", ns, "nft", "add chain inet baton output { type filter hook output priority 0 ; }");
      addresses.put(host, address);
    }
  }

  /** The hosts, in creation order. */
  public List<String> hosts() {
    return List.copyOf(addresses.keySet());
  }

  /** The address of {@code host}, reachable from the test's process and from every other host. */
  public String address(String host) {
    final String a = addresses.get(host);
    if (a == null) {
      throw new IllegalArgumentException("no host " + host + " in this lab (" + addresses.keySet() + ")");
    }
    return a;
  }

  /** The command prefix that runs a program inside {@code host}'s namespace. */
  public List<String> exec(String host) {
    address(host);
    return List.of("ip", "netns", "exec", ns(host));
  }

  /** Splits the hosts into groups that reach only their own group (every host must be in one). */
  public void partition(List<List<String>> groups) {
    final Set<String> all = new TreeSet<>();
    groups.forEach(all::addAll);
    if (!all.equals(new TreeSet<>(addresses.keySet()))) {
      throw new IllegalArgumentException("a partition must place every host once: " + groups + " vs " + addresses.keySet());
    }
    heal();
    for (List<String> group : groups) {
      for (String host : group) {
        for (String other : addresses.keySet()) {
          if (!group.contains(other)) {
            cut(host, other, true, true);
          }
        }
      }
    }
  }

  /** {@code host} reaches no other host, nor they it (the test's process still reaches it). */
  public void isolate(String host) {
    final List<String> others = new ArrayList<>(addresses.keySet());
    others.remove(host);
    partition(List.of(List.of(host), others));
  }

  /**
   * A one-way cut: {@code host} receives nothing from the other hosts ({@code inbound}) or sends
   * nothing to them (otherwise); the other direction still works.
   */
  public void cutOneWay(String host, boolean inbound) {
    for (String other : addresses.keySet()) {
      if (!other.equals(host)) {
        cut(host, other, inbound, !inbound);
      }
    }
  }

  private void cut(String host, String other, boolean in, boolean out) {
    final String ns = ns(host);
    if (in) {
      must("ip", "netns", "exec", ns, "nft", "add rule inet baton input ip saddr " + address(other) + " drop");
    }
    if (out) {
      must("ip", "netns", "exec", ns, "nft", "add rule inet baton output ip daddr " + address(other) + " drop");
    }
  }

  /**
   * Drops {@code percent}% of the packets {@code host} sends to the other hosts, at random
   * (nftables' {@code numgen random}).
   */
  public void loss(String host, int percent) {
    if (percent < 1 || percent > 100) {
      throw new IllegalArgumentException("loss is a percentage in 1..100, got " + percent);
    }
    for (String other : addresses.keySet()) {
      if (!other.equals(host)) {
        must("ip", "netns", "exec", ns(host), "nft", "add rule inet baton output ip daddr " + address(other)
            + " numgen random mod 100 < " + percent + " drop");
      }
    }
  }

  /**
   * Why latency cannot be added here ({@code tc netem} missing from the kernel, as in some
   * sandboxes), or empty when {@link #delay} works.
   */
  public Optional<String> delayUnavailableReason() {
    final String host = addresses.keySet().iterator().next();
    if (run(false, "ip", "netns", "exec", ns(host), "tc", "qdisc", "add", "dev", "eth0", "root", "netem", "delay", "0ms") != 0) {
      return Optional.of("the kernel has no netem queueing discipline ('tc qdisc add ... netem' is refused): latency cannot be added");
    }
    run(false, "ip", "netns", "exec", ns(host), "tc", "qdisc", "del", "dev", "eth0", "root");
    return Optional.empty();
  }

  /** Adds {@code delayMs} of latency to everything {@code host} sends ({@code tc netem}; see {@link #delayUnavailableReason()}). */
  public void delay(String host, int delayMs) {
    run(false, "ip", "netns", "exec", ns(host), "tc", "qdisc", "del", "dev", "eth0", "root");
    must("ip", "netns", "exec", ns(host), "tc", "qdisc", "add", "dev", "eth0", "root", "netem", "delay", delayMs + "ms");
  }

  /** Removes every cut, delay and loss. */
  public void heal() {
    for (String host : addresses.keySet()) {
      must("ip", "netns", "exec", ns(host), "nft", "flush", "chain", "inet", "baton", "input");
      must("ip", "netns", "exec", ns(host), "nft", "flush", "chain", "inet", "baton", "output");
      run(false, "ip", "netns", "exec", ns(host), "tc", "qdisc", "del", "dev", "eth0", "root");
    }
  }

  /** Deletes every namespace and interface of this lab. Idempotent. */
  @Override
  public synchronized void close() {
    if (closed) {
      return;
    }
    closed = true;
    teardown();
    try {
      Runtime.getRuntime().removeShutdownHook(hook);
    } catch (IllegalStateException e) {
      // the JVM is already shutting down: the hook runs (or ran) teardown itself
    }
  }

  /** Deletes what {@link #create} made; a deletion that fails is reported on stderr (the next start sweeps it). */
  private void teardown() {
    run(true, "ip", "link", "del", PREFIX + id + "h"); // first: deleting the switch namespace would take it along
    for (String host : addresses.keySet()) {
      run(true, "ip", "netns", "del", ns(host));
    }
    run(true, "ip", "netns", "del", switchNs());
  }

  /** Deletes namespaces and root-namespace interfaces left by earlier runs (names starting with btn). */
  public static void sweepLeftovers() {
    for (String line : output("ip", "netns", "list")) {
      final String name = line.split(" ")[0];
      if (name.startsWith(PREFIX)) {
        run(false, "ip", "netns", "del", name);
      }
    }
    for (String line : output("ip", "-o", "link", "show")) {
      final String[] parts = line.split(":");
      if (parts.length > 1) {
        final String name = parts[1].trim().split("@")[0];
        if (name.startsWith(PREFIX)) {
          run(false, "ip", "link", "del", name);
        }
      }
    }
  }

  private static List<String> output(String... cmd) {
    try {
      final Process p = new ProcessBuilder(cmd).redirectErrorStream(true).start();
      final String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
      p.waitFor(10, TimeUnit.SECONDS);
      return out.isBlank() ? List.of() : Arrays.asList(out.split("\n"));
    } catch (IOException e) {
      return List.of();
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      return List.of();
    }
  }

  private static void must(String... cmd) {
    if (run(true, cmd) != 0) {
      throw new IllegalStateException("failed: " + String.join(" ", cmd));
    }
  }

  private static int run(boolean report, String... cmd) {
    try {
      final Process p = new ProcessBuilder(cmd).redirectErrorStream(true).start();
      final String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
      if (!p.waitFor(10, TimeUnit.SECONDS)) {
        p.destroyForcibly();
        throw new IllegalStateException("timed out: " + String.join(" ", cmd));
      }
      if (p.exitValue() != 0 && report) {
        System.err.println("network lab: '" + String.join(" ", cmd) + "' exited " + p.exitValue() + ": " + out.trim());
      }
      return p.exitValue();
    } catch (IOException e) {
      throw new IllegalStateException("cannot run " + String.join(" ", cmd), e);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException("interrupted running " + String.join(" ", cmd), e);
    }
  }
}
