package io.baton.ha.deployment;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.baton.ha.grpc.BackupChunk;
import io.baton.ha.grpc.BackupRequest;
import io.baton.ha.grpc.BatonGrpc;
import io.baton.ha.grpc.PeersRequest;
import io.baton.ha.grpc.RemovePeerRequest;
import io.baton.ha.grpc.StatusRequest;
import io.baton.ha.grpc.TransferRoleRequest;
import io.grpc.ManagedChannel;
import io.grpc.ManagedChannelBuilder;
import io.grpc.Metadata;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.grpc.stub.MetadataUtils;
import io.quarkus.test.QuarkusUnitTest;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Iterator;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.RegisterExtension;

/** Admin calls of the gRPC API with baton.admin.token-file set: per-operation tokens, read again when the file changes. */
@Timeout(value = 60, unit = TimeUnit.SECONDS)
class AdminAuthorizationTest {
  private static final String OPS = "ops-0123456789abcdef";
  private static final String BACKUPS = "backups-0123456789abcdef";
  private static final String TOKEN_LINES = "ops * " + OPS + "\nbackups backup " + BACKUPS + "\n";
  // once: the application and the tests must see the same file (see Fixtures.once)
  private static final String DATA = Fixtures.once("admin-authorization.dir", () -> {
    final String dir = Fixtures.tempDir();
    write(Path.of(dir, "tokens"), "# name   operations  token\n" + TOKEN_LINES);
    return dir;
  });
  private static final Path TOKENS = Path.of(DATA, "tokens");

  @RegisterExtension
  static final QuarkusUnitTest APP = TestRoles.singleNodeApp(DATA)
      .overrideConfigKey("quarkus.grpc.server.use-separate-server", "false")
      .overrideConfigKey("baton.admin.token-file", TOKENS.toString());

  private static ManagedChannel channel;

  @io.quarkus.test.common.http.TestHTTPResource("/")
  java.net.URL http;

  /** Rewrites {@code file}; its modification time may stay what it was (the node compares contents). */
  private static Path write(Path file, String text) {
    try {
      final java.nio.file.attribute.FileTime before = Files.exists(file) ? Files.getLastModifiedTime(file) : null;
      Files.writeString(file, text);
      if (before != null) {
        Files.setLastModifiedTime(file, before);
      }
      return file;
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  @BeforeEach
  void connect() {
    if (channel == null) {
      channel = ManagedChannelBuilder.forAddress(http.getHost(), http.getPort()).usePlaintext().build();
    }
  }

  @AfterAll
  static void cleanUp() throws InterruptedException {
    channel.shutdownNow().awaitTermination(5, TimeUnit.SECONDS);
    Fixtures.deleteQuietly(DATA);
  }

  private static BatonGrpc.BatonBlockingStub stub(String token) {
    BatonGrpc.BatonBlockingStub stub = BatonGrpc.newBlockingStub(channel).withDeadlineAfter(10, TimeUnit.SECONDS);
    if (token != null) {
      final Metadata headers = new Metadata();
      headers.put(Metadata.Key.of("authorization", Metadata.ASCII_STRING_MARSHALLER), "Bearer " + token);
      stub = stub.withInterceptors(MetadataUtils.newAttachHeadersInterceptor(headers));
    }
    return stub;
  }

  private static void refused(Runnable call, Status.Code code, String description) {
    assertThatThrownBy(call::run).isInstanceOfSatisfying(StatusRuntimeException.class, e -> {
      assertThat(e.getStatus().getCode()).isEqualTo(code);
      assertThat(e.getStatus().getDescription()).contains(description);
    });
  }

  private static BackupChunk firstChunk(String token) {
    final Iterator<BackupChunk> chunks = stub(token).backup(BackupRequest.getDefaultInstance());
    final BackupChunk first = chunks.next();
    chunks.forEachRemaining(c -> { });
    return first;
  }

  @Test
  void adminCallsNeedATokenGrantingThemAndOtherCallsNeedNone() {
    final TransferRoleRequest transfer = TransferRoleRequest.newBuilder().setRole("rootcoord").setTarget("n9").build();
    refused(() -> stub(null).transferRole(transfer), Status.Code.UNAUTHENTICATED, "authorization: Bearer");
    refused(() -> stub("not-a-token-0123456789").transferRole(transfer), Status.Code.UNAUTHENTICATED, "unknown token");
    refused(() -> stub(BACKUPS).transferRole(transfer), Status.Code.PERMISSION_DENIED,
        "token 'backups' does not grant transfer");
    refused(() -> stub(BACKUPS).removePeer(RemovePeerRequest.newBuilder().setId("n9").build()),
        Status.Code.PERMISSION_DENIED, "does not grant peer-remove");
    refused(() -> firstChunk(null), Status.Code.UNAUTHENTICATED, "Backup is an admin call");
    // allowed through: the call itself then runs (a transfer to a node outside the cluster is refused by the node)
    refused(() -> stub(OPS).transferRole(transfer), Status.Code.INVALID_ARGUMENT, "n9");
    assertThat(firstChunk(BACKUPS).getData().size()).isPositive();
    // not admin calls
    assertThat(stub(null).status(StatusRequest.getDefaultInstance()).getNode()).isEqualTo("n1");
    assertThat(stub(null).peers(PeersRequest.getDefaultInstance()).getPeersCount()).isEqualTo(1);
  }

  @Test
  void aChangedFileIsReadAgainAndABrokenOneRefusesEveryAdminCallUntilFixed() {
    try {
      // the backups token rotated: same length, same modification time
      final String rotated = "backups-fedcba9876543210";
      write(TOKENS, "ops * " + OPS + "\nbackups backup " + rotated + "\n");
      refused(() -> firstChunk(BACKUPS), Status.Code.UNAUTHENTICATED, "unknown token");
      assertThat(firstChunk(rotated).getData().size()).isPositive();

      write(TOKENS, "ops * short\n");
      refused(() -> firstChunk(OPS), Status.Code.UNAVAILABLE, "cannot check admin tokens now");
      refused(() -> firstChunk(null), Status.Code.UNAVAILABLE, "cannot check admin tokens now");

      write(TOKENS, TOKEN_LINES);
      assertThat(firstChunk(BACKUPS).getData().size()).isPositive();
    } finally {
      write(TOKENS, TOKEN_LINES);
    }
  }
}
