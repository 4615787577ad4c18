package io.baton.ha;

import io.baton.raft.WatchedFiles;
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
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.List;
import java.util.Optional;
import org.jboss.logging.Logger;

/**
 * Lets an admin call ({@link AdminOperation}) through only with a token that grants it, once
 * {@code baton.admin.token-file} is set: the caller sends {@code authorization: Bearer <token>}.
 * No token or an unknown one: UNAUTHENTICATED; a token without the operation: PERMISSION_DENIED.
 * The file is read again when its content changes (checked at each admin call), so tokens are
 * added and revoked without a restart; a file that no longer parses or reads refuses every admin
 * call (UNAVAILABLE, the details in one ERROR line) until it is fixed. Without the property admin
 * calls are open to every client that reaches the port, which start-up logs once.
 */
@GlobalInterceptor
@Singleton
@Startup
public class AdminAuthorization implements ServerInterceptor {
  /** The property naming the token file. */
  public static final String TOKEN_FILE_PROPERTY = "baton.admin.token-file";
  /** The header an admin call carries its token in, as {@value #BEARER}{@code <token>}. */
  public static final Metadata.Key<String> AUTHORIZATION = Metadata.Key.of("authorization",
      Metadata.ASCII_STRING_MARSHALLER);
  public static final String BEARER = "Bearer ";
  private static final Logger LOG = Logger.getLogger(AdminAuthorization.class);

  private final String nodeId;
  private final Path file;
  private final WatchedFiles watched;
  /** The tokens in force, or null while the file is unusable (then {@link #problem} says why). */
  private AdminTokens tokens;
  private String problem;

  public AdminAuthorization(BatonConfig config) {
    this.nodeId = config.nodeId();
    this.file = config.admin().tokenFile().map(Path::of).orElse(null);
    if (file == null) {
      this.watched = null;
      LOG.warnf("node %s: admin calls (%s) are open to every client that reaches the gRPC port; set %s to require"
          + " tokens", nodeId, AdminOperation.ids(), TOKEN_FILE_PROPERTY);
      return;
    }
    this.watched = new WatchedFiles(List.of(file));
    try {
      tokens = parse(watched.changes().orElseThrow());
    } catch (IOException e) {
      throw Settings.invalid(TOKEN_FILE_PROPERTY, unreadable(e));
    } catch (IllegalArgumentException e) {
      throw Settings.invalid(TOKEN_FILE_PROPERTY, e.getMessage());
    }
    LOG.infof("node %s: admin calls need a token from %s", nodeId, file);
  }

  /** The tokens in force, read again first when the file's content changed; null while it is unusable. */
  private synchronized AdminTokens current() {
    String failure = null;
    try {
      final Optional<List<byte[]>> changed = watched.changes();
      if (changed.isEmpty()) {
        return tokens;
      }
      tokens = parse(changed.get());
      problem = null;
      LOG.infof("node %s: admin token file %s changed; read again", nodeId, file);
      return tokens;
    } catch (IOException e) {
      failure = unreadable(e);
    } catch (IllegalArgumentException e) {
      failure = String.valueOf(e.getMessage());
    }
    if (!failure.equals(problem)) {
      LOG.errorf("node %s: admin token file %s is unusable, refusing every admin call until it is fixed: %s",
          nodeId, file, failure);
    }
    problem = failure;
    tokens = null;
    return null;
  }

  /** The tokens of the file's content as {@link WatchedFiles} read it. */
  private AdminTokens parse(List<byte[]> contents) {
    return AdminTokens.parse(file, new String(contents.get(0), StandardCharsets.UTF_8));
  }

  private String unreadable(IOException e) {
    return "cannot read token file " + file + ": " + e;
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
    final AdminTokens tokens = current();
    if (tokens == null) {
      return Status.UNAVAILABLE.withDescription("node " + nodeId + " cannot check admin tokens now (see its log)");
    }
    if (authorization == null || !authorization.startsWith(BEARER)) {
      LOG.warnf("node %s: refused admin call %s from %s: no bearer token", nodeId, op.method(), from);
      return Status.UNAUTHENTICATED.withDescription(op.method() + " is an admin call (operation " + op.id()
          + "): send the header 'authorization: Bearer <token>' with a token that grants it");
    }
    final Optional<AdminTokens.Grant> grant = tokens.grantOf(authorization.substring(BEARER.length()).strip());
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
