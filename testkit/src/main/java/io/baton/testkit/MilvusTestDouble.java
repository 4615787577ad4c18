package io.baton.testkit;

import com.google.protobuf.Descriptors;
import com.google.protobuf.Message;
import io.milvus.grpc.BoolResponse;
import io.milvus.grpc.CheckHealthRequest;
import io.milvus.grpc.CheckHealthResponse;
import io.milvus.grpc.CollectionSchema;
import io.milvus.grpc.ConnectRequest;
import io.milvus.grpc.ConnectResponse;
import io.milvus.grpc.DataType;
import io.milvus.grpc.DescribeCollectionRequest;
import io.milvus.grpc.DescribeCollectionResponse;
import io.milvus.grpc.ErrorCode;
import io.milvus.grpc.FieldSchema;
import io.milvus.grpc.GetLoadStateRequest;
import io.milvus.grpc.GetLoadStateResponse;
import io.milvus.grpc.GetLoadingProgressRequest;
import io.milvus.grpc.GetLoadingProgressResponse;
import io.milvus.grpc.GetReplicasRequest;
import io.milvus.grpc.GetReplicasResponse;
import io.milvus.grpc.HasCollectionRequest;
import io.milvus.grpc.IDs;
import io.milvus.grpc.InsertRequest;
import io.milvus.grpc.KeyValuePair;
import io.milvus.grpc.LoadCollectionRequest;
import io.milvus.grpc.LoadState;
import io.milvus.grpc.LongArray;
import io.milvus.grpc.MilvusServiceGrpc;
import io.milvus.grpc.MutationResult;
import io.milvus.grpc.ReleaseCollectionRequest;
import io.milvus.grpc.ReplicaInfo;
import io.milvus.grpc.SearchRequest;
import io.milvus.grpc.SearchResultData;
import io.milvus.grpc.SearchResults;
import io.milvus.grpc.ShowCollectionsRequest;
import io.milvus.grpc.ShowCollectionsResponse;
import io.milvus.grpc.Status;
import io.milvus.shaded.io.grpc.Server;
import io.milvus.shaded.io.grpc.netty.shaded.io.grpc.netty.NettyServerBuilder;
import io.milvus.shaded.io.grpc.stub.StreamObserver;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetSocketAddress;
import java.time.Duration;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Function;
import java.util.function.Supplier;

/**
 * A <b>test double</b> of a Milvus server, not a Milvus: an in-process gRPC server built from
 * milvus-sdk-java's own generated {@code MilvusService} classes, serving the few RPCs Baton's
 * Milvus module and its example use (Connect, CheckHealth, HasCollection, ShowCollections,
 * DescribeCollection, LoadCollection, GetLoadState, GetLoadingProgress, GetReplicas,
 * ReleaseCollection, Search, Insert), with just enough behaviour for {@code MilvusClientV2} to
 * accept its answers: collections with an Int64 key {@code id} and a float vector, a load that
 * takes {@link #loadTime} to finish, replicas, searches that return the first k ids. Every other
 * RPC answers UNIMPLEMENTED.
 *
 * <p>What a test commands: fail the next calls of an RPC with a gRPC code or a Milvus status code, slow every
 * call down, report itself unhealthy, stop and restart on the same port (a restart loses every
 * loaded collection, as a Milvus restart does until something loads them again), lose a replica.
 * It counts calls per RPC and loads per collection. [Thread-safe]
 */
public final class MilvusTestDouble implements AutoCloseable {
  private final String name;
  private final int port;
  private final Shared shared;
  private final Map<String, Collection> collections;
  private final Map<String, AtomicInteger> calls = new ConcurrentHashMap<>();
  private final Map<String, AtomicInteger> loads;
  private final Deque<Failure> failures = new ArrayDeque<>();
  private final AtomicLong ids;
  private volatile Duration delay = Duration.ZERO;
  private volatile String unhealthy;
  private Server server;

  private record Failure(String rpc, io.milvus.shaded.io.grpc.Status grpc, int milvusCode, String reason) {
  }

  private static final class Collection {
    final long id;
    final int dim;
    final List<Long> rows = new ArrayList<>();
    int replicas;
    long loadDoneAtNanos;
    boolean loaded;

    Collection(long id, int dim) {
      this.id = id;
      this.dim = dim;
    }
  }

  /** What the proxies of one Milvus share: its collections and their load state. */
  private static final class Shared {
    final Map<String, Collection> collections = new ConcurrentHashMap<>();
    final Map<String, AtomicInteger> loads = new ConcurrentHashMap<>();
    final AtomicLong ids = new AtomicLong(1000);
    volatile Duration loadTime = Duration.ZERO;
    volatile boolean loadsHeld;
  }

  private MilvusTestDouble(String name, int port, Shared shared) {
    this.name = name;
    this.port = port;
    this.shared = shared;
    this.collections = shared.collections;
    this.loads = shared.loads;
    this.ids = shared.ids;
  }

  /** Starts a double named {@code name} on a free loopback port. */
  public static MilvusTestDouble start(String name) {
    final MilvusTestDouble d = new MilvusTestDouble(name, Ports.free(), new Shared());
    d.startServer();
    return d;
  }

  /**
   * Starts another proxy of the same Milvus, on its own port: it shares this double's collections,
   * their load state and the load counts; calls, injected failures, delays, health and running
   * state are its own. {@link #restart()} of any proxy restarts the Milvus behind all of them.
   */
  public MilvusTestDouble addProxy(String proxyName) {
    final MilvusTestDouble d = new MilvusTestDouble(proxyName, Ports.free(), shared);
    d.startServer();
    return d;
  }

  public String name() {
    return name;
  }

  /** The URI a Milvus client connects to: {@code http://127.0.0.1:<port>}. */
  public String uri() {
    return "http://127.0.0.1:" + port;
  }

  public int port() {
    return port;
  }

  /** Creates a collection (not loaded) with an Int64 primary key {@code id} and a vector of {@code dim}. */
  public MilvusTestDouble createCollection(String collection, int dim) {
    collections.putIfAbsent(collection, new Collection(ids.incrementAndGet(), dim));
    return this;
  }

  /** How long a load takes from the LoadCollection call until the collection reports Loaded. */
  public MilvusTestDouble loadTime(Duration time) {
    shared.loadTime = time;
    return this;
  }

  /** Loads started from now on stay Loading until {@link #finishLoads()}. */
  public MilvusTestDouble holdLoads() {
    shared.loadsHeld = true;
    return this;
  }

  /** Lets held loads finish (they report Loaded once their load time has passed). */
  public MilvusTestDouble finishLoads() {
    shared.loadsHeld = false;
    return this;
  }

  /** Delays every call by {@code delay} before answering (ZERO: answer at once). */
  public MilvusTestDouble slow(Duration delay) {
    this.delay = delay;
    return this;
  }

  /** The next {@code n} calls of {@code rpc} (e.g. "Search"; "*" for any) fail with this gRPC status code. */
  public synchronized MilvusTestDouble failNext(String rpc, int n, io.milvus.shaded.io.grpc.Status.Code code) {
    for (int i = 0; i < n; i++) {
      failures.add(new Failure(rpc, io.milvus.shaded.io.grpc.Status.fromCode(code)
          .withDescription("test double " + name + ": injected " + code), 0, null));
    }
    return this;
  }

  /**
   * The next {@code n} calls of {@code rpc} ("*" for any) answer with a Milvus error status (e.g. 8:
   * rate limit, 100: collection not found).
   */
  public synchronized MilvusTestDouble rejectNext(String rpc, int n, int milvusCode, String reason) {
    for (int i = 0; i < n; i++) {
      failures.add(new Failure(rpc, null, milvusCode, reason));
    }
    return this;
  }

  /** Drops every injected failure, the delay and the unhealthy report. */
  public synchronized MilvusTestDouble heal() {
    failures.clear();
    delay = Duration.ZERO;
    unhealthy = null;
    return this;
  }

  /** CheckHealth answers not healthy with this reason (null: healthy again). */
  public MilvusTestDouble unhealthy(String reason) {
    this.unhealthy = reason;
    return this;
  }

  /** Takes one replica of a loaded collection away, as a lost query node does. */
  public MilvusTestDouble loseReplica(String collection) {
    final Collection c = existing(collection);
    synchronized (c) {
      c.replicas = Math.max(0, c.replicas - 1);
      c.loaded = c.replicas > 0 && c.loaded;
    }
    return this;
  }

  /** How many calls of {@code rpc} (e.g. "LoadCollection") arrived, failed ones included. */
  public int calls(String rpc) {
    final AtomicInteger n = calls.get(rpc);
    return n == null ? 0 : n.get();
  }

  /** How many LoadCollection calls for {@code collection} were accepted. */
  public int loads(String collection) {
    final AtomicInteger n = loads.get(collection);
    return n == null ? 0 : n.get();
  }

  /** The replicas a collection has now (0 when not loaded). */
  public int replicas(String collection) {
    final Collection c = existing(collection);
    synchronized (c) {
      return c.replicas;
    }
  }

  /** Whether a collection is fully loaded now. */
  public boolean isLoaded(String collection) {
    return state(existing(collection)) == LoadState.LoadStateLoaded;
  }

  /** Stops serving: the port refuses connections, as a crashed Milvus's does; returns once the port is free again. */
  public synchronized void stop() {
    if (server != null) {
      server.shutdownNow();
      try {
        server.awaitTermination(5, TimeUnit.SECONDS);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      }
      server = null;
      // stopped means the port is free, as after a process's exit: the gRPC server sometimes still
      // held its listening socket here, and a restart on the port failed with "Address already in use"
      Ports.awaitReleased(port, Duration.ofSeconds(5));
    }
  }

  /**
   * Serves again on the same port, with every collection kept but none loaded (on every proxy of
   * this Milvus: a Milvus restart).
   */
  public synchronized void restart() {
    stop();
    collections.values().forEach(c -> {
      synchronized (c) {
        c.loaded = false;
        c.replicas = 0;
      }
    });
    startServer();
  }

  public synchronized boolean isRunning() {
    return server != null;
  }

  @Override
  public void close() {
    stop();
  }

  private synchronized void startServer() {
    try {
      server = NettyServerBuilder.forAddress(new InetSocketAddress("127.0.0.1", port)).addService(new Service()).build().start();
    } catch (IOException e) {
      throw new UncheckedIOException("test double " + name + ": cannot serve on port " + port, e);
    }
  }

  private Collection existing(String collection) {
    final Collection c = collections.get(collection);
    if (c == null) {
      throw new IllegalArgumentException("test double " + name + " has no collection " + collection);
    }
    return c;
  }

  private LoadState state(Collection c) {
    synchronized (c) {
      if (c.replicas == 0) {
        return LoadState.LoadStateNotLoad;
      }
      if (!c.loaded && !shared.loadsHeld && System.nanoTime() - c.loadDoneAtNanos >= 0) {
        c.loaded = true;
      }
      return c.loaded ? LoadState.LoadStateLoaded : LoadState.LoadStateLoading;
    }
  }

  private static Status ok() {
    return Status.newBuilder().build();
  }

  private static Status error(int code, String reason) {
    return Status.newBuilder().setCode(code).setErrorCode(ErrorCode.UnexpectedError).setReason(reason).build();
  }

  private static Status notFound(String collection) {
    return error(100, "collection not found[collection=" + collection + "]");
  }

  private final class Service extends MilvusServiceGrpc.MilvusServiceImplBase {
    /**
     * Runs one RPC: counts it, waits the configured delay, applies the next injected failure,
     * else answers with {@code answer}.
     */
    private <T extends Message> void serve(String rpc, StreamObserver<T> out, T defaultInstance, Supplier<T> answer) {
      calls.computeIfAbsent(rpc, k -> new AtomicInteger()).incrementAndGet();
      final Duration d = delay;
      if (!d.isZero()) {
        try {
          Thread.sleep(d.toMillis());
        } catch (InterruptedException e) {
          Thread.currentThread().interrupt();
        }
      }
      Failure f = null;
      synchronized (MilvusTestDouble.this) {
        for (Iterator<Failure> it = failures.iterator(); it.hasNext(); ) {
          final Failure candidate = it.next();
          if (candidate.rpc().equals("*") || candidate.rpc().equals(rpc)) {
            it.remove();
            f = candidate;
            break;
          }
        }
      }
      try {
        if (f != null && f.grpc() != null) {
          out.onError(f.grpc().asRuntimeException());
          return;
        }
        if (f != null) {
          out.onNext(withStatus(defaultInstance, error(f.milvusCode(), f.reason())));
        } else {
          out.onNext(answer.get());
        }
        out.onCompleted();
      } catch (RuntimeException e) {
        out.onError(io.milvus.shaded.io.grpc.Status.INTERNAL.withDescription("test double " + name + ": " + e).asRuntimeException());
      }
    }

    /** A response of {@code defaultInstance}'s type that carries only {@code status} (its field "status"). */
    @SuppressWarnings("unchecked")
    private <T extends Message> T withStatus(T defaultInstance, Status status) {
      if (defaultInstance instanceof Status) {
        return (T) status;
      }
      final Message.Builder b = defaultInstance.newBuilderForType();
      final Descriptors.FieldDescriptor field = b.getDescriptorForType().findFieldByName("status");
      return (T) b.setField(field, status).build();
    }

    /** Runs one RPC on a collection: "collection not found" (Milvus code 100) when there is none. */
    private <T extends Message> void serveCollection(String rpc, String collection, StreamObserver<T> out,
        T defaultInstance, Function<Collection, T> answer) {
      serve(rpc, out, defaultInstance, () -> {
        final Collection c = collections.get(collection);
        return c == null ? withStatus(defaultInstance, notFound(collection)) : answer.apply(c);
      });
    }

    @Override
    public void connect(ConnectRequest request, StreamObserver<ConnectResponse> out) {
      serve("Connect", out, ConnectResponse.getDefaultInstance(),
          () -> ConnectResponse.newBuilder().setStatus(ok()).setIdentifier(ids.incrementAndGet()).build());
    }

    @Override
    public void checkHealth(CheckHealthRequest request, StreamObserver<CheckHealthResponse> out) {
      serve("CheckHealth", out, CheckHealthResponse.getDefaultInstance(), () -> {
        final String reason = unhealthy;
        final CheckHealthResponse.Builder b = CheckHealthResponse.newBuilder().setStatus(ok()).setIsHealthy(reason == null);
        if (reason != null) {
          b.addReasons(reason);
        }
        return b.build();
      });
    }

    @Override
    public void hasCollection(HasCollectionRequest request, StreamObserver<BoolResponse> out) {
      serve("HasCollection", out, BoolResponse.getDefaultInstance(),
          () -> BoolResponse.newBuilder().setStatus(ok()).setValue(collections.containsKey(request.getCollectionName())).build());
    }

    @Override
    public void showCollections(ShowCollectionsRequest request, StreamObserver<ShowCollectionsResponse> out) {
      serve("ShowCollections", out, ShowCollectionsResponse.getDefaultInstance(),
          () -> ShowCollectionsResponse.newBuilder().setStatus(ok()).addAllCollectionNames(new TreeMap<>(collections).keySet()).build());
    }

    @Override
    public void describeCollection(DescribeCollectionRequest request, StreamObserver<DescribeCollectionResponse> out) {
      serveCollection("DescribeCollection", request.getCollectionName(), out,
          DescribeCollectionResponse.getDefaultInstance(), c -> {
        return DescribeCollectionResponse.newBuilder().setStatus(ok()).setCollectionName(request.getCollectionName())
            .setCollectionID(c.id).setShardsNum(1)
            .setSchema(CollectionSchema.newBuilder().setName(request.getCollectionName())
                .addFields(FieldSchema.newBuilder().setFieldID(100).setName("id").setDataType(DataType.Int64).setIsPrimaryKey(true))
                .addFields(FieldSchema.newBuilder().setFieldID(101).setName("vector").setDataType(DataType.FloatVector)
                    .addTypeParams(KeyValuePair.newBuilder().setKey("dim").setValue(Integer.toString(c.dim)))))
            .build();
      });
    }

    @Override
    public void loadCollection(LoadCollectionRequest request, StreamObserver<Status> out) {
      serveCollection("LoadCollection", request.getCollectionName(), out, Status.getDefaultInstance(), c -> {
        synchronized (c) {
          final int replicas = Math.max(1, request.getReplicaNumber());
          if (c.replicas != replicas) {
            c.replicas = replicas;
            c.loaded = false;
            c.loadDoneAtNanos = System.nanoTime() + shared.loadTime.toNanos();
          }
        }
        loads.computeIfAbsent(request.getCollectionName(), k -> new AtomicInteger()).incrementAndGet();
        return ok();
      });
    }

    @Override
    public void getLoadState(GetLoadStateRequest request, StreamObserver<GetLoadStateResponse> out) {
      serveCollection("GetLoadState", request.getCollectionName(), out,
          GetLoadStateResponse.getDefaultInstance(), c -> {
        return GetLoadStateResponse.newBuilder().setStatus(ok()).setState(state(c)).build();
      });
    }

    @Override
    public void getLoadingProgress(GetLoadingProgressRequest request, StreamObserver<GetLoadingProgressResponse> out) {
      serveCollection("GetLoadingProgress", request.getCollectionName(), out,
          GetLoadingProgressResponse.getDefaultInstance(), c -> {
        final LoadState s = state(c);
        return GetLoadingProgressResponse.newBuilder().setStatus(ok())
            .setProgress(s == LoadState.LoadStateLoaded ? 100 : s == LoadState.LoadStateLoading ? 50 : 0).build();
      });
    }

    @Override
    public void getReplicas(GetReplicasRequest request, StreamObserver<GetReplicasResponse> out) {
      serveCollection("GetReplicas", request.getCollectionName(), out,
          GetReplicasResponse.getDefaultInstance(), c -> {
        final GetReplicasResponse.Builder b = GetReplicasResponse.newBuilder().setStatus(ok());
        synchronized (c) {
          for (int i = 0; i < c.replicas; i++) {
            b.addReplicas(ReplicaInfo.newBuilder().setReplicaID(c.id * 100 + i).setCollectionID(c.id).addNodeIds(i + 1)
                .setResourceGroupName("__default_resource_group"));
          }
        }
        return b.build();
      });
    }

    @Override
    public void releaseCollection(ReleaseCollectionRequest request, StreamObserver<Status> out) {
      serveCollection("ReleaseCollection", request.getCollectionName(), out, Status.getDefaultInstance(), c -> {
        synchronized (c) {
          c.replicas = 0;
          c.loaded = false;
        }
        return ok();
      });
    }

    @Override
    public void search(SearchRequest request, StreamObserver<SearchResults> out) {
      serveCollection("Search", request.getCollectionName(), out, SearchResults.getDefaultInstance(), c -> {
        if (state(c) != LoadState.LoadStateLoaded) {
          return SearchResults.newBuilder().setStatus(error(101, "collection not loaded[collection=" + request.getCollectionName() + "]")).build();
        }
        final List<Long> hits;
        synchronized (c) {
          hits = List.copyOf(c.rows.subList(0, Math.min(c.rows.size(), topK(request))));
        }
        final SearchResultData.Builder data = SearchResultData.newBuilder().setNumQueries(1).setTopK(hits.size())
            .addTopks(hits.size()).setIds(IDs.newBuilder().setIntId(LongArray.newBuilder().addAllData(hits)))
            .setPrimaryFieldName("id");
        for (int i = 0; i < hits.size(); i++) {
          data.addScores(1.0f - i * 0.01f);
        }
        return SearchResults.newBuilder().setStatus(ok()).setCollectionName(request.getCollectionName()).setResults(data).build();
      });
    }

    private int topK(SearchRequest request) {
      for (KeyValuePair p : request.getSearchParamsList()) {
        if (p.getKey().equals("topk") || p.getKey().equals("limit")) {
          try {
            return Integer.parseInt(p.getValue());
          } catch (NumberFormatException e) {
            return 10;
          }
        }
      }
      return 10;
    }

    @Override
    public void insert(InsertRequest request, StreamObserver<MutationResult> out) {
      serveCollection("Insert", request.getCollectionName(), out, MutationResult.getDefaultInstance(), c -> {
        final List<Long> keys = request.getFieldsDataList().stream().filter(f -> f.getFieldName().equals("id"))
            .findFirst().map(f -> f.getScalars().getLongData().getDataList()).orElse(List.of());
        synchronized (c) {
          c.rows.addAll(keys);
        }
        return MutationResult.newBuilder().setStatus(ok()).setInsertCnt(keys.size())
            .setIDs(IDs.newBuilder().setIntId(LongArray.newBuilder().addAllData(keys))).build();
      });
    }
  }
}
