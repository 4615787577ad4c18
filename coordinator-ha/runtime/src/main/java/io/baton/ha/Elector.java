package io.baton.ha;

import io.baton.store.MetadataStore;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Executor;

/**
 * The mechanism of a {@link Placement} on a backend: decides which node is active for each role
 * and issues the epochs. {@link RoleManager} asks it, every check interval, which epoch this node
 * holds for each role and turns changes into activations and losses.
 *
 * <p><b>Threads.</b> {@link #tick()} runs on the role manager's single watchdog thread and must
 * never block on the network: electors issue their requests asynchronously and hand the results
 * back to that loop. {@link #confirmedEpoch}, {@link #activeNode} and {@link #fence} may be called
 * from any thread and answer from memory. Implementations are thread-safe.
 *
 * <p><b>Epochs.</b> Every activation gets an epoch strictly greater than every earlier one of the
 * role: once {@link #released} reports an activation over, its epoch is never confirmed again.
 */
public interface Elector extends AutoCloseable {

  /**
   * Starts electing. {@code loop} is the single thread that calls {@link #tick()}; {@code wake}
   * asks for a prompt check (after a leadership change, say).
   */
  void start(Executor loop, Runnable wake);

  /** Called on the loop every check interval, before the roles are checked. Never blocks. */
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
  default boolean beginActivation(String role, long epoch) {
    return confirmedEpoch(role) == epoch;
  }

  /**
   * The store revision the local replica must have applied before {@code role} activates in
   * {@code epoch}. The default is the epoch itself: the revision its epoch key was written at,
   * and so every write before it.
   */
  default long activationRevision(String role, long epoch) {
    return epoch;
  }

  /** A view of the store whose writes are fenced by {@code role}'s {@code epoch}. */
  MetadataStore fence(MetadataStore store, String role, long epoch);

  /** The node active for {@code role} as far as this node knows, or null. */
  String activeNode(String role);

  /**
   * Whether this node can be chosen for {@code role} now: it takes part in the role's election
   * (etcd: its campaign key is confirmed; spread placement: its session and presence key are
   * live). A node that is not cannot take the role over, nor be a transfer's target. The default,
   * for the Raft leadership, is true: a voting member always takes part.
   */
  default boolean candidate(String role) {
    return true;
  }

  /**
   * The activation of {@code role} in {@code epoch} ended on this node (its handler was told):
   * the elector gives that epoch up for good (a later activation, here or elsewhere, gets a new one).
   */
  void released(String role, long epoch);

  /**
   * Moves {@code role} to node {@code target}. Completes once {@code target} holds it; completes
   * exceptionally ({@link IllegalArgumentException} for a target that cannot take it,
   * {@link RoleMoveException} when it did not move in time) otherwise. For the leader placement
   * every role moves with the Raft leadership.
   */
  CompletableFuture<Void> transfer(String role, String target);

  /**
   * Hands every role this node holds to other nodes, before a planned shutdown. Completes once
   * each is held elsewhere (at once when this node held none); completes exceptionally with
   * {@link RoleMoveException} when a role did not move (no other node could take it, or not in
   * time).
   */
  CompletableFuture<Void> handOver();

  /** Stops electing; roles this node held are given up. Idempotent. */
  @Override
  void close();
}
