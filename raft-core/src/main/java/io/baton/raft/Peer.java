package io.baton.raft;

import java.util.ArrayList;
import java.util.List;
import java.util.Objects;

/**
 * A member of the Raft group: its node id and the address its Raft (gRPC) server listens on.
 * Nothing is hard-wired to loopback: the host may be any address, so that a node can live in its
 * own network namespace.
 */
public record Peer(String id, String host, int port) {
  public Peer {
    Objects.requireNonNull(id, "peer id");
    Objects.requireNonNull(host, "peer host");
    if (!id.matches("[A-Za-z0-9][A-Za-z0-9_.-]{0,62}")) {
      throw new IllegalArgumentException("peer id '" + id
          + "' is invalid: use 1-63 letters, digits, '_', '.' or '-', starting with a letter or digit");
    }
    if (host.isBlank()) {
      throw new IllegalArgumentException("peer " + id + " has an empty host");
    }
    if (port < 1 || port > 65535) {
      throw new IllegalArgumentException("peer " + id + " has port " + port + ", outside 1..65535");
    }
  }

  /** The address as {@code host:port} (IPv6 hosts in brackets). */
  public String address() {
    return (host.contains(":") ? "[" + host + "]" : host) + ":" + port;
  }

  /** Parses {@code id=host:port}, e.g. {@code n1=127.0.0.1:9101} or {@code n2=[::1]:9102}. */
  public static Peer parse(String spec) {
    final int eq = spec.indexOf('=');
    final int colon = spec.lastIndexOf(':');
    if (eq <= 0 || colon < eq + 2 || colon == spec.length() - 1) {
      throw new IllegalArgumentException("peer '" + spec + "' is not of the form id=host:port");
    }
    String host = spec.substring(eq + 1, colon);
    if (host.startsWith("[") && host.endsWith("]")) {
      host = host.substring(1, host.length() - 1);
    }
    final String port = spec.substring(colon + 1);
    try {
      return new Peer(spec.substring(0, eq), host, Integer.parseInt(port));
    } catch (NumberFormatException e) {
      throw new IllegalArgumentException("peer '" + spec + "' has a port that is not a number: " + port, e);
    }
  }

  /** Parses a comma-separated list of {@link #parse(String) peer specs}. */
  public static List<Peer> parseList(String specs) {
    final List<Peer> peers = new ArrayList<>();
    for (String s : specs.split(",")) {
      if (!s.isBlank()) {
        peers.add(parse(s.trim()));
      }
    }
    return peers;
  }

  @Override
  public String toString() {
    return id + "=" + address();
  }
}
