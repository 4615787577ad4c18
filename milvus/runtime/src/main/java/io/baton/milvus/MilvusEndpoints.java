package io.baton.milvus;

import io.baton.store.MonotonicClock;
import io.quarkus.runtime.ShutdownEvent;
import io.quarkus.runtime.StartupEvent;
import jakarta.enterprise.event.Observes;
import jakarta.inject.Inject;
import jakarta.inject.Singleton;
import java.time.Duration;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import org.jboss.logging.Logger;

/**
 * The node's {@link MilvusEndpointMonitor} over {@code baton.milvus.endpoints}, probed every
 * {@code baton.milvus.probe-interval} from start-up on; absent when no endpoint is configured.
 * Logs each change of an endpoint's state in one line.
 */
@Singleton
public class MilvusEndpoints {
  private static final Logger LOG = Logger.getLogger(MilvusEndpoints.class);

  @Inject
  MilvusConfig config;

  private volatile MilvusEndpointMonitor monitor;
  private ScheduledExecutorService timer;

  void start(@Observes StartupEvent event) {
    final List<String> endpoints = config.endpoints().orElse(List.of()).stream().map(String::trim)
        .filter(s -> !s.isEmpty()).toList();
    check(config);
    if (endpoints.isEmpty()) {
      LOG.info("milvus: no endpoints configured (baton.milvus.endpoints), nothing to watch");
      return;
    }
    monitor = new MilvusEndpointMonitor(endpoints, config.timeout(), config.suspectAfter(), config.downAfter(),
        MonotonicClock.SYSTEM, null);
    timer = Executors.newSingleThreadScheduledExecutor(r -> {
      final Thread t = new Thread(r, "baton-milvus-monitor");
      t.setDaemon(true);
      return t;
    });
    timer.scheduleWithFixedDelay(this::probe, 0, config.probeInterval().toMillis(), TimeUnit.MILLISECONDS);
    LOG.infof("milvus: watching %s every %d ms (suspect after %d ms, down after %d ms)", endpoints,
        config.probeInterval().toMillis(), config.suspectAfter().toMillis(), config.downAfter().toMillis());
  }

  /** Refuses settings under which a healthy endpoint would flap, naming the properties. */
  static void check(MilvusConfig config) {
    positive(config.timeout(), "baton.milvus.timeout");
    positive(config.probeInterval(), "baton.milvus.probe-interval");
    if (config.suspectAfter().compareTo(config.probeInterval().plus(config.timeout())) <= 0) {
      throw new IllegalArgumentException("baton.milvus.suspect-after (" + config.suspectAfter().toMillis()
          + " ms) must exceed baton.milvus.probe-interval + baton.milvus.timeout ("
          + config.probeInterval().plus(config.timeout()).toMillis() + " ms)");
    }
    if (config.downAfter().compareTo(config.suspectAfter()) <= 0) {
      throw new IllegalArgumentException("baton.milvus.down-after (" + config.downAfter().toMillis()
          + " ms) must exceed baton.milvus.suspect-after (" + config.suspectAfter().toMillis() + " ms)");
    }
  }

  private static void positive(Duration d, String property) {
    if (d.isNegative() || d.isZero()) {
      throw new IllegalArgumentException(property + " must be positive, got " + d);
    }
  }

  private void probe() {
    try {
      for (MilvusEndpointMonitor.EndpointChange c : monitor.probeAll()) {
        LOG.infof("milvus endpoint %s: %s -> %s (%s)", c.endpoint(), c.from() == null ? "unknown" : c.from(), c.to(), c.detail());
      }
    } catch (RuntimeException e) {
      LOG.warnf(e, "milvus: probing the endpoints failed");
    }
  }

  /** The monitor, when endpoints are configured. */
  public Optional<MilvusEndpointMonitor> monitor() {
    return Optional.ofNullable(monitor);
  }

  void stop(@Observes ShutdownEvent event) {
    if (timer != null) {
      timer.shutdownNow();
    }
    if (monitor != null) {
      monitor.close();
    }
  }
}
