package io.baton.ha;

/** What the failure detector believes of a member. */
public enum MemberState {
  /** Heartbeats arrive. */
  ALIVE,
  /** No heartbeat for {@code suspectAfter}: maybe slow, maybe dead. */
  SUSPECT,
  /** No heartbeat for {@code downAfter}: treat it as gone (reassign its work). */
  DOWN
}
