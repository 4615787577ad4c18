package io.baton.tools;

import io.baton.raft.MetadataClient;
import io.baton.testkit.Dirs;
import io.baton.testkit.LocalCluster;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;

/**
 * Put throughput and latency on a 3-node cluster of separate processes over loopback: 8-byte keys,
 * 256-byte values, for each concurrency level a warm-up then a fixed measuring time. Each of the
 * {@code c} clients is its own {@link MetadataClient} (its own Raft client and connections) running
 * a closed loop, one put outstanding at a time. Arguments:
 * {@code [--seconds S] [--warmup S] [--concurrency 1,64]} (defaults 10, 15, 1,64); the
 * warm-up runs once, at the highest concurrency, then each level gets 2 s more before measuring.
 */
public final class PutBenchmark {
  private PutBenchmark() {
  }

  public static void main(String[] args) throws Exception {
    java.util.logging.Logger.getLogger("org.apache.ratis.thirdparty.io.grpc").setLevel(java.util.logging.Level.WARNING);
    int seconds = 10;
    int warmup = 15;
    int[] levels = {1, 64};
    for (int i = 0; i < args.length; i++) {
      switch (args[i]) {
        case "--seconds" -> seconds = Integer.parseInt(args[++i]);
        case "--warmup" -> warmup = Integer.parseInt(args[++i]);
        case "--concurrency" -> levels = Arrays.stream(args[++i].split(",")).mapToInt(Integer::parseInt).toArray();
        default -> throw new IllegalArgumentException("unknown argument " + args[i]);
      }
    }
    final Path dir = Files.createTempDirectory("baton-bench-");
    final byte[] value = new byte[256];
    Arrays.fill(value, (byte) 'v');
    System.out.printf("Baton put benchmark: 3 node processes on loopback (JDK %s, %d cores), 8-byte keys, 256-byte values%n",
        Runtime.version(), Runtime.getRuntime().availableProcessors());
    try (LocalCluster cluster = new LocalCluster(3, dir, List.of("-Xmx512m", "-XX:+UseParallelGC"), List.of()).startAll();
         MetadataClient client = cluster.client(Duration.ofSeconds(10))) {
      cluster.awaitLeader(client, Duration.ofSeconds(30));
      client.put("warm/up", value).get(10, TimeUnit.SECONDS);
      // warm the JIT of all four JVMs up first, at the highest concurrency (the most operations)
      final int top = Arrays.stream(levels).max().orElse(1);
      final List<MetadataClient> warm = clients(cluster, top);
      run(warm, warmup, value);
      warm.forEach(MetadataClient::close);
      System.out.println("clients  seconds      puts    puts/s   p50 ms   p99 ms   max ms  errors");
      for (int c : levels) {
        final List<MetadataClient> clients = clients(cluster, c);
        run(clients, 2, value);
        final Result r = run(clients, seconds, value);
        clients.forEach(MetadataClient::close);
        System.out.printf("%7d  %7d  %8d  %8.0f  %7.2f  %7.2f  %7.2f  %6d%n", c, seconds, r.count, r.count / (double) seconds,
            r.percentile(50), r.percentile(99), r.percentile(100), r.errors);
      }
    } finally {
      Dirs.deleteRecursively(dir);
    }
  }

  private static List<MetadataClient> clients(LocalCluster cluster, int n) {
    final List<MetadataClient> clients = new java.util.ArrayList<>();
    for (int i = 0; i < n; i++) {
      clients.add(cluster.client(Duration.ofSeconds(10)));
    }
    return clients;
  }

  private record Result(long[] latenciesNanos, int count, long errors) {
    double percentile(double p) {
      if (count == 0) {
        return Double.NaN;
      }
      final int i = (int) Math.min(count - 1, Math.ceil(p / 100.0 * count) - 1);
      return latenciesNanos[Math.max(0, i)] / 1e6;
    }
  }

  private static Result run(List<MetadataClient> clientList, int seconds, byte[] value) throws InterruptedException {
    final int clients = clientList.size();
    final long[] latencies = new long[4_000_000];
    final AtomicLong count = new AtomicLong();
    final AtomicLong errors = new AtomicLong();
    final AtomicBoolean stop = new AtomicBoolean();
    final CountDownLatch done = new CountDownLatch(clients);
    for (int c = 0; c < clients; c++) {
      final int id = c;
      loop(clientList.get(c), id, new AtomicLong(), value, stop, latencies, count, errors, done);
    }
    Thread.sleep(TimeUnit.SECONDS.toMillis(seconds));
    stop.set(true);
    if (!done.await(30, TimeUnit.SECONDS)) {
      throw new IllegalStateException("clients did not finish within 30 s of the end");
    }
    final int n = (int) Math.min(count.get(), latencies.length);
    final long[] sorted = Arrays.copyOf(latencies, n);
    Arrays.sort(sorted);
    return new Result(sorted, n, errors.get());
  }

  private static void loop(MetadataClient client, int id, AtomicLong seq, byte[] value, AtomicBoolean stop,
      long[] latencies, AtomicLong count, AtomicLong errors, CountDownLatch done) {
    if (stop.get()) {
      done.countDown();
      return;
    }
    // 8-byte keys: client id and sequence, in hex
    final String key = String.format("%02x%06x", id & 0xff, seq.getAndIncrement() & 0xffffff);
    final long start = System.nanoTime();
    final CompletableFuture<Long> put = client.put(key, value);
    put.whenComplete((rev, error) -> {
      if (error != null) {
        errors.incrementAndGet();
      } else {
        final long i = count.getAndIncrement();
        if (i < latencies.length) {
          latencies[(int) i] = System.nanoTime() - start;
        }
      }
      loop(client, id, seq, value, stop, latencies, count, errors, done);
    });
  }
}
