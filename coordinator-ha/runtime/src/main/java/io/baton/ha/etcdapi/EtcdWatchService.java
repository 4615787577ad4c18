package io.baton.ha.etcdapi;

import io.baton.store.BatonException;
import io.baton.store.CompactedException;
import io.baton.store.KeyValue;
import io.baton.store.ReadConsistency;
import io.baton.store.Watch;
import io.baton.store.WatchEvent;
import io.baton.store.WatchListener;
import io.etcd.jetcd.api.Event;
import io.etcd.jetcd.api.WatchCreateRequest;
import io.etcd.jetcd.api.WatchGrpc;
import io.etcd.jetcd.api.WatchRequest;
import io.etcd.jetcd.api.WatchResponse;
import io.grpc.Status;
import io.grpc.stub.ServerCallStreamObserver;
import io.grpc.stub.StreamObserver;
import io.quarkus.grpc.GrpcService;
import jakarta.inject.Inject;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * etcd's Watch service ({@code etcdserverpb.Watch}) on the store's watches: any number of watches
 * per stream, created and canceled by the client; a key, a prefix or a key range; from a start
 * revision (as far back as the store's event history goes, else canceled with
 * {@code compact_revision} as etcd does); the NOPUT and NODELETE filters; progress requests. The
 * events of one revision arrive in one response. {@code prev_kv}: from the range's state read when
 * the watch is created (see {@link PrevKvs}). Not supported: fragmenting, periodic progress
 * notifications.
 */
@GrpcService
@jakarta.inject.Singleton
public class EtcdWatchService extends WatchGrpc.WatchImplBase {
  /** A watch created but not registered with the store yet (its previous values are being read). */
  private static final Watch PENDING = new Watch() {
    @Override
    public long nextRevision() {
      return 0;
    }

    @Override
    public void close() {
    }
  };

  @Inject
  EtcdApi api;

  /**
   * The previous value of each event's key: from the watched range's state read at
   * {@code readRevision}, updated by the events after it. Events at or before that revision (a
   * watch from an older revision) replay what the read already reflects: a key's first such event
   * has a known previous value only when it created the key; otherwise the watch is canceled, saying
   * so (Baton keeps no older versions to look it up).
   */
  static final class PrevKvs {
    private final Map<String, KeyValue> current;
    private final long readRevision;
    private final Map<String, KeyValue> replayed = new HashMap<>();
    private final Set<String> replayedKeys = new HashSet<>();

    PrevKvs(Map<String, KeyValue> current, long readRevision) {
      this.current = current;
      this.readRevision = readRevision;
    }

    /** The key's state before {@code e} (null: absent); IllegalStateException when it cannot be known. */
    KeyValue before(WatchEvent e) {
      final Map<String, KeyValue> state;
      final KeyValue prev;
      if (e.revision() > readRevision) {
        state = current;
        prev = current.get(e.key());
      } else {
        state = replayed;
        if (replayedKeys.add(e.key())) {
          if (e.type() != WatchEvent.Type.PUT || e.kv().version() != 1) {
            throw new IllegalStateException("Baton's etcd API cannot send the previous value of " + e.key()
                + " at revision " + e.revision() + " (prev_kv from an older revision: Baton keeps no older versions);"
                + " watch with prev_kv from the current revision");
          }
          prev = null;
        } else {
          prev = replayed.get(e.key());
        }
      }
      if (e.type() == WatchEvent.Type.PUT) {
        state.put(e.key(), e.kv());
      } else {
        state.remove(e.key());
      }
      return prev;
    }
  }

  @Override
  public StreamObserver<WatchRequest> watch(StreamObserver<WatchResponse> out) {
    final ServerCallStreamObserver<WatchResponse> stream = (ServerCallStreamObserver<WatchResponse>) out;
    final String off = api.unavailableReason();
    final Map<Long, Watch> watches = new HashMap<>();
    final Runnable closeAll = () -> {
      synchronized (stream) {
        watches.values().forEach(Watch::close);
        watches.clear();
      }
    };
    stream.setOnCancelHandler(closeAll);
    if (off != null) {
      out.onError(EtcdApi.etcdError(Status.UNIMPLEMENTED, off));
    }
    return new StreamObserver<>() {
      private long nextId;

      @Override
      public void onNext(WatchRequest request) {
        if (off != null) {
          return;
        }
        switch (request.getRequestUnionCase()) {
          case CREATE_REQUEST -> create(request.getCreateRequest());
          case CANCEL_REQUEST -> {
            final long id = request.getCancelRequest().getWatchId();
            synchronized (stream) {
              final Watch w = watches.remove(id);
              if (w != null) {
                w.close();
                send(WatchResponse.newBuilder().setHeader(api.header(0)).setWatchId(id).setCanceled(true).build());
              }
            }
          }
          case PROGRESS_REQUEST -> api.store().get("baton/", ReadConsistency.LINEARIZABLE).whenComplete((r, e) -> {
            if (e == null) {
              send(WatchResponse.newBuilder().setHeader(api.header(r.revision())).setWatchId(-1).build());
            } else {
              api.unreported("a watch progress request (no progress response sent)", e);
            }
          });
          default -> { }
        }
      }

      private void create(WatchCreateRequest c) {
        final long id;
        synchronized (stream) {
          id = nextId++;
        }
        final KeyRange range;
        try {
          range = KeyRange.of(c.getKey(), c.getRangeEnd());
        } catch (RuntimeException e) {
          canceled(id, EtcdApi.statusOf(e).getStatus().getDescription(), 0);
          return;
        }
        final boolean noPut = c.getFiltersList().contains(WatchCreateRequest.FilterType.NOPUT);
        final boolean noDelete = c.getFiltersList().contains(WatchCreateRequest.FilterType.NODELETE);
        synchronized (stream) {
          watches.put(id, PENDING);
          send(WatchResponse.newBuilder().setHeader(api.header(0)).setWatchId(id).setCreated(true).build());
        }
        if (!c.getPrevKv()) {
          register(id, range, c.getStartRevision(), null, noPut, noDelete);
          return;
        }
        // previous values: from the range's current state and the events that follow it
        api.store().range(range.readPrefix(), ReadConsistency.LINEARIZABLE).whenComplete((r, error) -> {
          if (error != null) {
            synchronized (stream) {
              if (watches.remove(id) != null) {
                canceled(id, EtcdApi.statusOf(error).getStatus().getDescription(), 0);
              }
            }
            return;
          }
          final Map<String, KeyValue> current = new HashMap<>();
          r.kvs().stream().filter(range::contains).forEach(kv -> current.put(kv.key(), kv));
          register(id, range, c.getStartRevision() == 0 ? r.revision() + 1 : c.getStartRevision(),
              new PrevKvs(current, r.revision()), noPut, noDelete);
        });
      }

      private void register(long id, KeyRange range, long from, PrevKvs prevKvs, boolean noPut, boolean noDelete) {
        synchronized (stream) {
          if (watches.get(id) != PENDING) {
            return; // canceled meanwhile
          }
          try {
            watches.put(id, api.store().watch(range.readPrefix(), from, new WatchListener() {
              private final List<Event> revision = new ArrayList<>();
              private long last;
              private boolean failed;

              @Override
              public void onEvent(WatchEvent e) {
                if (failed || !range.contains(e.kv())) {
                  return;
                }
                KeyValue prev = null;
                if (prevKvs != null) {
                  try {
                    prev = prevKvs.before(e);
                  } catch (IllegalStateException unknown) {
                    failed = true;
                    synchronized (stream) {
                      final Watch w = watches.remove(id);
                      if (w != null) {
                        w.close();
                        canceled(id, unknown.getMessage(), 0);
                      }
                    }
                    return;
                  }
                }
                if (e.type() == WatchEvent.Type.PUT ? noPut : noDelete) {
                  return;
                }
                final Event.Builder event = Event.newBuilder().setType(e.type() == WatchEvent.Type.PUT ? Event.EventType.PUT
                    : Event.EventType.DELETE).setKv(EtcdApi.toProto(e.kv(), false));
                if (prev != null) {
                  event.setPrevKv(EtcdApi.toProto(prev, false));
                }
                revision.add(event.build());
                last = e.revision();
              }

              @Override
              public void onProgress(long nextRevision) {
                if (revision.isEmpty() || failed) {
                  return;
                }
                final WatchResponse r = WatchResponse.newBuilder().setHeader(api.header(last)).setWatchId(id)
                    .addAllEvents(revision).build();
                revision.clear();
                synchronized (stream) {
                  if (watches.containsKey(id)) {
                    send(r);
                  }
                }
              }

              @Override
              public void onError(BatonException error) {
                synchronized (stream) {
                  if (watches.remove(id) != null) {
                    canceled(id, EtcdApi.statusOf(error).getStatus().getDescription(),
                        error instanceof CompactedException ce ? ce.compactedRevision() : 0);
                  }
                }
              }
            }));
          } catch (RuntimeException e) {
            watches.remove(id);
            canceled(id, EtcdApi.statusOf(e).getStatus().getDescription(), 0);
          }
        }
      }

      private void canceled(long id, String reason, long compactRevision) {
        send(WatchResponse.newBuilder().setHeader(api.header(0)).setWatchId(id).setCreated(true).setCanceled(true)
            .setCancelReason(reason).setCompactRevision(compactRevision).build());
      }

      private void send(WatchResponse r) {
        synchronized (stream) {
          if (!stream.isCancelled()) {
            stream.onNext(r);
          }
        }
      }

      @Override
      public void onError(Throwable t) {
        closeAll.run();
      }

      @Override
      public void onCompleted() {
        closeAll.run();
        synchronized (stream) {
          if (!stream.isCancelled()) {
            stream.onCompleted();
          }
        }
      }
    };
  }
}
