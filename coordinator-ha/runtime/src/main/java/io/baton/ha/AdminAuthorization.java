package io.baton.ha;

import io.grpc.Grpc;
import io.grpc.Metadata;
import io.grpc.ServerCall;
import io.grpc.ServerCallHandler;
import io.grpc.ServerInterceptor;
import io.grpc.Status;
import io.quarkus.grpc.GlobalInterceptor;
import io.quarkus.runtime.Startup;
import jakarta.inject.Singleton;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;
import java.util.Optional;
import org.jboss.logging.Logger;

/**
 * Lets an admin call ({@link AdminOperation}) through only with a token that grants it, once
 * {@code baton.admin.token-file} is set: the caller sends {@code authorization: Bearer <token>}.
 * No token or an unknown one: UNAUTHENTICATED; a token without the operation: PERMISSION_DENIED.
 * The file is read again when it changes (checked at each admin call), so tokens are added and
 * revoked without a restart; a changed file that no longer parses refuses every admin call until
 * it is fixed. Without the property admin calls are open to every client that reaches the port,
 * which start-up logs once.
 */
@GlobalInterceptor
@Singleton
@Startup
public class AdminAuthorization implements ServerInterceptor {
  /** The property naming the token file. */
  public static final String TOKEN_FILE_PROPERTY = "baton.admin.token-file";
  static final Metadata.Key<String> AUTHORIZATION = Metadata.Key.of("authorization", Metadata.ASCII_STRING_MARSHALLER);
  private static final String BEARER = "Bearer ";
  private static final Logger LOG = Logger.getLogger(AdminAuthorization.class);

  private final String nodeId;
  private final Path file;
  private Loaded loaded;

  /** The file as last read: its stamp, and its tokens or why it could not be used. */
  private record Loaded(FileTime modified, long size, AdminTokens tokens, String problem) {
  }

  public AdminAuthorization(BatonConfig config) {
    this.nodeId = config.nodeId();
    this.file = config.admin().tokenFile().map(Path::of).orElse(null);
    if (file == null) {
      LOG.warnf("node %s: admin calls (%s) are open to every client that reaches the gRPC port; set %s to require"
          + " tokens", nodeId, AdminOperation.ids(), TOKEN_FILE_PROPERTY);
      return;
    }
    try {
      loaded = load();
    } catch (IllegalArgumentException e) {
      throw Settings.invalid(TOKEN_FILE_PROPERTY, e.getMessage());
    }
    LOG.infof("node %s: admin calls need a token from %s", nodeId, file);
  }

  private Loaded load() {
    final FileTime modified;
    final long size;
    try {
      modified = Files.getLastModifiedTime(file);
      size = Files.size(file);
    } catch (IOException e) {
      throw new IllegalArgumentException("cannot read token file " + file + ": " + e, e);
    }
    return new Loaded(modified, size, AdminTokens.read(file), null);
  }

  /** The tokens in force: the file is read again when its modification time or size changed. */
  private synchronized Loaded current() {
    try {
      if (!Files.getLastModifiedTime(file).equals(loaded.modified) || Files.size(file) != loaded.size) {
        loaded = load();
        LOG.infof("node %s: admin token file %s changed; read again", nodeId, file);
      }
    } catch (IOException | IllegalArgumentException e) {
      final String problem = e.getMessage();
      if (!problem.equals(loaded.problem)) {
        LOG.errorf("node %s: admin token file %s is unusable, refusing every admin call until it is fixed: %s",
            nodeId, file, problem);
      }
      loaded = new Loaded(null, -1, null, problem);
    }
    return loaded;
  }

  @Override
  public <Q, R> ServerCall.Listener<Q> interceptCall(ServerCall<Q, R> call, Metadata headers,
      ServerCallHandler<Q, R> next) {
    if (file == null) {
      return next.startCall(call, headers);
    }
    final Optional<AdminOperation> op = AdminOperation.ofMethod(call.getMethodDescriptor().getFullMethodName());
    if (op.isEmpty()) {
      return next.startCall(call, headers);
    }
    final Status refusal = refusal(op.get(), headers.get(AUTHORIZATION), String.valueOf(
        call.getAttributes().get(Grpc.TRANSPORT_ATTR_REMOTE_ADDR)));
    if (refusal == null) {
      return next.startCall(call, headers);
    }
    call.close(refusal, new Metadata());
    return new ServerCall.Listener<>() {
    };
  }

  /** Why a call of {@code op} with this authorization header is refused, or null when it may run. */
  private Status refusal(AdminOperation op, String authorization, String from) {
    final Loaded tokens = current();
    if (tokens.tokens == null) {
      return Status.PERMISSION_DENIED.withDescription("node " + nodeId + " cannot check admin tokens: its token file"
          + " is unusable (" + tokens.problem + ")");
    }
    if (authorization == null || !authorization.startsWith(BEARER)) {
      LOG.warnf("node %s: refused admin call %s from %s: no bearer token", nodeId, op.method(), from);
      return Status.UNAUTHENTICATED.withDescription(op.method() + " is an admin call (operation " + op.id()
          + "): send the header 'authorization: Bearer <token>' with a token that grants it");
    }
    final Optional<AdminTokens.Grant> grant = tokens.tokens.grantOf(authorization.substring(BEARER.length()).strip());
    if (grant.isEmpty()) {
      LOG.warnf("node %s: refused admin call %s from %s: unknown token", nodeId, op.method(), from);
      return Status.UNAUTHENTICATED.withDescription("unknown token for admin call " + op.method());
    }
    if (!grant.get().allows(op)) {
      LOG.warnf("node %s: refused admin call %s from %s: token '%s' does not grant %s", nodeId, op.method(), from,
          grant.get().name(), op.id());
      return Status.PERMISSION_DENIED.withDescription("token '" + grant.get().name() + "' does not grant " + op.id()
          + " (" + op.method() + ")");
    }
    LOG.infof("node %s: admin call %s by '%s' from %s", nodeId, op.method(), grant.get().name(), from);
    return null;
  }
}
