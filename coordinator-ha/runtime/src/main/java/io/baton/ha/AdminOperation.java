package io.baton.ha;

import java.util.Arrays;
import java.util.Optional;
import java.util.stream.Collectors;

/**
 * The calls of Baton's gRPC API that change who runs what or read the whole store: each needs a
 * token granting it once {@code baton.admin.token-file} is set. Reads and writes of keys, status,
 * watches and member heartbeats are not admin calls.
 */
public enum AdminOperation {
  /** {@code TransferRole}: moves a role to another node. */
  TRANSFER("transfer", "TransferRole"),
  /** {@code Backup}: streams a copy of the whole store. */
  BACKUP("backup", "Backup"),
  /** {@code AddPeer}: adds a voting member to the Raft group. */
  PEER_ADD("peer-add", "AddPeer"),
  /** {@code RemovePeer}: removes a voting member from the Raft group. */
  PEER_REMOVE("peer-remove", "RemovePeer");

  private static final String SERVICE = "baton.v1.Baton/";

  private final String id;
  private final String method;

  AdminOperation(String id, String method) {
    this.id = id;
    this.method = method;
  }

  /** The name a token file grants it by. */
  public String id() {
    return id;
  }

  /** The gRPC method it guards, e.g. {@code TransferRole}. */
  public String method() {
    return method;
  }

  /** The operation a full gRPC method name ({@code service/method}) is, if it is an admin call. */
  public static Optional<AdminOperation> ofMethod(String fullMethodName) {
    if (!fullMethodName.startsWith(SERVICE)) {
      return Optional.empty();
    }
    final String method = fullMethodName.substring(SERVICE.length());
    return Arrays.stream(values()).filter(o -> o.method.equals(method)).findFirst();
  }

  /**
   * The operation named {@code id} in a token file.
   *
   * @throws IllegalArgumentException naming the accepted ids when there is none
   */
  public static AdminOperation of(String id) {
    return Arrays.stream(values()).filter(o -> o.id.equals(id)).findFirst().orElseThrow(
        () -> new IllegalArgumentException("unknown admin operation '" + id + "'; use " + ids() + " or *"));
  }

  /** Every id, comma-separated. */
  public static String ids() {
    return Arrays.stream(values()).map(AdminOperation::id).collect(Collectors.joining(", "));
  }
}
