package io.baton.testkit.history;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicLong;

/**
 * Records what concurrent clients did to a key-value store, for {@link LinearizabilityChecker}:
 * each client calls {@link #invoke} before it sends a request and one of {@link #ok},
 * {@link #failed} (it certainly did not happen: the store said so) or {@link #unknown} (it may
 * have happened: a timeout) when it learns the outcome. Times are {@link System#nanoTime()}.
 * [Thread-safe]
 */
public final class History {
  private final List<Pending> pending = new ArrayList<>();
  private final List<KvOp> done = new ArrayList<>();
  private final AtomicLong ids = new AtomicLong();

  /** A started operation. */
  public final class Pending {
    private final long id = ids.incrementAndGet();
    private final int client;
    private final KvOp.Kind kind;
    private final String key;
    private final String value;
    private final long call;
    private boolean finished;

    private Pending(int client, KvOp.Kind kind, String key, String value) {
      this.client = client;
      this.kind = kind;
      this.key = key;
      this.value = value;
      this.call = System.nanoTime();
    }

    private void finish(KvOp op) {
      synchronized (History.this) {
        if (finished) {
          throw new IllegalStateException("operation " + id + " finished twice");
        }
        finished = true;
        pending.remove(this);
        if (op != null) {
          done.add(op);
        }
      }
    }
  }

  /** A put of {@code value} to {@code key} is about to be sent. */
  public synchronized Pending invokePut(int client, String key, String value) {
    final Pending p = new Pending(client, KvOp.Kind.PUT, key, value);
    pending.add(p);
    return p;
  }

  /** A get of {@code key} is about to be sent. */
  public synchronized Pending invokeGet(int client, String key) {
    final Pending p = new Pending(client, KvOp.Kind.GET, key, null);
    pending.add(p);
    return p;
  }

  /** The operation succeeded; {@code read} is the value a get returned (null: absent), ignored for a put. */
  public void ok(Pending p, String read) {
    final long now = System.nanoTime();
    p.finish(new KvOp(p.client, p.kind, p.key, p.value, p.kind == KvOp.Kind.PUT ? p.value : read, p.call, now));
  }

  /** The operation certainly did not take effect (the store refused it): it leaves no trace. */
  public void failed(Pending p) {
    p.finish(null);
  }

  /** The outcome is unknown: a put may have happened any time after its call; a get constrains nothing and is dropped. */
  public void unknown(Pending p) {
    p.finish(p.kind == KvOp.Kind.PUT ? new KvOp(p.client, p.kind, p.key, p.value, p.value, p.call, Long.MAX_VALUE) : null);
  }

  /** Every finished operation, with the still pending puts as unknown (the history as of now). */
  public synchronized List<KvOp> operations() {
    final List<KvOp> out = new ArrayList<>(done);
    for (Pending p : pending) {
      if (p.kind == KvOp.Kind.PUT) {
        out.add(new KvOp(p.client, p.kind, p.key, p.value, p.value, p.call, Long.MAX_VALUE));
      }
    }
    return out;
  }
}
