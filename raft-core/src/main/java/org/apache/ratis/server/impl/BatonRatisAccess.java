package org.apache.ratis.server.impl;

import java.lang.reflect.Field;
import java.util.HashMap;
import java.util.Map;
import java.util.Optional;
import org.apache.ratis.server.RaftServer;
import org.apache.ratis.server.leader.FollowerInfo;
import org.apache.ratis.server.leader.LogAppender;
import org.apache.ratis.util.Timestamp;

/**
 * The few things Baton needs from Ratis 3.3.0 that it has no public API for. It lives in Ratis'
 * package to reach package-private methods (and reads one private field), so it is tied to the
 * pinned Ratis version: {@link #check()} says at start-up whether it still fits, and every
 * method degrades to "not available" rather than failing a node.
 */
public final class BatonRatisAccess {
  private static final Field LAST_RPC_TIME = lastRpcTimeField();
  private static final Field TIMESTAMP_NANOS = timestampNanosField();

  private static Field timestampNanosField() {
    try {
      final Field f = Timestamp.class.getDeclaredField("nanos");
      f.setAccessible(true);
      return f.getType() == long.class ? f : null;
    } catch (ReflectiveOperationException | RuntimeException e) {
      return null;
    }
  }

  /** The {@link System#nanoTime()} a Ratis timestamp stands for. */
  private static long nanosOf(Timestamp t) {
    try {
      return TIMESTAMP_NANOS.getLong(t);
    } catch (IllegalAccessException e) {
      throw new IllegalStateException("Timestamp.nanos not readable", e);
    }
  }

  private BatonRatisAccess() {
  }

  private static Field lastRpcTimeField() {
    try {
      final Field f = FollowerState.class.getDeclaredField("lastRpcTime");
      f.setAccessible(true);
      return f;
    } catch (ReflectiveOperationException | RuntimeException e) {
      return null;
    }
  }

  private static final Field PROXY_CHANNEL = proxyChannelField();

  private static Field proxyChannelField() {
    try {
      final Field f = Class.forName("org.apache.ratis.grpc.server.GrpcServerProtocolClient").getDeclaredField("channel");
      f.setAccessible(true);
      return f;
    } catch (ReflectiveOperationException | RuntimeException e) {
      return null;
    }
  }

  /**
   * Opens (or keeps open) this server's gRPC channels to every other member now, rather than at
   * the first vote request of an election: a follower never talks to another follower until its
   * leader dies, and setting up a channel then costs an election about 100 ms. A channel in
   * back-off after its peer restarted is asked to reconnect at once. Quietly does nothing where
   * Ratis is not the one this was written for.
   */
  public static void warmChannels(RaftServer.Division d) {
    final RaftServerImpl i = impl(d).orElse(null);
    if (i == null || PROXY_CHANNEL == null
        || !(i.getRaftServer().getServerRpc() instanceof org.apache.ratis.server.RaftServerRpcWithProxy<?, ?> rpc)) {
      return;
    }
    for (org.apache.ratis.protocol.RaftPeer peer : i.getRaftConf().getCurrentPeers()) {
      if (peer.getId().equals(i.getId())) {
        continue;
      }
      try {
        final Object proxy = rpc.getProxies().getProxy(peer.getId());
        if (PROXY_CHANNEL.get(proxy) instanceof org.apache.ratis.thirdparty.io.grpc.ManagedChannel channel) {
          if (channel.getState(true) == org.apache.ratis.thirdparty.io.grpc.ConnectivityState.TRANSIENT_FAILURE) {
            channel.resetConnectBackoff();
          }
        }
      } catch (java.io.IOException | IllegalAccessException | RuntimeException e) {
        // a peer that cannot be reached now: its channel is opened on the next call
      }
    }
  }

  /** Null when everything Baton uses is there, else what is missing (a Ratis other than 3.3.0). */
  public static String check() {
    return LAST_RPC_TIME == null ? "FollowerState.lastRpcTime not found (Ratis is not 3.3.0)"
        : TIMESTAMP_NANOS == null ? "Timestamp.nanos not found (Ratis is not 3.3.0)"
        : PROXY_CHANNEL == null ? "GrpcServerProtocolClient.channel not found (Ratis is not 3.3.0)" : null;
  }

  private static Optional<RaftServerImpl> impl(RaftServer.Division d) {
    return d instanceof RaftServerImpl i ? Optional.of(i) : Optional.empty();
  }

  /**
   * For a leader: per follower id, its match index (the last log index this leader knows the
   * follower has). Empty when not leader.
   */
  public static Map<String, Long> matchIndexes(RaftServer.Division d) {
    final Map<String, Long> matched = new HashMap<>();
    impl(d).flatMap(i -> i.getRole().getLeaderState()).ifPresent(leader -> leader.getLogAppenders().forEach(a ->
        matched.put(a.getFollower().getId().toString(), a.getFollower().getMatchIndex())));
    return matched;
  }

  /**
   * For a leader: per follower id, how many milliseconds ago this leader <em>sent</em> the newest
   * AppendEntries (or heartbeat) the follower has answered. Empty when not leader.
   */
  public static Map<String, Long> ackedSendAgesMs(RaftServer.Division d) {
    final Map<String, Long> ages = new HashMap<>();
    impl(d).flatMap(i -> i.getRole().getLeaderState()).ifPresent(leader -> leader.getLogAppenders().forEach(a -> {
      final FollowerInfo f = a.getFollower();
      ages.put(f.getId().toString(), f.getLastRespondedAppendEntriesSendTime().elapsedTimeMs());
    }));
    return ages;
  }

  /** For a leader: asks every log appender to send a heartbeat now (Ratis sends at most one per min timeout / 4). */
  public static void triggerHeartbeats(RaftServer.Division d) {
    impl(d).flatMap(i -> i.getRole().getLeaderState()).ifPresent(leader ->
        leader.getLogAppenders().forEach(LogAppender::triggerHeartbeat));
  }

  /**
   * For a follower whose leader is {@code leaderId} (or unknown): treat that leader as silent for
   * {@code silenceMs} already, so that this node grants pre-votes to others and its own election
   * timer fires at its next check. Returns whether it did (false: not a follower of that leader).
   */
  public static boolean forgetLeader(RaftServer.Division d, String leaderId, long silenceMs) {
    final RaftServerImpl i = impl(d).orElse(null);
    if (i == null || LAST_RPC_TIME == null) {
      return false;
    }
    synchronized (i) {
      if (!i.getInfo().isFollower()
          || i.getInfo().getLeaderId() != null && !i.getInfo().getLeaderId().toString().equals(leaderId)) {
        return false;
      }
      final FollowerState f = i.getRole().getFollowerState().orElse(null);
      if (f == null) {
        return false;
      }
      try {
        LAST_RPC_TIME.set(f, Timestamp.currentTime().addTimeMs(-silenceMs));
        return true;
      } catch (IllegalAccessException e) {
        return false;
      }
    }
  }

  /**
   * For a follower that is waiting for its leader (no append or snapshot in progress): the
   * {@link System#nanoTime()} of the last RPC from the leader, exactly as Ratis' own election timer
   * keeps it (each new RPC gives a new value). Empty otherwise, or where Ratis is not the one this
   * was written for.
   */
  public static java.util.OptionalLong followerLastRpcNanos(RaftServer.Division d) {
    final RaftServerImpl i = impl(d).orElse(null);
    if (i == null || LAST_RPC_TIME == null || TIMESTAMP_NANOS == null || !i.getInfo().isFollower()) {
      return java.util.OptionalLong.empty();
    }
    final FollowerState f = i.getRole().getFollowerState().orElse(null);
    if (f == null || f.getOutstandingOp() != 0) {
      return java.util.OptionalLong.empty();
    }
    return java.util.OptionalLong.of(nanosOf(f.getLastRpcTime()));
  }

  /**
   * For a follower: starts an election now, with pre-vote (so it fails unless a majority also
   * considers the leader gone). Returns whether it started one.
   */
  public static boolean startElection(RaftServer.Division d) {
    return startElection(d, 0, false);
  }

  /**
   * For a follower that has heard nothing from its leader since the RPC at {@code lastRpcNanos}
   * (from {@link #followerLastRpcNanos}; checked under the server's lock, as Ratis' own timer
   * checks, so an RPC that has arrived since prevents it), with no append in progress, and that is
   * not a leader that stepped down for lost heartbeats less than Ratis' step-down wait ago (Ratis
   * logs each such refusal): starts an election now, with pre-vote. Returns whether it started one.
   */
  public static boolean startElectionIfSilentSince(RaftServer.Division d, long lastRpcNanos) {
    return startElection(d, lastRpcNanos, true);
  }

  private static boolean startElection(RaftServer.Division d, long lastRpcNanos, boolean ifSilent) {
    final RaftServerImpl i = impl(d).orElse(null);
    if (i == null) {
      return false;
    }
    synchronized (i) {
      if (!i.getInfo().isFollower() || !i.isRunning()) {
        return false;
      }
      if (ifSilent) {
        final FollowerState f = i.getRole().getFollowerState().orElse(null);
        if (f == null || TIMESTAMP_NANOS == null || f.getOutstandingOp() != 0
            || nanosOf(f.getLastRpcTime()) - lastRpcNanos > 0 || f.lostMajorityHeartbeatsRecently()) {
          return false;
        }
      }
      i.changeToCandidate(false);
      return true;
    }
  }
}
