package io.baton.ha;

import io.baton.raft.MetadataStore;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Executor;

/**
 * The mechanism of a {@link Placement}: decides which node is active for each role and issues the
 * epochs. {@link RoleManager} asks it, every check interval, which epoch this node holds for each
 * role and turns changes into activations and losses. Implementations are thread-safe.
 */
public interface Elector extends AutoCloseable {

  /**
   * Starts electing. {@code loop} is the single thread that calls {@link #tick()}; {@code wake}
   * asks for a prompt check (after a leadership change, say).
   */
  void start(Executor loop, Runnable wake);

  /** Called on the loop every check interval, before the roles are checked. */
  void tick();

  /**
   * The epoch this node holds for {@code role}, confirmed now (on this node's clock), or 0. An
   * activation is lost as soon as this stops returning its epoch.
   */
  long confirmedEpoch(String role);

  /**
   * Called right before {@code role} activates in {@code epoch}: whether that epoch is still
   * confirmed, atomically with recording that an activation now exists (which a handover must
   * then wait for, through {@link #released}).
   */
  boolean beginActivation(String role, long epoch);

  /** The store revision the local replica must have applied before {@code role} activates in {@code epoch}. */
  long activationRevision(String role, long epoch);

  /** A view of the store whose writes are fenced by {@code role}'s {@code epoch}. */
  MetadataStore fence(MetadataStore store, String role, long epoch);

  /** The node active for {@code role} as far as this node knows, or null. */
  String activeNode(String role);

  /** The activation of {@code role} in {@code epoch} ended on this node (its handler was told). */
  void released(String role, long epoch);

  /**
   * Moves {@code role} to node {@code target}; completes once {@code target} holds it (for the
   * leader placement, every role moves with the Raft leadership).
   */
  CompletableFuture<Void> transfer(String role, String target);

  /** Hands every role this node holds to other nodes, before a planned shutdown; completes when done or hopeless. */
  CompletableFuture<Void> handOver();

  /** Stops electing; roles this node held are given up. Idempotent. */
  @Override
  void close();
}
