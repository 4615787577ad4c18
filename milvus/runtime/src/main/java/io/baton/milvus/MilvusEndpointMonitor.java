package io.baton.milvus;

import io.baton.ha.FailureDetector;
import io.baton.ha.MemberState;
import io.baton.store.MonotonicClock;
import io.milvus.v2.client.ConnectConfig;
import io.milvus.v2.client.MilvusClientV2;
import io.milvus.v2.client.RetryConfig;
import io.milvus.v2.service.utility.response.CheckHealthResp;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.function.Function;

/**
 * Heartbeats Milvus endpoints and runs a {@link FailureDetector} over them: an endpoint is
 * {@code UP} while its health check answers healthy, {@code SUSPECT} after {@code suspectAfter}
 * without a healthy answer, {@code DOWN} after {@code downAfter}; one that never answered is DOWN
 * from its first probe on. Each {@link #probeAll()} checks every endpoint at once (milvus-sdk-java's
 * {@code checkHealth}, bounded by {@code probeTimeout}), so one dead endpoint does not delay the
 * others' heartbeats. Plain Java: the Quarkus extension runs it on a timer, a service without
 * Quarkus calls {@link #probeAll()} itself.
 *
 * <p>Time comes from the injected {@link MonotonicClock}. [Thread-safe]
 */
public final class MilvusEndpointMonitor implements AutoCloseable {
  /** What the detector believes of an endpoint. */
  public enum EndpointState {
    UP, SUSPECT, DOWN
  }

  /**
   * One endpoint's state.
   *
   * @param detail what the last probe said ("healthy", or the error or unhealthy reasons)
   * @param probed false before the first probe (the state is then DOWN by default, not observed)
   */
  public record EndpointHealth(String endpoint, EndpointState state, String detail, boolean probed) {
  }

  /** A change of state seen by one {@link #probeAll()}; {@code from} is null for the first probe. */
  public record EndpointChange(String endpoint, EndpointState from, EndpointState to, String detail) {
  }

  private final List<String> endpoints;
  private final FailureDetector detector;
  private final Function<String, MilvusClientV2> connector;
  private final Map<String, MilvusClientV2> clients = new ConcurrentHashMap<>();
  private final Map<String, String> details = new ConcurrentHashMap<>();
  private final Map<String, EndpointState> states = new LinkedHashMap<>();
  private final ExecutorService probes;

  /**
   * @param connector creates the client of one endpoint; null for the default (plain text, the
   *                  probe timeout as connect and RPC deadline)
   */
  public MilvusEndpointMonitor(List<String> endpoints, Duration probeTimeout, Duration suspectAfter, Duration downAfter,
      MonotonicClock clock, Function<String, MilvusClientV2> connector) {
    if (endpoints.isEmpty()) {
      throw new IllegalArgumentException("no Milvus endpoints to monitor");
    }
    this.endpoints = List.copyOf(endpoints);
    this.detector = new FailureDetector(clock, suspectAfter, downAfter);
    final long ms = probeTimeout.toMillis();
    this.connector = connector != null ? connector
        : uri -> new MilvusClientV2(ConnectConfig.builder().uri(uri).connectTimeoutMs(ms).rpcDeadlineMs(ms).build());
    this.probes = Executors.newFixedThreadPool(this.endpoints.size(), r -> {
      final Thread t = new Thread(r, "baton-milvus-probe");
      t.setDaemon(true);
      return t;
    });
  }

  public List<String> endpoints() {
    return endpoints;
  }

  /** Probes every endpoint once, concurrently; returns the endpoints whose state changed. */
  public synchronized List<EndpointChange> probeAll() {
    final List<CompletableFuture<Void>> running = new ArrayList<>();
    for (String endpoint : endpoints) {
      running.add(CompletableFuture.runAsync(() -> probe(endpoint), probes));
    }
    running.forEach(CompletableFuture::join);
    detector.evaluate();
    final List<EndpointChange> changes = new ArrayList<>();
    for (String endpoint : endpoints) {
      final EndpointState now = stateOf(endpoint);
      final EndpointState before = states.put(endpoint, now);
      if (before != now) {
        changes.add(new EndpointChange(endpoint, before, now, details.get(endpoint)));
      }
    }
    return changes;
  }

  /** Every endpoint's state as of the last probe (DOWN, "not probed yet", before the first). */
  public synchronized Map<String, EndpointHealth> health() {
    final Map<String, EndpointHealth> out = new LinkedHashMap<>();
    for (String endpoint : endpoints) {
      final EndpointState s = states.get(endpoint);
      out.put(endpoint, new EndpointHealth(endpoint, s == null ? EndpointState.DOWN : s,
          s == null ? "not probed yet" : details.get(endpoint), s != null));
    }
    return out;
  }

  private EndpointState stateOf(String endpoint) {
    final MemberState s = detector.state(endpoint);
    if (s == null) {
      return EndpointState.DOWN; // never answered healthy
    }
    return switch (s) {
      case ALIVE -> EndpointState.UP;
      case SUSPECT -> EndpointState.SUSPECT;
      case DOWN -> EndpointState.DOWN;
    };
  }

  private void probe(String endpoint) {
    try {
      MilvusClientV2 client = clients.get(endpoint);
      if (client == null) {
        client = connector.apply(endpoint);
        client.retryConfig(RetryConfig.builder().maxRetryTimes(1).build());
        clients.put(endpoint, client);
      }
      final CheckHealthResp health = client.checkHealth();
      if (Boolean.TRUE.equals(health.getIsHealthy())) {
        details.put(endpoint, "healthy");
        detector.heartbeat(endpoint);
      } else {
        details.put(endpoint, "unhealthy: " + health.getReasons());
      }
    } catch (RuntimeException e) {
      details.put(endpoint, "no answer: " + e.getClass().getSimpleName() + ": " + e.getMessage());
      final MilvusClientV2 broken = clients.remove(endpoint);
      if (broken != null) {
        broken.close();
      }
    }
  }

  @Override
  public void close() {
    probes.shutdownNow();
    clients.values().forEach(MilvusClientV2::close);
    clients.clear();
  }
}
