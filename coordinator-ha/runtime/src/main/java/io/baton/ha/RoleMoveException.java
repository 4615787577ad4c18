package io.baton.ha;

/** A requested move of a role (a transfer, a handover before shutdown) did not happen. */
public final class RoleMoveException extends RuntimeException {
  private final String role;

  public RoleMoveException(String role, String message) {
    super(message);
    this.role = role;
  }

  /** The role that did not move. */
  public String role() {
    return role;
  }
}
