package io.baton.ha;

import io.baton.raft.Leadership;
import io.baton.raft.LeadershipListener;
import io.baton.raft.MetadataStore;
import io.baton.raft.RaftNode;
import io.baton.raft.RaftStatus;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Executor;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * {@link Placement.Leader}: every role is active on the Raft leader while its leader lease holds
 * ({@link RaftNode#leadership()}); the epoch is the term.
 */
final class LeaderElector implements Elector {
  private static final Logger LOG = LoggerFactory.getLogger(LeaderElector.class);
  private final RaftNode node;
  private volatile long steppedDownIn;
  private LeadershipListener listener;

  LeaderElector(RaftNode node) {
    this.node = node;
  }

  @Override
  public void start(Executor loop, Runnable wake) {
    listener = new LeadershipListener() {
      @Override
      public void isLeader(long epoch) {
        wake.run();
      }

      @Override
      public void notLeader() {
        wake.run();
      }
    };
    node.addLeadershipListener(listener, Runnable::run);
  }

  @Override
  public void tick() {
  }

  @Override
  public long confirmedEpoch(String role) {
    final Leadership now = node.leadership();
    return now.leader() ? now.epoch() : 0;
  }

  @Override
  public boolean beginActivation(String role, long epoch) {
    return confirmedEpoch(role) == epoch;
  }

  @Override
  public long activationRevision(String role, long epoch) {
    return 0;
  }

  @Override
  public MetadataStore fence(MetadataStore store, String role, long epoch) {
    return store.fenced(epoch);
  }

  @Override
  public String activeNode(String role) {
    return node.status().leader();
  }

  /**
   * An activation is never renewed in its own epoch (every activation gets a strictly greater
   * epoch). So a node that lost its lease but is still Raft leader in that term steps down: the
   * next election, whoever wins it, brings a new epoch.
   */
  @Override
  public void released(String role, long epoch) {
    final RaftStatus status = node.status();
    if ("LEADER".equals(status.role()) && status.term() == epoch && steppedDownIn != epoch) {
      steppedDownIn = epoch;
      LOG.info("node {} role=leader epoch={}: lease lapsed while still leader; stepping down for a new epoch",
          node.nodeId(), epoch);
      node.stepDown().whenComplete((v, e) -> {
        if (e != null) {
          LOG.warn("node {} epoch={}: step-down failed: {}", node.nodeId(), epoch, e.toString());
        }
      });
    }
  }

  @Override
  public CompletableFuture<Void> transfer(String role, String target) {
    return node.transferLeadership(target);
  }

  @Override
  public CompletableFuture<Void> handOver() {
    return node.handOverLeadership().thenApply(handedOver -> {
      if (handedOver) {
        LOG.info("node {}: handed leadership over", node.nodeId());
      }
      return null;
    });
  }

  @Override
  public void close() {
    if (listener != null) {
      node.removeLeadershipListener(listener);
    }
  }
}
