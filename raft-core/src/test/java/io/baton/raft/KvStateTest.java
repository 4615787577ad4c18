package io.baton.raft;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.baton.store.Compare;
import io.baton.store.KeyValue;
import io.baton.store.Op;
import io.baton.store.Txn;
import io.baton.store.WatchEvent;
import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.util.List;
import org.junit.jupiter.api.Test;

class KvStateTest {
  private final KvState s = new KvState(100);
  private long index;

  private static byte[] b(String v) {
    return v.getBytes(StandardCharsets.UTF_8);
  }

  private KvState.Applied apply(Command.Write c) {
    return s.apply(c, ++index, 1);
  }

  private KvState.Applied put(String k, String v) {
    return apply(new Command.TxnCommand(Txn.of(List.of(), List.of(Op.put(k, v)))));
  }

  private KvState.Applied txn(List<Compare> cmp, List<Op> ops) {
    return apply(new Command.TxnCommand(Txn.of(cmp, ops)));
  }

  @Test
  void revisionsAndVersionsFollowEtcd() {
    put("a", "1");
    put("a", "2");
    put("b", "x");
    final KeyValue a = s.get("a").first().orElseThrow();
    assertThat(a.createRevision()).isEqualTo(1);
    assertThat(a.modRevision()).isEqualTo(2);
    assertThat(a.version()).isEqualTo(2);
    assertThat(s.revision()).isEqualTo(3);
    assertThat(s.get("a").revision()).isEqualTo(3);
    // deleting a missing key writes nothing and keeps the revision
    final KvState.Applied noop = txn(List.of(), List.of(Op.delete("zzz")));
    assertThat(noop.events()).isEmpty();
    assertThat(s.revision()).isEqualTo(3);
  }

  @Test
  void rangeIsPrefixOrderedAndExact() {
    for (String k : List.of("a/1", "a/2", "a", "a0", "b/1", "a/\uffff")) {
      put(k, "v");
    }
    assertThat(s.range("a/").kvs()).extracting(KeyValue::key).containsExactly("a/1", "a/2", "a/\uffff");
    assertThat(s.range("").kvs()).hasSize(6);
    assertThat(s.range("c").kvs()).isEmpty();
    assertThat(KvState.prefixEnd("a\uffff")).isEqualTo("b");
    assertThat(KvState.prefixEnd("\uffff")).isNull();
  }

  @Test
  void txnIsAllOrNothing() {
    put("a", "1");
    final KvState.Applied failed = txn(List.of(Compare.value("a", b("2"))), List.of(Op.put("x", "1"), Op.delete("a")));
    assertThat(((Reply.TxnDone) failed.reply()).succeeded()).isFalse();
    assertThat(s.get("x").kvs()).isEmpty();
    assertThat(s.get("a").kvs()).hasSize(1);
    final KvState.Applied ok = txn(List.of(Compare.value("a", b("1")), Compare.absent("x")),
        List.of(Op.put("x", "1"), Op.delete("a")));
    assertThat(((Reply.TxnDone) ok.reply()).succeeded()).isTrue();
    assertThat(ok.events()).extracting(WatchEvent::revision).containsOnly(2L);
    assertThat(s.get("a").kvs()).isEmpty();
  }

  @Test
  void compareOnModRevisionAndVersion() {
    put("a", "1");
    assertThat(((Reply.TxnDone) txn(List.of(Compare.modRevision("a", 5)), List.of(Op.put("a", "2"))).reply()).succeeded())
        .isFalse();
    assertThat(((Reply.TxnDone) txn(List.of(Compare.modRevision("a", 1), Compare.version("a", 1)),
        List.of(Op.put("a", "2"))).reply()).succeeded()).isTrue();
    assertThat(((Reply.TxnDone) txn(List.of(Compare.absent("a")), List.of(Op.put("a", "3"))).reply()).succeeded())
        .isFalse();
  }

  @Test
  void legacyTermFencedEntriesApplyAsTheyDidWhenWritten() {
    final Txn txn = Txn.of(List.of(), List.of(Op.put("a", "1")));
    final KvState.Applied stale = s.apply(new Command.TxnCommand(txn, 4), 1, 5);
    assertThat(stale.reply()).isInstanceOf(Reply.Failure.class);
    assertThat(((Reply.Failure) stale.reply()).code()).isEqualTo(Reply.Code.STALE_EPOCH);
    assertThat(((Reply.Failure) stale.reply()).detail()).isEqualTo(5);
    assertThat(s.get("a").kvs()).isEmpty();
    assertThat(((Reply.TxnDone) s.apply(new Command.TxnCommand(txn, 4), 2, 4).reply()).succeeded()).isTrue();
  }

  @Test
  void aBatchAppliesEachTransactionAsItsOwnWriteInOrder() {
    put("lock", "n1"); // revision 1: epoch 1
    final Command.TxnBatch batch = new Command.TxnBatch(List.of(
        new Command.TxnCommand(Txn.of(List.of(Compare.absent("a")), List.of(Op.put("a", "1")))),
        // sees the first one's write: a is at version 1 now
        new Command.TxnCommand(Txn.of(List.of(Compare.version("a", 1)), List.of(Op.put("a", "2")))),
        // fails its compare alone (a is at version 2)
        new Command.TxnCommand(Txn.of(List.of(Compare.version("a", 1)), List.of(Op.put("a", "x")))),
        // fenced with an epoch the lock no longer has: refused alone
        new Command.TxnCommand(Txn.of(List.of(), List.of(Op.put("b", "stale"))).fencedBy("lock", 7)),
        new Command.TxnCommand(Txn.of(List.of(), List.of(Op.put("b", "1"))).fencedBy("lock", 1))));
    final KvState.Applied applied = apply(batch);
    final List<Reply> replies = ((Reply.Batch) applied.reply()).replies();
    assertThat(replies).hasSize(5);
    assertThat(replies.get(0)).isEqualTo(new Reply.TxnDone(true, 2));
    assertThat(replies.get(1)).isEqualTo(new Reply.TxnDone(true, 3));
    assertThat(replies.get(2)).isEqualTo(new Reply.TxnDone(false, 3));
    assertThat(((Reply.Failure) replies.get(3)).code()).isEqualTo(Reply.Code.STALE_EPOCH);
    assertThat(replies.get(4)).isEqualTo(new Reply.TxnDone(true, 4));
    // one revision per successful write, and its events carry it, as separate entries would
    assertThat(applied.events()).extracting(WatchEvent::revision).containsExactly(2L, 3L, 4L);
    assertThat(s.get("a").first().orElseThrow().valueAsString()).isEqualTo("2");
    assertThat(s.get("b").first().orElseThrow().valueAsString()).isEqualTo("1");
    assertThat(s.revision()).isEqualTo(4);
    assertThat(s.appliedIndex()).isEqualTo(index);
  }

  @Test
  void keyFenceHoldsOnlyWhileTheKeyKeepsTheRevisionItWasLastWrittenAt() {
    put("lock", "n1"); // written at revision 1: epoch 1
    final Txn fenced = Txn.of(List.of(), List.of(Op.put("a", "1"))).fencedBy("lock", 1);
    assertThat(((Reply.TxnDone) apply(new Command.TxnCommand(fenced)).reply()).succeeded()).isTrue();
    assertThat(((Reply.TxnDone) apply(new Command.TxnCommand(fenced)).reply()).succeeded()).isTrue();
    put("lock", "n1-again"); // written again: a newer epoch (the write's revision)
    final KvState.Applied rewritten = apply(new Command.TxnCommand(fenced));
    assertThat(((Reply.Failure) rewritten.reply()).code()).isEqualTo(Reply.Code.STALE_EPOCH);
    assertThat(((Reply.Failure) rewritten.reply()).detail()).isEqualTo(s.get("lock").first().orElseThrow().modRevision());
    txn(List.of(), List.of(Op.delete("lock")));
    final KvState.Applied gone = apply(new Command.TxnCommand(fenced));
    assertThat(((Reply.Failure) gone.reply()).code()).isEqualTo(Reply.Code.STALE_EPOCH);
    assertThat(((Reply.Failure) gone.reply()).message()).contains("lock", "no longer held");
    put("lock", "n2"); // re-created: a newer epoch
    final long newEpoch = s.get("lock").first().orElseThrow().modRevision();
    final KvState.Applied stale = apply(new Command.TxnCommand(fenced));
    assertThat(((Reply.Failure) stale.reply()).detail()).isEqualTo(newEpoch);
    assertThat(s.get("a").first().orElseThrow().version()).isEqualTo(2); // the two accepted writes only
    assertThatThrownBy(() -> Txn.of(List.of(), List.of()).fencedBy("lock", 0))
        .isInstanceOf(IllegalArgumentException.class);
    assertThatThrownBy(() -> Txn.of(List.of(), List.of(Op.put("lock", "mine"))).fencedBy("lock", 1))
        .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("its own fence key");
  }

  @Test
  void leaseRevokeDeletesItsKeysOnceAndRebindingMovesKeys() {
    final long lease = ((Reply.LeaseGranted) apply(new Command.LeaseGrant(5000)).reply()).leaseId();
    txn(List.of(), List.of(new Op.Put("l/1", b("x"), lease), new Op.Put("l/2", b("y"), lease)));
    put("l/2", "unbound"); // overwriting without a lease unbinds the key
    assertThat(s.leaseKeys(lease)).containsExactly("l/1");
    final KvState.Applied expired = apply(new Command.LeaseExpire(lease));
    assertThat(expired.events()).extracting(WatchEvent::key).containsExactly("l/1");
    assertThat(expired.events().get(0).type()).isEqualTo(WatchEvent.Type.DELETE);
    assertThat(s.get("l/1").kvs()).isEmpty();
    assertThat(s.get("l/2").kvs()).hasSize(1);
    final long rev = s.revision();
    // a second expiry (a new leader proposing it again) and a revoke are no-ops
    assertThat(apply(new Command.LeaseExpire(lease)).events()).isEmpty();
    assertThat(apply(new Command.LeaseRevoke(lease)).events()).isEmpty();
    assertThat(s.revision()).isEqualTo(rev);
    final KvState.Applied keepAlive = apply(new Command.LeaseKeepAlive(lease));
    assertThat(((Reply.Failure) keepAlive.reply()).code()).isEqualTo(Reply.Code.LEASE_NOT_FOUND);
    final KvState.Applied putOnDead = txn(List.of(), List.of(Op.put("z", "1"), new Op.Put("l/3", b("x"), lease)));
    assertThat(((Reply.Failure) putOnDead.reply()).code()).isEqualTo(Reply.Code.LEASE_NOT_FOUND);
    assertThat(s.get("z").kvs()).as("nothing of a failed txn is applied").isEmpty();
  }

  @Test
  void historyDropsWholeRevisionsAndReportsCompaction() {
    final KvState small = new KvState(3);
    long i = 0;
    for (int r = 1; r <= 4; r++) {
      small.apply(new Command.TxnCommand(Txn.of(List.of(), List.of(Op.put("a" + r, "v"), Op.put("b" + r, "v")))), ++i, 1);
    }
    // 8 events at revisions 1..4, limit 3: keeps revision 4 only (2 events), dropping whole revisions
    assertThat(small.compactedRevision()).isEqualTo(3);
    assertThat(small.eventsFrom(4, "")).hasSize(2);
    assertThat(small.eventsFrom(4, "a")).extracting(WatchEvent::key).containsExactly("a4");
  }

  @Test
  void snapshotRoundTripsEverything() throws Exception {
    final long lease = ((Reply.LeaseGranted) apply(new Command.LeaseGrant(3000)).reply()).leaseId();
    put("a", "1");
    txn(List.of(), List.of(new Op.Put("l", b("x"), lease)));
    txn(List.of(), List.of(Op.delete("a")));
    final ByteArrayOutputStream out = new ByteArrayOutputStream();
    s.writeSnapshot(out);
    final KvState copy = new KvState(100);
    copy.readSnapshot(out.toByteArray());
    assertThat(copy.range("").kvs()).isEqualTo(s.range("").kvs());
    assertThat(copy.revision()).isEqualTo(s.revision());
    assertThat(copy.appliedIndex()).isEqualTo(s.appliedIndex());
    assertThat(copy.leaseTtls()).isEqualTo(s.leaseTtls());
    assertThat(copy.leaseKeys(lease)).containsExactly("l");
    assertThat(copy.eventsFrom(1, "")).isEqualTo(s.eventsFrom(1, ""));
  }

  @Test
  void corruptSnapshotIsRefusedAndStateIsUntouched() throws Exception {
    put("a", "1");
    final ByteArrayOutputStream out = new ByteArrayOutputStream();
    s.writeSnapshot(out);
    final byte[] bytes = out.toByteArray();
    final KvState target = new KvState(100);
    target.apply(new Command.TxnCommand(Txn.of(List.of(), List.of(Op.put("keep", "me")))), 1, 1);

    final byte[] flipped = bytes.clone();
    flipped[bytes.length / 2] ^= 0x10;
    assertThatThrownBy(() -> target.readSnapshot(flipped)).hasMessageContaining("checksum mismatch");
    assertThatThrownBy(() -> target.readSnapshot(java.util.Arrays.copyOf(bytes, bytes.length - 3)))
        .hasMessageContaining("checksum mismatch");
    assertThatThrownBy(() -> target.readSnapshot(new byte[5])).hasMessageContaining("truncated");
    final byte[] wrongMagic = bytes.clone();
    wrongMagic[0] = 'X';
    assertThatThrownBy(() -> target.readSnapshot(wrongMagic)).hasMessageContaining("bad magic");
    assertThat(target.get("keep").kvs()).hasSize(1);
  }
}
