package io.baton.operate;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.google.protobuf.ByteString;
import io.baton.ha.grpc.BatonGrpc;
import io.baton.ha.grpc.GetRequest;
import io.baton.ha.grpc.PutRequest;
import io.baton.ha.grpc.RangeRequest;
import io.baton.testkit.Dirs;
import io.baton.testkit.ServiceNodes;
import io.grpc.CallOptions;
import io.grpc.ManagedChannel;
import io.grpc.ManagedChannelBuilder;
import io.grpc.MethodDescriptor;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.grpc.stub.ClientCalls;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * Bad input from the network: random and malformed bytes to every port a node process listens on
 * (found with {@code ss}, so a port a library opens is not missed), while a client writes; then
 * every node still serves and every acknowledged write is there. Malformed and oversized gRPC
 * requests get clear status codes.
 */
@Timeout(value = 4, unit = TimeUnit.MINUTES)
class BadInputIT {
  private static final Path APP = Path.of(System.getProperty("baton.example.app"));
  private static final Duration AWAIT = Duration.ofSeconds(60);
  /** Connections per port, each with one malformed payload; bounded so the test stops by itself. */
  private static final int CONNECTIONS_PER_PORT = 40;
  private static Path dir;
  private static ServiceNodes nodes;
  private static final Map<String, ManagedChannel> channels = new LinkedHashMap<>();

  @BeforeAll
  static void startCluster() throws Exception {
    dir = Files.createTempDirectory("baton-bad-input");
    nodes = new ServiceNodes(APP, dir, List.of());
    for (String id : nodes.ids()) {
      nodes.start(id);
    }
    nodes.awaitAgreedActive("rootcoord", AWAIT);
    for (String id : nodes.ids()) {
      channels.put(id, ManagedChannelBuilder.forAddress(nodes.host(id), nodes.httpPort(id)).usePlaintext().build());
    }
  }

  @AfterAll
  static void stopCluster() {
    channels.values().forEach(ManagedChannel::shutdownNow);
    Dirs.closeThenDelete(nodes, dir);
  }

  private static BatonGrpc.BatonBlockingStub stub(String id) {
    return BatonGrpc.newBlockingStub(channels.get(id)).withDeadlineAfter(5, TimeUnit.SECONDS);
  }

  /** One malformed payload of kind {@code kind}: random bytes, or a protocol's start followed by garbage. */
  static byte[] payload(Random random, int kind) {
    final byte[] garbage = new byte[1 + random.nextInt(16 * 1024)];
    random.nextBytes(garbage);
    final byte[] head = switch (kind) {
      case 0 -> new byte[0];
      // the HTTP/2 client preface, then garbage where the SETTINGS frame belongs
      case 1 -> "PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n".getBytes(StandardCharsets.US_ASCII);
      // the preface, then a frame header announcing 16 MiB of DATA on stream 1
      case 2 -> concat("PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n".getBytes(StandardCharsets.US_ASCII),
          new byte[] {(byte) 0xff, (byte) 0xff, (byte) 0xff, 0x00, 0x00, 0x00, 0x00, 0x00, 0x01});
      // an HTTP/1.1 request line whose headers never end properly
      case 3 -> "POST /baton.v1.Baton/Put HTTP/1.1\r\nHost: x\r\nContent-Length: 99999999\r\nX: "
          .getBytes(StandardCharsets.US_ASCII);
      // the start of a TLS ClientHello on a plaintext port
      default -> new byte[] {0x16, 0x03, 0x01, 0x02, 0x00, 0x01, 0x00, 0x01, (byte) 0xfc, 0x03, 0x03};
    };
    return concat(head, garbage);
  }

  private static byte[] concat(byte[] a, byte[] b) {
    final byte[] out = new byte[a.length + b.length];
    System.arraycopy(a, 0, out, 0, a.length);
    System.arraycopy(b, 0, out, a.length, b.length);
    return out;
  }

  /** Sends {@code bytes} on a new connection, reads what comes back for a moment, closes. */
  private static void send(String host, int port, byte[] bytes) {
    try (Socket s = new Socket()) {
      s.connect(new InetSocketAddress(host, port), 1000);
      s.setSoTimeout(100);
      final OutputStream out = s.getOutputStream();
      out.write(bytes);
      out.flush();
      final InputStream in = s.getInputStream();
      final byte[] buf = new byte[4096];
      for (int i = 0; i < 4 && in.read(buf) >= 0; i++) {
        // drain whatever the server answers (an error, a GOAWAY) until it closes or goes quiet
      }
    } catch (IOException e) {
      // a reset or a timeout is the server refusing the garbage: what we want
    }
  }

  @Test
  void randomAndMalformedBytesToEveryPortLoseNothingAndStopNoNode() throws Exception {
    final List<String> acknowledged = Collections.synchronizedList(new ArrayList<>());
    final AtomicBoolean writing = new AtomicBoolean(true);
    final Thread writer = new Thread(() -> {
      final long end = System.nanoTime() + TimeUnit.MINUTES.toNanos(2);
      for (int i = 0; i < 5000 && writing.get() && System.nanoTime() < end; i++) {
        final String key = "bad-input/k" + i;
        final String id = nodes.ids().get(i % nodes.ids().size());
        try {
          stub(id).put(PutRequest.newBuilder().setKey(key).setValue(ByteString.copyFromUtf8("v" + i)).build());
          acknowledged.add(key);
        } catch (StatusRuntimeException e) {
          // not acknowledged: nothing to check (its outcome may be unknown, which is allowed)
        }
      }
    }, "bad-input-writer");
    writer.setDaemon(true);
    writer.start();

    final long seed = System.nanoTime();
    System.out.println("bad input seed " + seed);
    final Random random = new Random(seed);
    final Map<String, List<Integer>> fuzzed = new LinkedHashMap<>();
    for (String id : nodes.ids()) {
      final List<Integer> ports = nodes.listeningPorts(id);
      assertThat(ports).as("node %s listens on its HTTP and Raft ports", id)
          .contains(nodes.httpPort(id), nodes.raftPort(id));
      fuzzed.put(id, ports);
      for (int port : ports) {
        for (int c = 0; c < CONNECTIONS_PER_PORT; c++) {
          send(nodes.host(id), port, payload(random, c % 5));
        }
      }
    }
    System.out.println("ports fuzzed per node: " + fuzzed + ", " + CONNECTIONS_PER_PORT + " connections each");

    writing.set(false);
    writer.join(30_000);
    for (String id : nodes.ids()) {
      assertThat(nodes.isRunning(id)).as("node %s still runs", id).isTrue();
      assertThat(nodes.httpStatus(id, "/q/health/live")).as("node %s live", id).isEqualTo(200);
    }
    nodes.awaitAgreedActive("rootcoord", AWAIT);
    for (String id : nodes.ids()) {
      stub(id).put(PutRequest.newBuilder().setKey("bad-input/after-" + id).setValue(ByteString.copyFromUtf8("x")).build());
    }
    final Set<String> present = new HashSet<>();
    stub(nodes.ids().get(0)).range(RangeRequest.newBuilder().setPrefix("bad-input/").build()).getKvsList()
        .forEach(kv -> present.add(kv.getKey()));
    assertThat(acknowledged).as("writes acknowledged while the ports took garbage").isNotEmpty();
    assertThat(present).as("every acknowledged write").containsAll(acknowledged);
    System.out.printf("%d writes acknowledged during the bad input, all present%n", acknowledged.size());
  }

  /** A unary call of {@code method} with {@code body} as its raw request bytes. */
  private static byte[] rawCall(String id, String method, byte[] body) {
    final MethodDescriptor.Marshaller<byte[]> bytes = new MethodDescriptor.Marshaller<>() {
      @Override
      public InputStream stream(byte[] value) {
        return new ByteArrayInputStream(value);
      }

      @Override
      public byte[] parse(InputStream stream) {
        try {
          return stream.readAllBytes();
        } catch (IOException e) {
          throw new java.io.UncheckedIOException(e);
        }
      }
    };
    final MethodDescriptor<byte[], byte[]> descriptor = MethodDescriptor.<byte[], byte[]>newBuilder()
        .setType(MethodDescriptor.MethodType.UNARY).setFullMethodName(method)
        .setRequestMarshaller(bytes).setResponseMarshaller(bytes).build();
    return ClientCalls.blockingUnaryCall(channels.get(id), descriptor,
        CallOptions.DEFAULT.withDeadlineAfter(5, TimeUnit.SECONDS), body);
  }

  @Test
  void malformedAndOversizedGrpcRequestsGetClearStatusCodes() {
    final String id = nodes.ids().get(0);
    assertThatThrownBy(() -> rawCall(id, "baton.v1.Baton/Put", new byte[] {(byte) 0xff, (byte) 0xff, (byte) 0xff}))
        .isInstanceOfSatisfying(StatusRuntimeException.class, e -> {
          System.out.println("malformed Put: " + e.getStatus());
          assertThat(e.getStatus().getCode()).isEqualTo(Status.Code.INVALID_ARGUMENT);
          assertThat(e.getStatus().getDescription()).contains("malformed request").contains("baton.v1.Baton/Put");
        });
    // the same on the etcd API served on the same port
    assertThatThrownBy(() -> rawCall(id, "etcdserverpb.KV/Put", new byte[] {(byte) 0xff, (byte) 0xff, (byte) 0xff}))
        .isInstanceOfSatisfying(StatusRuntimeException.class,
            e -> assertThat(e.getStatus().getCode()).isEqualTo(Status.Code.INVALID_ARGUMENT));
    assertThatThrownBy(() -> rawCall(id, "baton.v1.Baton/NoSuchCall", new byte[0]))
        .isInstanceOfSatisfying(StatusRuntimeException.class,
            e -> assertThat(e.getStatus().getCode()).isEqualTo(Status.Code.UNIMPLEMENTED));
    assertThatThrownBy(() -> stub(id).put(PutRequest.newBuilder().setKey("big")
        .setValue(ByteString.copyFrom(new byte[5 << 20])).build()))
        .isInstanceOfSatisfying(StatusRuntimeException.class,
            e -> assertThat(e.getStatus().getCode()).isEqualTo(Status.Code.RESOURCE_EXHAUSTED));
    assertThatThrownBy(() -> stub(id).put(PutRequest.newBuilder().setKey("").build()))
        .isInstanceOfSatisfying(StatusRuntimeException.class, e -> {
          assertThat(e.getStatus().getCode()).isEqualTo(Status.Code.INVALID_ARGUMENT);
          assertThat(e.getStatus().getDescription()).contains("key");
        });
    // and the node still answers
    assertThat(stub(id).get(GetRequest.newBuilder().setKey("bad-input/none").build()).getKvsCount()).isZero();
  }
}
