package io.baton.quorum;

import com.google.protobuf.ByteString;
import io.baton.ha.grpc.BatonGrpc;
import io.baton.ha.grpc.GetRequest;
import io.baton.ha.grpc.PutRequest;
import io.baton.ha.grpc.ReadResponse;
import io.baton.testkit.history.History;
import io.grpc.ManagedChannel;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * Clients that put and get a few keys through Baton's gRPC API, one client per channel (per node),
 * recording every operation in a {@link History} for the linearizability checker. Puts write values
 * no one wrote before. A put the store refused (INVALID_ARGUMENT, FAILED_PRECONDITION) did not
 * happen; any other failure (UNAVAILABLE, a deadline) leaves its outcome unknown. Bounded: each
 * client stops at {@link #stop()}, after {@code maxOps} operations, or after 3 minutes.
 */
final class KvLoad implements AutoCloseable {
  private final History history = new History();
  private final AtomicBoolean running = new AtomicBoolean(true);
  private final AtomicInteger acknowledgedPuts = new AtomicInteger();
  private final AtomicInteger unknown = new AtomicInteger();
  private final List<Thread> clients = new ArrayList<>();

  KvLoad(List<ManagedChannel> channels, String prefix, int keys, int maxOps) {
    for (int c = 0; c < channels.size(); c++) {
      final int client = c;
      final ManagedChannel channel = channels.get(c);
      final Thread t = new Thread(() -> run(client, channel, prefix, keys, maxOps), "kv-load-" + c);
      t.setDaemon(true);
      clients.add(t);
    }
    clients.forEach(Thread::start);
  }

  private void run(int client, ManagedChannel channel, String prefix, int keys, int maxOps) {
    final Random random = new Random(client);
    final long end = System.nanoTime() + TimeUnit.MINUTES.toNanos(3);
    for (int i = 0; i < maxOps && running.get() && System.nanoTime() < end; i++) {
      final String key = prefix + random.nextInt(keys);
      final BatonGrpc.BatonBlockingStub stub = BatonGrpc.newBlockingStub(channel).withDeadlineAfter(5, TimeUnit.SECONDS);
      if (random.nextBoolean()) {
        final String value = "c" + client + "-" + i;
        final History.Pending p = history.invokePut(client, key, value);
        try {
          stub.put(PutRequest.newBuilder().setKey(key).setValue(ByteString.copyFrom(value, StandardCharsets.UTF_8)).build());
          history.ok(p, null);
          acknowledgedPuts.incrementAndGet();
        } catch (StatusRuntimeException e) {
          final Status.Code code = e.getStatus().getCode();
          if (code == Status.Code.INVALID_ARGUMENT || code == Status.Code.FAILED_PRECONDITION) {
            history.failed(p);
          } else {
            history.unknown(p);
            unknown.incrementAndGet();
            pause();
          }
        }
      } else {
        final History.Pending p = history.invokeGet(client, key);
        try {
          final ReadResponse r = stub.get(GetRequest.newBuilder().setKey(key).build());
          history.ok(p, r.getKvsCount() == 0 ? null : r.getKvs(0).getValue().toStringUtf8());
        } catch (StatusRuntimeException e) {
          history.unknown(p);
          pause();
        }
      }
    }
  }

  private static void pause() {
    try {
      Thread.sleep(50);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }

  History history() {
    return history;
  }

  int acknowledgedPuts() {
    return acknowledgedPuts.get();
  }

  int unknownOutcomes() {
    return unknown.get();
  }

  /** Stops the clients and waits for them (each finishes its current operation, at most its deadline). */
  void stop() throws InterruptedException {
    running.set(false);
    for (Thread t : clients) {
      t.join(30_000);
    }
  }

  @Override
  public void close() throws InterruptedException {
    stop();
  }
}
