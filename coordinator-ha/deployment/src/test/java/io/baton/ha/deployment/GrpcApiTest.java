package io.baton.ha.deployment;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.google.protobuf.ByteString;
import io.baton.ha.Baton;
import io.baton.ha.grpc.BatonGrpc;
import io.baton.ha.grpc.CompareAndSetRequest;
import io.baton.ha.grpc.Fence;
import io.baton.ha.grpc.GetRequest;
import io.baton.ha.grpc.HeartbeatRequest;
import io.baton.ha.grpc.PutRequest;
import io.baton.ha.grpc.RangeRequest;
import io.baton.ha.grpc.RegisterMemberRequest;
import io.baton.ha.grpc.RoleStatus;
import io.baton.ha.grpc.StatusRequest;
import io.baton.ha.grpc.StatusResponse;
import io.baton.ha.grpc.TransferRoleRequest;
import io.baton.ha.grpc.WatchEvent;
import io.baton.ha.grpc.WatchRequest;
import io.baton.ha.grpc.WatchRolesRequest;
import io.grpc.ManagedChannel;
import io.grpc.ManagedChannelBuilder;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.quarkus.test.QuarkusUnitTest;
import jakarta.inject.Inject;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Iterator;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.RegisterExtension;

/** The gRPC API of a single-node cluster, through a plain grpc-java client. */
@Timeout(value = 60, unit = TimeUnit.SECONDS)
class GrpcApiTest {
  private static final String DATA = Fixtures.tempDir();

  @RegisterExtension
  static final QuarkusUnitTest APP = TestRoles.singleNodeApp(DATA)
      // gRPC on the HTTP port (HTTP/2), as the example service runs it
      .overrideConfigKey("quarkus.grpc.server.use-separate-server", "false");

  private static ManagedChannel channel;
  private static BatonGrpc.BatonBlockingStub baton;

  @Inject
  Baton local;

  @io.quarkus.test.common.http.TestHTTPResource("/")
  java.net.URL http;

  @org.junit.jupiter.api.BeforeEach
  void connect() {
    if (channel == null) {
      channel = ManagedChannelBuilder.forAddress(http.getHost(), http.getPort()).usePlaintext().build();
      baton = BatonGrpc.newBlockingStub(channel);
    }
  }

  @AfterAll
  static void cleanUp() throws InterruptedException {
    channel.shutdownNow().awaitTermination(5, TimeUnit.SECONDS);
    Fixtures.deleteQuietly(DATA);
  }

  private static ByteString bytes(String s) {
    return ByteString.copyFrom(s, StandardCharsets.UTF_8);
  }

  private static BatonGrpc.BatonBlockingStub withDeadline() {
    return baton.withDeadlineAfter(10, TimeUnit.SECONDS);
  }

  private StatusResponse awaitActive() throws InterruptedException {
    final long deadline = System.nanoTime() + Duration.ofSeconds(20).toNanos();
    while (true) {
      final StatusResponse s = withDeadline().status(StatusRequest.getDefaultInstance());
      if (s.getRolesList().stream().allMatch(r -> r.getState().equals("ACTIVE"))) {
        return s;
      }
      if (System.nanoTime() > deadline) {
        throw new AssertionError("roles not active: " + s);
      }
      Thread.sleep(20);
    }
  }

  @Test
  void statusRolesMetadataWatchesMembersAndErrorsOverGrpc() throws InterruptedException {
    final StatusResponse status = awaitActive();
    assertThat(status.getNode()).isEqualTo("n1");
    assertThat(status.getBackend()).isEqualTo("ratis");
    assertThat(status.getPlacement()).isEqualTo("leader");
    assertThat(status.getRaft().getLeader()).isEqualTo("n1");
    assertThat(status.getRolesList()).extracting(RoleStatus::getRole).containsExactlyInAnyOrder("rootcoord", "querycoord");
    assertThat(status.getRolesList()).extracting(RoleStatus::getCandidate).containsOnly(true);
    final long epoch = status.getRoles(0).getEpoch();
    assertThat(epoch).isPositive();
    assertThat(status.getSectionsMap().get("test").getEntriesMap()).containsExactlyInAnyOrderEntriesOf(Map.of("a", "1", "b", "2"));
    assertThat(io.baton.ha.StatusRoute.toJson(local.status()).getJsonObject("sections").getJsonObject("test").fieldNames())
        .containsExactly("b", "a");

    // role watch: the current states at once
    final Iterator<RoleStatus> roles = withDeadline().watchRoles(WatchRolesRequest.getDefaultInstance());
    assertThat(roles.next().getState()).isEqualTo("ACTIVE");

    // metadata: put, get, range, compare-and-set, a watch that sees them in order
    final Iterator<WatchEvent> events = withDeadline().watch(WatchRequest.newBuilder().setPrefix("app/").build());
    final long r1 = withDeadline().put(PutRequest.newBuilder().setKey("app/a").setValue(bytes("1")).build()).getRevision();
    assertThat(withDeadline().get(GetRequest.newBuilder().setKey("app/a").build()).getKvs(0).getValue())
        .isEqualTo(bytes("1"));
    assertThat(withDeadline().compareAndSet(CompareAndSetRequest.newBuilder().setKey("app/a")
        .setExpectedModRevision(r1 - 1).setValue(bytes("x")).build()).getSucceeded()).isFalse();
    assertThat(withDeadline().compareAndSet(CompareAndSetRequest.newBuilder().setKey("app/a")
        .setExpectedModRevision(r1).setValue(bytes("2")).build()).getSucceeded()).isTrue();
    assertThat(withDeadline().range(RangeRequest.newBuilder().setPrefix("app/").setStale(true).build()).getKvsCount())
        .isEqualTo(1);
    final WatchEvent first = events.next();
    assertThat(first.getRevision()).isEqualTo(r1);
    assertThat(first.getKv().getValue()).isEqualTo(bytes("1"));
    assertThat(events.next().getKv().getValue()).isEqualTo(bytes("2"));

    // fenced writes: the current epoch passes, an older one is rejected
    final Fence current = Fence.newBuilder().setRole("rootcoord").setEpoch(epoch).build();
    withDeadline().put(PutRequest.newBuilder().setKey("app/fenced").setValue(bytes("ok")).setFence(current).build());
    final Fence stale = Fence.newBuilder().setRole("rootcoord").setEpoch(epoch - 1 == 0 ? epoch + 1 : epoch - 1).build();
    assertThatThrownBy(() -> withDeadline().put(PutRequest.newBuilder().setKey("app/fenced").setValue(bytes("no"))
        .setFence(stale).build()))
        .isInstanceOfSatisfying(StatusRuntimeException.class, e -> {
          assertThat(e.getStatus().getCode()).isEqualTo(Status.Code.FAILED_PRECONDITION);
          assertThat(e.getStatus().getDescription()).contains("stale epoch");
        });

    // members: register, heartbeat; an unregistered member is refused
    withDeadline().registerMember(RegisterMemberRequest.newBuilder().setMember("querynode-1").setAddress("q1:19530").build());
    withDeadline().heartbeat(HeartbeatRequest.newBuilder().setMember("querynode-1").build());
    assertThat(withDeadline().status(StatusRequest.getDefaultInstance()).getMembersMap())
        .containsEntry("querynode-1", "ALIVE");
    assertThatThrownBy(() -> withDeadline().heartbeat(HeartbeatRequest.newBuilder().setMember("ghost").build()))
        .isInstanceOfSatisfying(StatusRuntimeException.class,
            e -> assertThat(e.getStatus().getCode()).isEqualTo(Status.Code.INVALID_ARGUMENT));

    // bad requests get clear errors and the node keeps serving
    assertThatThrownBy(() -> withDeadline().put(PutRequest.newBuilder().setKey("").build()))
        .isInstanceOfSatisfying(StatusRuntimeException.class,
            e -> assertThat(e.getStatus().getCode()).isEqualTo(Status.Code.INVALID_ARGUMENT));
    assertThatThrownBy(() -> withDeadline().transferRole(TransferRoleRequest.newBuilder().setRole("nosuch")
        .setTarget("n1").build()))
        .isInstanceOfSatisfying(StatusRuntimeException.class, e -> {
          assertThat(e.getStatus().getCode()).isEqualTo(Status.Code.INVALID_ARGUMENT);
          assertThat(e.getStatus().getDescription()).contains("unknown role 'nosuch'");
        });
    assertThat(local.metadata().get("app/fenced").join().kvs().get(0).valueAsString()).isEqualTo("ok");
  }

  @Test
  void valuesUpToTheStoreLimitPassAndLargerOnesAreRefusedNamingTheLimit() throws InterruptedException {
    awaitActive();
    final int mib = 1024 * 1024;
    for (int size : new int[] {257 * 1024, 512 * 1024, mib}) {
      withDeadline().put(PutRequest.newBuilder().setKey("big/" + size).setValue(ByteString.copyFrom(new byte[size])).build());
      assertThat(withDeadline().get(GetRequest.newBuilder().setKey("big/" + size).build()).getKvs(0).getValue().size())
          .isEqualTo(size);
    }
    assertThatThrownBy(() -> withDeadline().put(PutRequest.newBuilder().setKey("big/no")
        .setValue(ByteString.copyFrom(new byte[mib + 1])).build()))
        .isInstanceOfSatisfying(StatusRuntimeException.class, e -> {
          assertThat(e.getStatus().getCode()).isEqualTo(Status.Code.INVALID_ARGUMENT);
          assertThat(e.getStatus().getDescription()).contains("1048577 bytes").contains("maxValueBytes");
        });
  }

  @Test
  void aTransferToANodeOutsideTheClusterIsAnInvalidArgumentNamingIt() throws InterruptedException {
    awaitActive();
    assertThatThrownBy(() -> withDeadline().transferRole(TransferRoleRequest.newBuilder().setRole("rootcoord")
        .setTarget("n9").build()))
        .isInstanceOfSatisfying(StatusRuntimeException.class, e -> {
          assertThat(e.getStatus().getCode()).isEqualTo(Status.Code.INVALID_ARGUMENT);
          assertThat(e.getStatus().getDescription()).contains("n9");
        });
  }

  @Test
  void watchEventsSayWhereToResumeAndAResumedWatchMissesAndRepeatsNothing() throws InterruptedException {
    awaitActive();
    final long before = withDeadline().get(GetRequest.newBuilder().setKey("tx/none").build()).getRevision();
    final Iterator<WatchEvent> events = withDeadline().watch(WatchRequest.newBuilder().setPrefix("tx/")
        .setFromRevision(before + 1).build());
    // one transaction writing two watched keys: one revision, two events
    final long both = local.metadata().txn(io.baton.store.Txn.of(java.util.List.of(), java.util.List.of(
        io.baton.store.Op.put("tx/a", "1"), io.baton.store.Op.put("tx/b", "1")))).join().revision();
    final long single = withDeadline().put(PutRequest.newBuilder().setKey("tx/c").setValue(bytes("1")).build())
        .getRevision();
    final WatchEvent a = events.next();
    final WatchEvent b = events.next();
    final WatchEvent c = events.next();
    assertThat(java.util.List.of(a.getRevision(), b.getRevision(), c.getRevision())).containsExactly(both, both, single);
    assertThat(a.getNextRevision()).as("inside a revision: resume at that revision").isEqualTo(both);
    assertThat(b.getNextRevision()).as("after a revision's last event: the next one").isEqualTo(both + 1);
    assertThat(c.getNextRevision()).isEqualTo(single + 1);
    // resumed from the middle event's next_revision: nothing lost, and from the last one's: nothing repeated
    final Iterator<WatchEvent> again = withDeadline().watch(WatchRequest.newBuilder().setPrefix("tx/")
        .setFromRevision(b.getNextRevision()).build());
    assertThat(again.next().getKv().getKey()).isEqualTo("tx/c");
  }
}
