package io.baton.raft;

import io.baton.store.Compare;
import io.baton.store.Fence;
import io.baton.store.KeyValue;
import io.baton.store.Op;
import io.baton.store.ReadResult;
import io.baton.store.Txn;
import io.baton.store.WatchEvent;
import java.io.ByteArrayOutputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.ByteBuffer;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashSet;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.NavigableMap;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.zip.CRC32C;

/**
 * The replicated state: keys, the store revision, leases and the recent event history. Every
 * mutation is a deterministic function of the command, its log index and its term, so all replicas
 * that apply the same log hold the same state. Not thread-safe: the owner serializes access.
 */
final class KvState {
  static final byte[] SNAPSHOT_MAGIC = {'B', 'A', 'T', 'O', 'N', 'S', 'N', 'P'};
  static final int SNAPSHOT_FORMAT = 1;
  private static final byte[] EMPTY = new byte[0];

  /** A lease: its TTL and the keys bound to it. */
  record Lease(long id, long ttlMillis, Set<String> keys) {}

  /** What applying one command produced. */
  record Applied(Reply reply, List<WatchEvent> events) {}

  private final int historyLimit;
  private final TreeMap<String, KeyValue> data = new TreeMap<>();
  private final TreeMap<Long, Lease> leases = new TreeMap<>();
  private final ArrayDeque<WatchEvent> history = new ArrayDeque<>();
  private long revision;
  private long compactedRevision;
  private long appliedIndex;

  KvState(int historyLimit) {
    if (historyLimit < 1) {
      throw new IllegalArgumentException("historyLimit must be at least 1");
    }
    this.historyLimit = historyLimit;
  }

  long revision() {
    return revision;
  }

  long compactedRevision() {
    return compactedRevision;
  }

  long appliedIndex() {
    return appliedIndex;
  }

  int size() {
    return data.size();
  }

  /** Lease id to TTL in milliseconds, for the leader's expiry clock. */
  Map<Long, Long> leaseTtls() {
    final Map<Long, Long> ttls = new TreeMap<>();
    leases.values().forEach(l -> ttls.put(l.id(), l.ttlMillis()));
    return ttls;
  }

  /** The lease's TTL in milliseconds, or null when it does not exist. */
  Long leaseTtl(long id) {
    final Lease l = leases.get(id);
    return l == null ? null : l.ttlMillis();
  }

  // ---- reads ----------------------------------------------------------------------------

  ReadResult get(String key) {
    final KeyValue kv = data.get(key);
    return new ReadResult(kv == null ? List.of() : List.of(kv), revision, appliedIndex);
  }

  ReadResult range(String prefix) {
    return new ReadResult(new ArrayList<>(prefixView(prefix).values()), revision, appliedIndex);
  }

  ReadResult read(Command.Read read) {
    if (read instanceof Command.Get g) {
      return get(g.key());
    }
    return range(((Command.Range) read).prefix());
  }

  private NavigableMap<String, KeyValue> prefixView(String prefix) {
    if (prefix.isEmpty()) {
      return data;
    }
    final String end = prefixEnd(prefix);
    return end == null ? data.tailMap(prefix, true) : data.subMap(prefix, true, end, false);
  }

  /** The smallest string greater than every string starting with {@code prefix}, or null. */
  static String prefixEnd(String prefix) {
    final char[] chars = prefix.toCharArray();
    for (int i = chars.length - 1; i >= 0; i--) {
      if (chars[i] != Character.MAX_VALUE) {
        chars[i]++;
        return new String(chars, 0, i + 1);
      }
    }
    return null;
  }

  /**
   * Events with revision &ge; {@code fromRevision} for keys under {@code prefix}. The caller must
   * have checked {@code fromRevision > compactedRevision()}.
   */
  List<WatchEvent> eventsFrom(long fromRevision, String prefix) {
    final List<WatchEvent> out = new ArrayList<>();
    for (WatchEvent e : history) {
      if (e.revision() >= fromRevision && e.key().startsWith(prefix)) {
        out.add(e);
      }
    }
    return out;
  }

  // ---- writes ---------------------------------------------------------------------------

  /** Applies one committed write at {@code index} in {@code term}. */
  Applied apply(Command.Write command, long index, long term) {
    appliedIndex = Math.max(appliedIndex, index);
    if (command instanceof Command.TxnCommand t) {
      return applyTxn(t.txn(), t.legacyTermFence(), term);
    } else if (command instanceof Command.TxnBatch batch) {
      final List<Reply> replies = new ArrayList<>(batch.txns().size());
      final List<WatchEvent> events = new ArrayList<>();
      for (Command.TxnCommand t : batch.txns()) {
        final Applied each = applyTxn(t.txn(), t.legacyTermFence(), term);
        replies.add(each.reply());
        events.addAll(each.events());
      }
      return new Applied(new Reply.Batch(replies), events);
    } else if (command instanceof Command.LeaseGrant g) {
      leases.put(index, new Lease(index, g.ttlMillis(), new TreeSet<>()));
      return new Applied(new Reply.LeaseGranted(index, g.ttlMillis()), List.of());
    } else if (command instanceof Command.LeaseKeepAlive k) {
      if (!leases.containsKey(k.leaseId())) {
        return leaseNotFound(k.leaseId());
      }
      return new Applied(new Reply.LeaseDone(revision), List.of());
    } else if (command instanceof Command.LeaseRevoke r) {
      return removeLease(r.leaseId());
    } else if (command instanceof Command.LeaseExpire e) {
      return removeLease(e.leaseId());
    }
    throw new IllegalArgumentException("unknown write " + command);
  }

  private static Applied leaseNotFound(long id) {
    return new Applied(new Reply.Failure(Reply.Code.LEASE_NOT_FOUND, id,
        "lease " + id + " not found: it expired or was revoked"), List.of());
  }

  private Applied removeLease(long id) {
    final Lease lease = leases.remove(id);
    if (lease == null || lease.keys().isEmpty()) {
      return new Applied(new Reply.LeaseDone(revision), List.of());
    }
    final long rev = revision + 1;
    final List<WatchEvent> events = new ArrayList<>();
    for (String key : lease.keys()) {
      final KeyValue old = data.remove(key);
      if (old != null) {
        events.add(deleteEvent(old, rev));
      }
    }
    return new Applied(new Reply.LeaseDone(commit(events)), events);
  }

  private Applied applyTxn(Txn txn, long legacyTermFence, long term) {
    final Fence f = txn.fence();
    if (f != null) {
      final KeyValue key = data.get(f.key());
      if (key == null || key.modRevision() != f.revision()) {
        return new Applied(new Reply.Failure(Reply.Code.STALE_EPOCH, key == null ? 0 : key.modRevision(),
            "write fenced with epoch " + f.revision() + " of " + f.key() + ", which "
            + (key == null ? "is no longer held" : "is now held in epoch " + key.modRevision())), List.of());
      }
    } else if (legacyTermFence != 0 && legacyTermFence != term) {
      return new Applied(new Reply.Failure(Reply.Code.STALE_EPOCH, term, "write fenced with epoch "
          + legacyTermFence + " reached the log in epoch " + term), List.of());
    }
    for (Compare c : txn.compares()) {
      if (!c.holds(data.get(c.key()))) {
        return new Applied(new Reply.TxnDone(false, revision), List.of());
      }
    }
    for (Op op : txn.ops()) {
      if (op instanceof Op.Put p && p.leaseId() != 0 && !leases.containsKey(p.leaseId())) {
        return leaseNotFound(p.leaseId());
      }
    }
    final long rev = revision + 1;
    final List<WatchEvent> events = new ArrayList<>();
    for (Op op : txn.ops()) {
      if (op instanceof Op.Put p) {
        final KeyValue old = data.get(p.key());
        final KeyValue kv = new KeyValue(p.key(), p.value(), old == null ? rev : old.createRevision(), rev,
            old == null ? 1 : old.version() + 1, p.leaseId());
        unbind(old);
        data.put(p.key(), kv);
        if (p.leaseId() != 0) {
          leases.get(p.leaseId()).keys().add(p.key());
        }
        events.add(new WatchEvent(WatchEvent.Type.PUT, kv, rev));
      } else if (op instanceof Op.Delete d) {
        final KeyValue old = data.remove(d.key());
        if (old != null) {
          unbind(old);
          events.add(deleteEvent(old, rev));
        }
      } else if (op instanceof Op.DeletePrefix d) {
        final Iterator<KeyValue> it = prefixView(d.prefix()).values().iterator();
        while (it.hasNext()) {
          final KeyValue old = it.next();
          it.remove();
          unbind(old);
          events.add(deleteEvent(old, rev));
        }
      }
    }
    return new Applied(new Reply.TxnDone(true, commit(events)), events);
  }

  private void unbind(KeyValue old) {
    if (old != null && old.leaseId() != 0) {
      final Lease lease = leases.get(old.leaseId());
      if (lease != null) {
        lease.keys().remove(old.key());
      }
    }
  }

  private static WatchEvent deleteEvent(KeyValue old, long rev) {
    return new WatchEvent(WatchEvent.Type.DELETE,
        new KeyValue(old.key(), EMPTY, old.createRevision(), rev, 0, 0), rev);
  }

  /** Records the events of one revision; returns the store revision after them. */
  private long commit(List<WatchEvent> events) {
    if (events.isEmpty()) {
      return revision;
    }
    revision++;
    history.addAll(events);
    while (history.size() > historyLimit) {
      // drop whole revisions so that a watch never resumes in the middle of one
      final long oldest = history.peekFirst().revision();
      if (oldest == revision) {
        break;
      }
      while (!history.isEmpty() && history.peekFirst().revision() == oldest) {
        history.pollFirst();
      }
      compactedRevision = oldest;
    }
    return revision;
  }

  // ---- snapshots ------------------------------------------------------------------------

  /**
   * Writes the whole state: magic, format, fields, then a CRC32C of everything before it.
   */
  void writeSnapshot(OutputStream out) throws IOException {
    final ByteArrayOutputStream bytes = new ByteArrayOutputStream(1 << 16);
    final DataOutputStream d = new DataOutputStream(bytes);
    d.write(SNAPSHOT_MAGIC);
    d.writeInt(SNAPSHOT_FORMAT);
    d.writeLong(revision);
    d.writeLong(compactedRevision);
    d.writeLong(appliedIndex);
    d.writeInt(data.size());
    final Codec.Writer w = new Codec.Writer();
    for (KeyValue kv : data.values()) {
      Codec.writeKeyValue(w, kv);
    }
    writeBlock(d, w.toByteArray());
    final Codec.Writer lw = new Codec.Writer();
    lw.i(leases.size());
    for (Lease l : leases.values()) {
      lw.l(l.id()).l(l.ttlMillis());
    }
    writeBlock(d, lw.toByteArray());
    final Codec.Writer hw = new Codec.Writer();
    hw.i(history.size());
    for (WatchEvent e : history) {
      hw.b((byte) e.type().ordinal()).l(e.revision());
      Codec.writeKeyValue(hw, e.kv());
    }
    writeBlock(d, hw.toByteArray());
    d.flush();
    final CRC32C crc = new CRC32C();
    crc.update(bytes.toByteArray(), 0, bytes.size());
    d.writeLong(crc.getValue());
    d.flush();
    bytes.writeTo(out);
  }

  private static void writeBlock(DataOutputStream d, byte[] block) throws IOException {
    d.writeInt(block.length);
    d.write(block);
  }

  /**
   * Replaces this state with a snapshot's. Fails with {@link IllegalArgumentException} describing
   * the corruption (bad magic, checksum mismatch, truncation); the state is untouched then.
   */
  void readSnapshot(byte[] file) {
    try {
      parseSnapshot(file);
    } catch (java.nio.BufferUnderflowException e) {
      throw new IllegalArgumentException("snapshot is truncated inside a record", e);
    }
  }

  private void parseSnapshot(byte[] file) {
    if (file.length < SNAPSHOT_MAGIC.length + 12) {
      throw new IllegalArgumentException("snapshot is truncated: " + file.length + " bytes");
    }
    for (int i = 0; i < SNAPSHOT_MAGIC.length; i++) {
      if (file[i] != SNAPSHOT_MAGIC[i]) {
        throw new IllegalArgumentException("not a Baton snapshot (bad magic bytes)");
      }
    }
    final CRC32C crc = new CRC32C();
    crc.update(file, 0, file.length - 8);
    final long stored = ByteBuffer.wrap(file, file.length - 8, 8).getLong();
    if (crc.getValue() != stored) {
      throw new IllegalArgumentException("snapshot checksum mismatch (stored " + Long.toHexString(stored)
          + ", computed " + Long.toHexString(crc.getValue()) + "): the file is corrupt");
    }
    final ByteBuffer buf = ByteBuffer.wrap(file, 0, file.length - 8);
    buf.position(SNAPSHOT_MAGIC.length);
    final Codec.Reader r = new Codec.Reader(buf, "snapshot");
    final int format = r.i();
    if (format != SNAPSHOT_FORMAT) {
      throw new IllegalArgumentException("unsupported snapshot format " + format);
    }
    final long rev = r.l();
    final long compacted = r.l();
    final long applied = r.l();
    final int n = r.i();
    if (n < 0) {
      throw new IllegalArgumentException("snapshot has a negative key count " + n);
    }
    final Codec.Reader kr = new Codec.Reader(ByteBuffer.wrap(r.bytes()), "snapshot keys");
    final TreeMap<String, KeyValue> newData = new TreeMap<>();
    for (int i = 0; i < n; i++) {
      final KeyValue kv = Codec.readKeyValue(kr);
      newData.put(kv.key(), kv);
    }
    kr.end();
    final Codec.Reader lr = new Codec.Reader(ByteBuffer.wrap(r.bytes()), "snapshot leases");
    final TreeMap<Long, Lease> newLeases = new TreeMap<>();
    final int nl = lr.i();
    for (int i = 0; i < nl; i++) {
      final long id = lr.l();
      newLeases.put(id, new Lease(id, lr.l(), new TreeSet<>()));
    }
    lr.end();
    for (KeyValue kv : newData.values()) {
      if (kv.leaseId() != 0) {
        final Lease l = newLeases.get(kv.leaseId());
        if (l == null) {
          throw new IllegalArgumentException("snapshot key " + kv.key() + " is bound to missing lease " + kv.leaseId());
        }
        l.keys().add(kv.key());
      }
    }
    final Codec.Reader hr = new Codec.Reader(ByteBuffer.wrap(r.bytes()), "snapshot history");
    final int nh = hr.i();
    if (nl < 0 || nh < 0) {
      throw new IllegalArgumentException("snapshot has a negative lease or event count");
    }
    final ArrayDeque<WatchEvent> newHistory = new ArrayDeque<>(nh);
    for (int i = 0; i < nh; i++) {
      final int type = hr.b();
      if (type < 0 || type >= WatchEvent.Type.values().length) {
        throw new IllegalArgumentException("snapshot event has unknown type " + type);
      }
      final long evRev = hr.l();
      newHistory.add(new WatchEvent(WatchEvent.Type.values()[type], Codec.readKeyValue(hr), evRev));
    }
    hr.end();
    r.end();
    data.clear();
    data.putAll(newData);
    leases.clear();
    leases.putAll(newLeases);
    history.clear();
    history.addAll(newHistory);
    revision = rev;
    compactedRevision = compacted;
    appliedIndex = applied;
  }

  /** Forgets everything (before loading a snapshot into a fresh replica). */
  void clear() {
    data.clear();
    leases.clear();
    history.clear();
    revision = 0;
    compactedRevision = 0;
    appliedIndex = 0;
  }

  /** Keys bound to a lease, for tests and diagnostics. */
  Set<String> leaseKeys(long id) {
    final Lease l = leases.get(id);
    return l == null ? Set.of() : Collections.unmodifiableSet(new HashSet<>(l.keys()));
  }
}
