package io.baton.milvus;

import io.baton.store.MonotonicClock;
import io.milvus.v2.client.ConnectConfig;
import io.milvus.v2.client.MilvusClientV2;
import io.milvus.v2.client.RetryConfig;
import io.milvus.v2.service.vector.request.InsertReq;
import io.milvus.v2.service.vector.request.QueryReq;
import io.milvus.v2.service.vector.request.SearchReq;
import io.milvus.v2.service.vector.request.UpsertReq;
import io.milvus.v2.service.vector.response.InsertResp;
import io.milvus.v2.service.vector.response.QueryResp;
import io.milvus.v2.service.vector.response.SearchResp;
import io.milvus.v2.service.vector.response.UpsertResp;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ThreadLocalRandom;
import java.util.function.DoubleSupplier;
import java.util.function.Function;
import org.jboss.logging.Logger;

/**
 * A Milvus client for services that call Milvus, over several endpoints (Milvus proxies), that
 * rides through the failure of some of them:
 * <ul>
 * <li><b>failover</b>: each attempt goes to the next endpoint in round-robin order that this call
 *     has not tried yet and that is in rotation;</li>
 * <li><b>retries</b> bounded three ways: at most {@code maxAttempts} per call, no retry past the
 *     call's {@code callTimeout}, and a client-wide {@link RetryBudget}; between attempts an
 *     exponential {@link Backoff} with full jitter;</li>
 * <li><b>outlier ejection</b> per endpoint ({@link OutlierEjection}, on resilience4j circuit
 *     breakers): an endpoint failing again and again leaves rotation for a growing time, never more
 *     than half the endpoints at once;</li>
 * <li><b>classification</b> ({@link MilvusErrors}): only failures another attempt can fix are
 *     retried. A <b>non-idempotent</b> call (insert) is retried only when it provably was not
 *     applied (the client could not connect, or Milvus refused it for now, e.g. rate limited); after
 *     it reached an endpoint that then failed, it fails with
 *     {@link MilvusCallException#outcomeUnknown()} rather than risk a duplicate. Searches, queries
 *     and upserts are idempotent and retried.</li>
 * </ul>
 * milvus-sdk-java's own retries are turned off (its default would retry 75 times over minutes),
 * and each attempt has its own deadline ({@code attemptTimeout}).
 *
 * <p>Time comes from the injected {@link MonotonicClock} and waits go through the injected
 * {@link Sleeper}, so tests script both. [Thread-safe]
 */
public final class ResilientMilvusClient implements AutoCloseable {
  private static final Logger LOG = Logger.getLogger(ResilientMilvusClient.class);

  /** Waits between attempts; tests pass one that advances a scripted clock. */
  @FunctionalInterface
  public interface Sleeper {
    Sleeper SYSTEM = d -> Thread.sleep(d.toMillis(), d.toNanosPart() % 1_000_000);

    void sleep(Duration duration) throws InterruptedException;
  }

  /** Whether repeating a call can change the outcome. */
  public enum Idempotence {
    /** Reads, upserts, loads: repeating them is harmless. */
    IDEMPOTENT,
    /** Inserts: a repeat may duplicate rows. */
    NOT_IDEMPOTENT
  }

  private final EndpointPool pool;
  private final Map<String, MilvusClientV2> clients = new ConcurrentHashMap<>();
  private final Function<String, MilvusClientV2> connector;
  private final MonotonicClock clock;
  private final Sleeper sleeper;
  private final Backoff backoff;
  private final RetryBudget budget;
  private final int maxAttempts;
  private final long callTimeoutNanos;
  private volatile boolean closed;

  private ResilientMilvusClient(Builder b) {
    this.clock = b.clock;
    this.sleeper = b.sleeper;
    this.backoff = new Backoff(b.backoffBase, b.backoffMax, b.random);
    this.budget = new RetryBudget(b.budgetTokens, b.budgetTokenRatio);
    this.maxAttempts = b.maxAttempts;
    this.callTimeoutNanos = b.callTimeout.toNanos();
    this.pool = new EndpointPool(b.endpoints, b.ejection, b.clock);
    final long connectMs = b.connectTimeout.toMillis();
    final long attemptMs = b.attemptTimeout.toMillis();
    this.connector = b.connector != null ? b.connector
        : uri -> new MilvusClientV2(ConnectConfig.builder().uri(uri).connectTimeoutMs(connectMs).rpcDeadlineMs(attemptMs).build());
  }

  public static Builder builder(List<String> endpoints) {
    return new Builder(endpoints);
  }

  /** Searches (idempotent: retried and failed over). */
  public SearchResp search(SearchReq request) {
    return call("search", Idempotence.IDEMPOTENT, c -> c.search(request));
  }

  /** Queries (idempotent). */
  public QueryResp query(QueryReq request) {
    return call("query", Idempotence.IDEMPOTENT, c -> c.query(request));
  }

  /** Upserts (idempotent by primary key: the safe way to write through failures). */
  public UpsertResp upsert(UpsertReq request) {
    return call("upsert", Idempotence.IDEMPOTENT, c -> c.upsert(request));
  }

  /**
   * Inserts (not idempotent): retried only when provably not applied; otherwise fails with
   * {@link MilvusCallException#outcomeUnknown()} set.
   */
  public InsertResp insert(InsertReq request) {
    return call("insert", Idempotence.NOT_IDEMPOTENT, c -> c.insert(request));
  }

  /**
   * Runs {@code call} against one endpoint's {@link MilvusClientV2} after another until it
   * succeeds or the retry bounds are reached.
   *
   * @throws MilvusCallException when every allowed attempt failed or the failure is not retryable
   */
  public <T> T call(String operation, Idempotence idempotence, Function<MilvusClientV2, T> call) {
    if (closed) {
      throw new IllegalStateException("this Milvus client is closed");
    }
    final long deadline = clock.nanoTime() + callTimeoutNanos;
    final Set<String> tried = new HashSet<>();
    final List<String> order = new ArrayList<>();
    for (int attempt = 1; ; attempt++) {
      Optional<EndpointPool.Endpoint> next = pool.acquire(tried);
      if (next.isEmpty() && !tried.isEmpty()) {
        tried.clear();
        next = pool.acquire(tried);
      }
      if (next.isEmpty()) {
        throw new MilvusCallException(operation, "no endpoint in rotation (every one ejected or on trial)", null,
            attempt - 1, order, false, null);
      }
      final EndpointPool.Endpoint endpoint = next.get();
      tried.add(endpoint.uri());
      order.add(endpoint.uri());
      final long start = clock.nanoTime();
      final MilvusErrors.Kind kind;
      final RuntimeException failure;
      try {
        final T result = call.apply(client(endpoint.uri()));
        pool.answered(endpoint, clock.nanoTime() - start);
        budget.onSuccess();
        return result;
      } catch (RuntimeException e) {
        failure = e;
        kind = MilvusErrors.classify(e);
      }
      if (kind.endpointError()) {
        pool.failed(endpoint, clock.nanoTime() - start, failure);
      } else {
        pool.answered(endpoint, clock.nanoTime() - start);
      }
      if (kind.retryable()) {
        budget.onFailure(); // a rejected request says nothing about the cluster's health: it spends no retry token
      }
      final String why;
      if (!kind.retryable()) {
        why = "not retryable (" + kind + ")";
      } else if (idempotence == Idempotence.NOT_IDEMPOTENT && kind == MilvusErrors.Kind.UNAVAILABLE) {
        throw new MilvusCallException(operation, "not idempotent, not retried (" + kind + ")", kind, attempt, order, true, failure);
      } else if (attempt >= maxAttempts) {
        why = "no attempts left (" + maxAttempts + ")";
      } else if (!budget.allowsRetry()) {
        why = "retry budget spent (" + String.format("%.1f", budget.tokens()) + " tokens left)";
      } else {
        final Duration delay = backoff.delay(attempt);
        if (clock.nanoTime() + delay.toNanos() >= deadline) {
          why = "call timeout (" + Duration.ofNanos(callTimeoutNanos).toMillis() + " ms) reached";
        } else {
          LOG.debugf("milvus %s: attempt %d on %s failed (%s), retrying in %d ms: %s", operation, attempt, endpoint.uri(),
              kind, delay.toMillis(), failure.getMessage());
          try {
            sleeper.sleep(delay);
          } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new MilvusCallException(operation, "interrupted while backing off", kind, attempt, order, false, failure);
          }
          continue;
        }
      }
      throw new MilvusCallException(operation, why, kind, attempt, order, false, failure);
    }
  }

  /** Each endpoint and whether it is in rotation: IN_ROTATION, EJECTED or ON_TRIAL. */
  public Map<String, String> endpointStates() {
    final Map<String, String> out = new LinkedHashMap<>();
    for (EndpointPool.Endpoint e : pool.endpoints()) {
      out.put(e.uri(), switch (e.breaker().getState()) {
        case OPEN, FORCED_OPEN -> "EJECTED";
        case HALF_OPEN -> "ON_TRIAL";
        default -> "IN_ROTATION";
      });
    }
    return out;
  }

  /** The client of one endpoint, connecting on first use. */
  private MilvusClientV2 client(String uri) {
    final MilvusClientV2 existing = clients.get(uri);
    if (existing != null) {
      return existing;
    }
    final MilvusClientV2 created;
    try {
      created = connector.apply(uri);
    } catch (RuntimeException e) {
      throw new MilvusErrors.ConnectFailedException(uri, e);
    }
    created.retryConfig(RetryConfig.builder().maxRetryTimes(1).build());
    final MilvusClientV2 raced = clients.putIfAbsent(uri, created);
    if (raced != null) {
      created.close();
      return raced;
    }
    return created;
  }

  @Override
  public void close() {
    closed = true;
    clients.values().forEach(MilvusClientV2::close);
    clients.clear();
  }

  /** Settings, each with a default. */
  public static final class Builder {
    private final List<String> endpoints;
    private MonotonicClock clock = MonotonicClock.SYSTEM;
    private Sleeper sleeper = Sleeper.SYSTEM;
    private DoubleSupplier random = () -> ThreadLocalRandom.current().nextDouble();
    private int maxAttempts = 3;
    private Duration backoffBase = Duration.ofMillis(50);
    private Duration backoffMax = Duration.ofSeconds(2);
    private Duration callTimeout = Duration.ofSeconds(10);
    private Duration attemptTimeout = Duration.ofSeconds(2);
    private Duration connectTimeout = Duration.ofSeconds(2);
    private int budgetTokens = 20;
    private double budgetTokenRatio = 0.5;
    private OutlierEjection ejection = OutlierEjection.DEFAULTS;
    private Function<String, MilvusClientV2> connector;

    private Builder(List<String> endpoints) {
      final List<String> list = new ArrayList<>();
      for (String e : Objects.requireNonNull(endpoints, "endpoints")) {
        final String trimmed = e.trim();
        if (trimmed.isEmpty()) {
          throw new IllegalArgumentException("an empty Milvus endpoint in " + endpoints);
        }
        if (list.contains(trimmed)) {
          throw new IllegalArgumentException("Milvus endpoint " + trimmed + " listed twice");
        }
        list.add(trimmed);
      }
      this.endpoints = List.copyOf(list);
    }

    public Builder clock(MonotonicClock clock) {
      this.clock = Objects.requireNonNull(clock);
      return this;
    }

    public Builder sleeper(Sleeper sleeper) {
      this.sleeper = Objects.requireNonNull(sleeper);
      return this;
    }

    /** Uniform values in [0, 1) for the jitter (default: {@link ThreadLocalRandom}). */
    public Builder random(DoubleSupplier random) {
      this.random = Objects.requireNonNull(random);
      return this;
    }

    /** Attempts per call, the first included (default 3). */
    public Builder maxAttempts(int maxAttempts) {
      if (maxAttempts < 1) {
        throw new IllegalArgumentException("maxAttempts must be at least 1, got " + maxAttempts);
      }
      this.maxAttempts = maxAttempts;
      return this;
    }

    /** Full-jitter backoff: the first retry waits up to {@code base}, doubling up to {@code max} (50 ms, 2 s). */
    public Builder backoff(Duration base, Duration max) {
      this.backoffBase = base;
      this.backoffMax = max;
      return this;
    }

    /** No retry starts after this time from the call's start (default 10 s). */
    public Builder callTimeout(Duration timeout) {
      this.callTimeout = positive(timeout, "callTimeout");
      return this;
    }

    /** The deadline of each attempt's RPCs (milvus-sdk-java's rpcDeadlineMs; default 2 s). */
    public Builder attemptTimeout(Duration timeout) {
      this.attemptTimeout = positive(timeout, "attemptTimeout");
      return this;
    }

    /** How long connecting to an endpoint may take (default 2 s). */
    public Builder connectTimeout(Duration timeout) {
      this.connectTimeout = positive(timeout, "connectTimeout");
      return this;
    }

    /** The client-wide retry budget (default 20 tokens, 0.5 back per success: retries go on while fewer than two attempts in three fail; see {@link RetryBudget}). */
    public Builder retryBudget(int tokens, double tokenRatio) {
      new RetryBudget(tokens, tokenRatio);
      this.budgetTokens = tokens;
      this.budgetTokenRatio = tokenRatio;
      return this;
    }

    public Builder outlierEjection(OutlierEjection ejection) {
      this.ejection = Objects.requireNonNull(ejection);
      return this;
    }

    /**
     * How to create the client of one endpoint URI (for TLS, a token, a database); the default
     * connects in plain text with the connect and attempt timeouts. Its own retries are turned off
     * whatever it sets.
     */
    public Builder connector(Function<String, MilvusClientV2> connector) {
      this.connector = Objects.requireNonNull(connector);
      return this;
    }

    /** The client; fails with IllegalArgumentException on settings that do not fit together (e.g. a backoff max below its base). */
    public ResilientMilvusClient build() {
      return new ResilientMilvusClient(this);
    }

    private static Duration positive(Duration d, String name) {
      if (d.isNegative() || d.isZero()) {
        throw new IllegalArgumentException(name + " must be positive, got " + d);
      }
      return d;
    }
  }
}
