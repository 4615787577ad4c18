package io.baton.milvus;

import io.baton.store.Futures;
import io.baton.store.KeyValue;
import io.baton.store.MetadataStore;
import io.baton.store.StaleEpochException;
import io.milvus.grpc.LoadState;
import io.milvus.v2.service.collection.request.DescribeReplicasReq;
import io.milvus.v2.service.collection.request.GetLoadStateReq;
import io.milvus.v2.service.collection.request.HasCollectionReq;
import io.milvus.v2.service.collection.request.LoadCollectionReq;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.function.BooleanSupplier;
import org.jboss.logging.Logger;

/**
 * Keeps Milvus collections loaded with their configured number of replicas (what
 * {@code load_collection(replica_number=n)} asks for), as the active of a {@code replica-keeper}
 * role: each {@link #reconcile} pass compares what Milvus reports with the targets and loads what
 * is missing, after a Milvus restart or a lost replica too.
 *
 * <p><b>Each action is recorded in the replicated metadata, fenced by the activation's epoch</b>,
 * under {@code <prefix>collections/<name>}: {@code APPLYING} before the load is sent, {@code APPLIED}
 * once Milvus accepted it, {@code DONE} once Milvus reports the collection loaded with its replicas.
 * A new active continues from the record instead of redoing the work: an {@code APPLYING} or
 * {@code APPLIED} load that Milvus shows loading or loaded is not sent again. A deposed active's
 * record writes are rejected ({@link StaleEpochException}) and its pass stops there. What fencing
 * cannot stop: a load the deposed active already had in flight when it lost the role; Milvus takes
 * no fencing token, and a LoadCollection with the same replica number is idempotent in Milvus, so
 * such a straggler changes nothing. [Not thread-safe: one pass at a time, on the role's thread]
 */
public final class ReplicaKeeper {
  private static final Logger LOG = Logger.getLogger(ReplicaKeeper.class);

  /** A collection and the replicas it should be loaded with. */
  public record Target(String collection, int replicas) {
    public Target {
      if (collection == null || collection.isBlank()) {
        throw new IllegalArgumentException("a replica target needs a collection name");
      }
      if (replicas < 1) {
        throw new IllegalArgumentException("collection " + collection + ": replicas must be at least 1, got " + replicas);
      }
    }

    /** Parses {@code name:replicas} (or {@code name}, one replica). */
    public static Target parse(String spec) {
      final String s = spec.trim();
      final int colon = s.lastIndexOf(':');
      if (colon < 0) {
        return new Target(s, 1);
      }
      try {
        return new Target(s.substring(0, colon), Integer.parseInt(s.substring(colon + 1).trim()));
      } catch (NumberFormatException e) {
        throw new IllegalArgumentException("'" + spec + "' is not <collection>:<replicas>");
      }
    }
  }

  /** Where an action stands. */
  public enum Phase {
    /** Recorded before the load is sent: it may or may not have reached Milvus. */
    APPLYING,
    /** Milvus accepted the load. */
    APPLIED,
    /** Milvus reports the collection loaded with its target replicas. */
    DONE
  }

  /**
   * The record of the last action on a collection.
   *
   * @param seq   how many actions were taken on the collection so far (1 for the first)
   * @param epoch the epoch of the activation that took it
   */
  public record Action(String collection, int replicas, Phase phase, long seq, long epoch, String node) {
    /** The record's text: {@code phase=DONE replicas=2 seq=1 epoch=7 node=n1}. */
    public String encode() {
      return "phase=" + phase + " replicas=" + replicas + " seq=" + seq + " epoch=" + epoch + " node=" + node;
    }

    static Action decode(String collection, String text) {
      final Map<String, String> f = new LinkedHashMap<>();
      for (String part : text.trim().split(" ")) {
        final int eq = part.indexOf('=');
        if (eq > 0) {
          f.put(part.substring(0, eq), part.substring(eq + 1));
        }
      }
      try {
        return new Action(collection, Integer.parseInt(f.get("replicas")), Phase.valueOf(f.get("phase")),
            Long.parseLong(f.get("seq")), Long.parseLong(f.get("epoch")), f.get("node"));
      } catch (RuntimeException e) {
        throw new IllegalStateException("replica-keeper record of " + collection + " is malformed: '" + text + "'", e);
      }
    }
  }

  /** What one pass found and did for a collection. */
  public record Outcome(String collection, String status, Action record) {
  }

  private final ResilientMilvusClient milvus;
  private final List<Target> targets;
  private final String node;
  private final long timeoutMs;

  public ReplicaKeeper(ResilientMilvusClient milvus, List<Target> targets, String node, java.time.Duration storeTimeout) {
    this.milvus = Objects.requireNonNull(milvus);
    this.targets = List.copyOf(targets);
    this.node = Objects.requireNonNull(node);
    this.timeoutMs = storeTimeout.toMillis();
  }

  public List<Target> targets() {
    return targets;
  }

  /** The key of a collection's record under the role's state prefix. */
  public static String recordKey(String prefix, String collection) {
    return prefix + "collections/" + collection;
  }

  /**
   * One pass over every target on behalf of the activation with {@code epoch}, writing records
   * through {@code store} (fenced by that epoch). Stops early, without touching Milvus again, once
   * {@code stillActive} says no or a record write is rejected as stale.
   */
  public List<Outcome> reconcile(MetadataStore store, String prefix, long epoch, BooleanSupplier stillActive) {
    final List<Outcome> outcomes = new ArrayList<>();
    for (Target t : targets) {
      if (!stillActive.getAsBoolean()) {
        break;
      }
      try {
        outcomes.add(reconcile(t, store, prefix, epoch, stillActive));
      } catch (StaleEpochException e) {
        LOG.infof("node %s role=replica-keeper epoch=%d: deposed while reconciling %s, stopping", node, epoch, t.collection());
        break;
      } catch (MilvusCallException e) {
        outcomes.add(new Outcome(t.collection(), "milvus error: " + e.getMessage(), read(store, prefix, t.collection())));
      }
    }
    return outcomes;
  }

  private Outcome reconcile(Target t, MetadataStore store, String prefix, long epoch, BooleanSupplier stillActive) {
    final String c = t.collection();
    final Action record = read(store, prefix, c);
    final boolean exists = milvus.call("hasCollection", ResilientMilvusClient.Idempotence.IDEMPOTENT,
        m -> m.hasCollection(HasCollectionReq.builder().collectionName(c).build()));
    if (!exists) {
      return new Outcome(c, "missing: Milvus has no collection " + c, record);
    }
    final LoadState state = milvus.call("getLoadState", ResilientMilvusClient.Idempotence.IDEMPOTENT,
        m -> m.getLoadStateV2(GetLoadStateReq.builder().collectionName(c).build())).getState();
    final int replicas = state == LoadState.LoadStateNotLoad ? 0
        : milvus.call("describeReplicas", ResilientMilvusClient.Idempotence.IDEMPOTENT,
            m -> m.describeReplicas(DescribeReplicasReq.builder().collectionName(c).build())).getReplicas().size();
    final boolean pending = record != null && record.replicas() == t.replicas() && record.phase() != Phase.DONE;

    if (state == LoadState.LoadStateLoaded && replicas == t.replicas()) {
      if (record == null || record.phase() != Phase.DONE || record.replicas() != t.replicas()) {
        final long seq = record == null ? 0 : record.seq();
        return new Outcome(c, "converged", write(store, prefix, new Action(c, t.replicas(), Phase.DONE, seq, epoch, node)));
      }
      return new Outcome(c, "converged", record);
    }
    if (state == LoadState.LoadStateLoading && replicas == t.replicas()) {
      if (pending && record.phase() == Phase.APPLYING) {
        // the load was sent (by this or an earlier activation) and took effect: do not send it again
        return new Outcome(c, "loading", write(store, prefix,
            new Action(c, t.replicas(), Phase.APPLIED, record.seq(), epoch, node)));
      }
      return new Outcome(c, "loading", record);
    }
    // not loaded, or loaded with other replicas: load (again)
    if (!stillActive.getAsBoolean()) {
      return new Outcome(c, "not acting: no longer active", record);
    }
    final long seq = (record == null ? 0 : record.seq()) + 1;
    final Action applying = write(store, prefix, new Action(c, t.replicas(), Phase.APPLYING, seq, epoch, node));
    LOG.infof("node %s role=replica-keeper epoch=%d: loading %s with %d replica(s) (Milvus has %d, %s), action %d", node,
        epoch, c, t.replicas(), replicas, state, seq);
    milvus.call("loadCollection", ResilientMilvusClient.Idempotence.IDEMPOTENT,
        m -> {
          m.loadCollection(LoadCollectionReq.builder().collectionName(c).numReplicas(t.replicas()).sync(false).build());
          return null;
        });
    return new Outcome(c, "load sent", write(store, prefix, new Action(c, t.replicas(), Phase.APPLIED, applying.seq(), epoch, node)));
  }

  /** The record of a collection, or null (read linearizably). */
  public Action read(MetadataStore store, String prefix, String collection) {
    final List<KeyValue> kvs = await(store.get(recordKey(prefix, collection))).kvs();
    return kvs.isEmpty() ? null : Action.decode(collection, new String(kvs.get(0).value(), StandardCharsets.UTF_8));
  }

  private Action write(MetadataStore store, String prefix, Action action) {
    await(store.put(recordKey(prefix, action.collection()), action.encode()));
    return action;
  }

  private <T> T await(java.util.concurrent.CompletableFuture<T> f) {
    try {
      return f.get(timeoutMs, TimeUnit.MILLISECONDS);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException("interrupted", e);
    } catch (TimeoutException e) {
      throw new IllegalStateException("the metadata store did not answer within " + timeoutMs + " ms", e);
    } catch (ExecutionException e) {
      final Throwable cause = Futures.unwrap(e);
      if (cause instanceof RuntimeException r) {
        throw r;
      }
      throw new IllegalStateException(cause);
    }
  }
}
