package io.baton.raft;

import io.baton.store.Compare;
import io.baton.store.KeyValue;
import io.baton.store.Op;
import io.baton.store.ReadResult;
import io.baton.store.Txn;
import java.nio.BufferUnderflowException;
import java.nio.ByteBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;

/**
 * The binary encoding of {@link Command}s and {@link Reply}s. Every message starts with a format
 * version byte and a type byte; strings and byte arrays are length-prefixed. Decoding checks every
 * length against what is left and fails with {@link IllegalArgumentException} naming the problem
 * and the offset, so bad bytes never reach the state.
 */
final class Codec {
  static final byte VERSION = 1;

  /**
   * TXN carries a fence epoch that is 0 except in entries from before key fences (a Raft-term
   * fence); TXN_KEY_FENCED is TXN followed by the fence key.
   */
  private static final byte TXN = 1, TXN_KEY_FENCED = 6, TXN_BATCH = 7, LEASE_GRANT = 2, LEASE_KEEPALIVE = 3,
      LEASE_REVOKE = 4, LEASE_EXPIRE = 5, GET = 10, RANGE = 11, READ_BATCH = 12;
  private static final byte R_TXN = 1, R_READ = 2, R_LEASE_GRANTED = 3, R_LEASE_DONE = 4, R_FAILURE = 5, R_BATCH = 6;
  private static final byte OP_PUT = 1, OP_DELETE = 2, OP_DELETE_PREFIX = 3;
  private static final int MAX_COUNT = 1 << 20;

  private Codec() {
  }

  // ---- commands -------------------------------------------------------------------------

  static byte[] encode(Command command) {
    final Writer w = new Writer();
    w.b(VERSION);
    if (command instanceof Command.TxnCommand t) {
      writeTxn(w, t);
    } else if (command instanceof Command.TxnBatch batch) {
      w.b(TXN_BATCH).i(batch.txns().size());
      for (Command.TxnCommand t : batch.txns()) {
        writeTxn(w, t);
      }
    } else if (command instanceof Command.ReadBatch batch) {
      w.b(READ_BATCH).i(batch.reads().size());
      for (Command.Read read : batch.reads()) {
        writeRead(w, read);
      }
    } else if (command instanceof Command.LeaseGrant g) {
      w.b(LEASE_GRANT).l(g.ttlMillis());
    } else if (command instanceof Command.LeaseKeepAlive k) {
      w.b(LEASE_KEEPALIVE).l(k.leaseId());
    } else if (command instanceof Command.LeaseRevoke r) {
      w.b(LEASE_REVOKE).l(r.leaseId());
    } else if (command instanceof Command.LeaseExpire e) {
      w.b(LEASE_EXPIRE).l(e.leaseId());
    } else if (command instanceof Command.Read read) {
      writeRead(w, read);
    } else {
      throw new IllegalArgumentException("unknown command " + command);
    }
    return w.toByteArray();
  }

  /**
   * A {@link Command.TxnBatch} of transactions already encoded by {@link #encode(Command)}, without
   * encoding them again: the batch's header, then each one without its version byte.
   */
  static byte[] batch(List<byte[]> encodedTxns) {
    return batch(TXN_BATCH, encodedTxns, t -> t[1] == TXN || t[1] == TXN_KEY_FENCED, "transactions can be batched");
  }

  /**
   * A {@link Command.ReadBatch} of linearizable reads already encoded by {@link #encode(Command)}
   * (a linearizable read's last byte is its stale flag, 0).
   */
  static byte[] readBatch(List<byte[]> encodedReads) {
    return batch(READ_BATCH, encodedReads, t -> (t[1] == GET || t[1] == RANGE) && t[t.length - 1] == 0,
        "linearizable reads can be batched as reads");
  }

  private static byte[] batch(byte type, List<byte[]> encoded, java.util.function.Predicate<byte[]> fits,
      String only) {
    int size = BATCH_HEADER_BYTES;
    for (byte[] t : encoded) {
      size += t.length - 1;
    }
    final ByteBuffer out = ByteBuffer.allocate(size);
    out.put(VERSION).put(type).putInt(encoded.size());
    for (byte[] t : encoded) {
      if (t.length < 2 || t[0] != VERSION || !fits.test(t)) {
        throw new IllegalArgumentException("only encoded " + only);
      }
      out.put(t, 1, t.length - 1);
    }
    return out.array();
  }

  /** What a batch adds to the sum of its encoded transactions' sizes, less one byte per transaction. */
  static final int BATCH_HEADER_BYTES = 6;

  static Command decodeCommand(ByteBuffer bytes) {
    final Reader r = new Reader(bytes, "request");
    try {
      r.version();
      final byte type = r.b();
      final Command c = switch (type) {
        case TXN, TXN_KEY_FENCED -> readTxn(r, type);
        case TXN_BATCH -> new Command.TxnBatch(readBatch(r, "transactions", t -> {
          if (t != TXN && t != TXN_KEY_FENCED) {
            throw r.bad("a batch holds transactions only, not type " + t);
          }
          return readTxn(r, (byte) t);
        }));
        case LEASE_GRANT -> new Command.LeaseGrant(r.l());
        case LEASE_KEEPALIVE -> new Command.LeaseKeepAlive(r.l());
        case LEASE_REVOKE -> new Command.LeaseRevoke(r.l());
        case LEASE_EXPIRE -> new Command.LeaseExpire(r.l());
        case GET -> new Command.Get(r.s(), r.flag());
        case RANGE -> new Command.Range(r.s(), r.flag());
        case READ_BATCH -> new Command.ReadBatch(readBatch(r, "reads", t -> {
          final Command.Read read = switch (t) {
            case GET -> new Command.Get(r.s(), r.flag());
            case RANGE -> new Command.Range(r.s(), r.flag());
            default -> throw r.bad("a batch of reads holds gets and ranges only, not type " + t);
          };
          if (read.stale()) {
            throw r.bad("a batch of reads holds linearizable reads only");
          }
          return read;
        }));
        default -> throw r.bad("unknown request type " + type);
      };
      r.end();
      return c;
    } catch (BufferUnderflowException e) {
      throw r.bad("truncated");
    }
  }

  /** A batch's members: a count (not 0), then each member's type byte and body, which {@code member} reads. */
  private static <T> List<T> readBatch(Reader r, String of, java.util.function.IntFunction<T> member) {
    final int n = r.count(of);
    if (n == 0) {
      throw r.bad("empty batch");
    }
    final List<T> members = new ArrayList<>(Math.min(n, 1024));
    for (int i = 0; i < n; i++) {
      members.add(member.apply(r.b()));
    }
    return members;
  }

  private static void writeRead(Writer w, Command.Read read) {
    if (read instanceof Command.Get g) {
      w.b(GET).s(g.key()).b((byte) (g.stale() ? 1 : 0));
    } else if (read instanceof Command.Range r) {
      w.b(RANGE).s(r.prefix()).b((byte) (r.stale() ? 1 : 0));
    } else {
      throw new IllegalArgumentException("a batch of reads inside a batch of reads");
    }
  }

  private static void writeTxn(Writer w, Command.TxnCommand t) {
    final Txn txn = t.txn();
    w.b(txn.fence() == null ? TXN : TXN_KEY_FENCED);
    w.l(txn.fence() == null ? t.legacyTermFence() : txn.fence().revision());
    if (txn.fence() != null) {
      w.s(txn.fence().key());
    }
    w.i(txn.compares().size());
    for (Compare c : txn.compares()) {
      w.s(c.key());
      w.b((byte) c.target().ordinal());
      if (c.target() == Compare.Target.VALUE) {
        w.bytes(c.value());
      } else {
        w.l(c.number());
      }
    }
    w.i(txn.ops().size());
    for (Op op : txn.ops()) {
      if (op instanceof Op.Put p) {
        w.b(OP_PUT).s(p.key()).bytes(p.value()).l(p.leaseId());
      } else if (op instanceof Op.Delete d) {
        w.b(OP_DELETE).s(d.key());
      } else if (op instanceof Op.DeletePrefix d) {
        w.b(OP_DELETE_PREFIX).s(d.prefix());
      } else {
        throw new IllegalArgumentException("unknown op " + op);
      }
    }
  }

  private static Command.TxnCommand readTxn(Reader r, byte type) {
    final long fence = r.l();
    if (fence < 0) {
      throw r.bad("negative fence epoch " + fence);
    }
    final String fenceKey = type == TXN_KEY_FENCED ? r.s() : null;
    if (fenceKey != null && (fenceKey.isEmpty() || fence == 0)) {
      throw r.bad("fence key without a fence epoch");
    }
    final int nc = r.count("compares");
    final List<Compare> compares = new ArrayList<>(nc);
    for (int i = 0; i < nc; i++) {
      final String key = r.s();
      final int t = r.b();
      if (t < 0 || t >= Compare.Target.values().length) {
        throw r.bad("unknown compare target " + t);
      }
      final Compare.Target target = Compare.Target.values()[t];
      compares.add(target == Compare.Target.VALUE
          ? new Compare(key, target, r.bytes(), 0) : new Compare(key, target, null, r.l()));
    }
    final int no = r.count("ops");
    final List<Op> ops = new ArrayList<>(no);
    for (int i = 0; i < no; i++) {
      final byte kind = r.b();
      ops.add(switch (kind) {
        case OP_PUT -> new Op.Put(r.s(), r.bytes(), r.l());
        case OP_DELETE -> new Op.Delete(r.s());
        case OP_DELETE_PREFIX -> new Op.DeletePrefix(r.s());
        default -> throw r.bad("unknown op kind " + kind);
      });
    }
    return fenceKey == null ? new Command.TxnCommand(Txn.of(compares, ops), fence)
        : new Command.TxnCommand(Txn.of(compares, ops).fencedBy(fenceKey, fence));
  }

  // ---- replies --------------------------------------------------------------------------

  static byte[] encode(Reply reply) {
    final Writer w = new Writer();
    w.b(VERSION);
    if (reply instanceof Reply.Batch batch) {
      w.b(R_BATCH).i(batch.replies().size());
      for (Reply each : batch.replies()) {
        if (each instanceof Reply.Batch) {
          throw new IllegalArgumentException("a batch reply inside a batch reply");
        }
        writeReply(w, each);
      }
    } else {
      writeReply(w, reply);
    }
    return w.toByteArray();
  }

  private static void writeReply(Writer w, Reply reply) {
    if (reply instanceof Reply.TxnDone t) {
      w.b(R_TXN).b((byte) (t.succeeded() ? 1 : 0)).l(t.revision());
    } else if (reply instanceof Reply.Read rd) {
      final ReadResult res = rd.result();
      w.b(R_READ).l(res.revision()).l(res.appliedIndex()).i(res.kvs().size());
      for (KeyValue kv : res.kvs()) {
        writeKeyValue(w, kv);
      }
    } else if (reply instanceof Reply.LeaseGranted g) {
      w.b(R_LEASE_GRANTED).l(g.leaseId()).l(g.ttlMillis());
    } else if (reply instanceof Reply.LeaseDone d) {
      w.b(R_LEASE_DONE).l(d.revision());
    } else if (reply instanceof Reply.Failure f) {
      w.b(R_FAILURE).b((byte) f.code().ordinal()).l(f.detail()).s(f.message());
    } else {
      throw new IllegalArgumentException("unknown reply " + reply);
    }
  }

  static Reply decodeReply(ByteBuffer bytes) {
    final Reader r = new Reader(bytes, "reply");
    try {
      r.version();
      final byte type = r.b();
      final Reply reply;
      if (type == R_BATCH) {
        final int n = r.count("replies");
        final List<Reply> replies = new ArrayList<>(Math.min(n, 1024));
        for (int i = 0; i < n; i++) {
          final byte t = r.b();
          if (t == R_BATCH) {
            throw r.bad("a batch reply inside a batch reply");
          }
          replies.add(readReply(r, t));
        }
        reply = new Reply.Batch(replies);
      } else {
        reply = readReply(r, type);
      }
      r.end();
      return reply;
    } catch (BufferUnderflowException e) {
      throw r.bad("truncated");
    }
  }

  private static Reply readReply(Reader r, byte type) {
    return switch (type) {
      case R_TXN -> new Reply.TxnDone(r.b() != 0, r.l());
      case R_READ -> {
        final long revision = r.l();
        final long applied = r.l();
        final int n = r.count("keys");
        final List<KeyValue> kvs = new ArrayList<>(Math.min(n, 1024));
        for (int i = 0; i < n; i++) {
          kvs.add(readKeyValue(r));
        }
        yield new Reply.Read(new ReadResult(kvs, revision, applied));
      }
      case R_LEASE_GRANTED -> new Reply.LeaseGranted(r.l(), r.l());
      case R_LEASE_DONE -> new Reply.LeaseDone(r.l());
      case R_FAILURE -> {
        final int code = r.b();
        if (code < 0 || code >= Reply.Code.values().length) {
          throw r.bad("unknown failure code " + code);
        }
        yield new Reply.Failure(Reply.Code.values()[code], r.l(), r.s());
      }
      default -> throw r.bad("unknown reply type " + type);
    };
  }

  static void writeKeyValue(Writer w, KeyValue kv) {
    w.s(kv.key()).bytes(kv.value()).l(kv.createRevision()).l(kv.modRevision()).l(kv.version()).l(kv.leaseId());
  }

  static KeyValue readKeyValue(Reader r) {
    return new KeyValue(r.s(), r.bytes(), r.l(), r.l(), r.l(), r.l());
  }

  // ---- primitives -----------------------------------------------------------------------

  /** A growable big-endian buffer. */
  static final class Writer {
    private ByteBuffer buf = ByteBuffer.allocate(64);

    private void ensure(int n) {
      if (buf.remaining() < n) {
        final ByteBuffer bigger = ByteBuffer.allocate(Math.max(buf.capacity() * 2, buf.position() + n));
        buf.flip();
        bigger.put(buf);
        buf = bigger;
      }
    }

    Writer b(byte v) {
      ensure(1);
      buf.put(v);
      return this;
    }

    Writer i(int v) {
      ensure(4);
      buf.putInt(v);
      return this;
    }

    Writer l(long v) {
      ensure(8);
      buf.putLong(v);
      return this;
    }

    Writer bytes(byte[] v) {
      i(v.length);
      ensure(v.length);
      buf.put(v);
      return this;
    }

    Writer s(String v) {
      return bytes(v.getBytes(StandardCharsets.UTF_8));
    }

    byte[] toByteArray() {
      final byte[] out = new byte[buf.position()];
      buf.flip();
      buf.get(out);
      return out;
    }
  }

  /** Reads what {@link Writer} wrote, checking every length. */
  static final class Reader {
    private final ByteBuffer buf;
    private final String what;

    Reader(ByteBuffer buf, String what) {
      this.buf = buf.slice();
      this.what = what;
    }

    IllegalArgumentException bad(String problem) {
      return new IllegalArgumentException("malformed Baton " + what + ": " + problem
          + " at byte " + buf.position() + " of " + buf.limit());
    }

    void version() {
      final byte v = b();
      if (v != VERSION) {
        throw bad("unsupported format version " + v + " (this node reads version " + VERSION + ")");
      }
    }

    void end() {
      if (buf.hasRemaining()) {
        throw bad(buf.remaining() + " unexpected trailing bytes");
      }
    }

    byte b() {
      return buf.get();
    }

    int i() {
      return buf.getInt();
    }

    long l() {
      return buf.getLong();
    }

    int count(String of) {
      final int n = i();
      if (n < 0 || n > MAX_COUNT) {
        throw bad("count of " + of + " " + n + " is outside 0.." + MAX_COUNT);
      }
      return n;
    }

    byte[] bytes() {
      final int n = i();
      if (n < 0 || n > buf.remaining()) {
        throw bad("length " + n + " exceeds the " + buf.remaining() + " bytes left");
      }
      final byte[] out = new byte[n];
      buf.get(out);
      return out;
    }

    String s() {
      final byte[] raw = bytes();
      try {
        return StandardCharsets.UTF_8.newDecoder()
            .onMalformedInput(CodingErrorAction.REPORT)
            .onUnmappableCharacter(CodingErrorAction.REPORT)
            .decode(ByteBuffer.wrap(raw)).toString();
      } catch (CharacterCodingException e) {
        throw bad("string is not valid UTF-8");
      }
    }

    boolean flag() {
      final byte b = b();
      if (b != 0 && b != 1) {
        throw bad("flag byte " + b + " is neither 0 nor 1");
      }
      return b == 1;
    }

    boolean hasRemaining() {
      return buf.hasRemaining();
    }
  }
}
