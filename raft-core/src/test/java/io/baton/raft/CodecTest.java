package io.baton.raft;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.baton.store.Compare;
import io.baton.store.KeyValue;
import io.baton.store.Op;
import io.baton.store.ReadResult;
import io.baton.store.Txn;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;

class CodecTest {
  private static final byte[] V = "value".getBytes(StandardCharsets.UTF_8);

  private static Command roundTrip(Command c) {
    return Codec.decodeCommand(ByteBuffer.wrap(Codec.encode(c)));
  }

  @Test
  void commandsRoundTrip() {
    final Txn txn = Txn.of(
        List.of(Compare.value("a", V), Compare.modRevision("b", 7), Compare.absent("c"), Compare.createRevision("d", 3)),
        List.of(new Op.Put("a", V, 12), Op.delete("b"), Op.deletePrefix("p/")));
    final Command.TxnCommand decoded = (Command.TxnCommand) roundTrip(new Command.TxnCommand(txn));
    assertThat(decoded.txn()).isEqualTo(txn);
    assertThat(decoded.legacyTermFence()).isZero();
    // entries from before key fences carry a Raft-term fence; they must still decode as written
    assertThat(roundTrip(new Command.TxnCommand(txn, 9))).isEqualTo(new Command.TxnCommand(txn, 9));
    assertThat(((Op.Put) decoded.txn().ops().get(0)).value()).isEqualTo(V);
    final Txn keyFenced = Txn.of(List.of(), List.of(Op.put("a", "b"))).fencedBy("baton/roles/r/holder", 42);
    assertThat(((Command.TxnCommand) roundTrip(new Command.TxnCommand(keyFenced))).txn()).isEqualTo(keyFenced);
    assertThat(roundTrip(new Command.LeaseGrant(5000))).isEqualTo(new Command.LeaseGrant(5000));
    assertThat(roundTrip(new Command.LeaseKeepAlive(3))).isEqualTo(new Command.LeaseKeepAlive(3));
    assertThat(roundTrip(new Command.LeaseRevoke(4))).isEqualTo(new Command.LeaseRevoke(4));
    assertThat(roundTrip(new Command.LeaseExpire(5))).isEqualTo(new Command.LeaseExpire(5));
    assertThat(roundTrip(new Command.Get("k\u00e9y", true))).isEqualTo(new Command.Get("k\u00e9y", true));
    assertThat(roundTrip(new Command.Range("", false))).isEqualTo(new Command.Range("", false));
  }

  @Test
  void repliesRoundTrip() {
    final KeyValue kv = new KeyValue("k", V, 1, 2, 3, 4);
    final Reply.Read read = new Reply.Read(new ReadResult(List.of(kv), 9, 11));
    final Reply.Read back = (Reply.Read) Codec.decodeReply(ByteBuffer.wrap(Codec.encode(read)));
    assertThat(back.result().kvs()).containsExactly(kv);
    assertThat(back.result().revision()).isEqualTo(9);
    assertThat(back.result().appliedIndex()).isEqualTo(11);
    for (Reply r : List.of(new Reply.TxnDone(true, 5), new Reply.LeaseGranted(7, 2000), new Reply.LeaseDone(8),
        new Reply.Failure(Reply.Code.STALE_EPOCH, 3, "stale"))) {
      assertThat(Codec.decodeReply(ByteBuffer.wrap(Codec.encode(r)))).isEqualTo(r);
    }
  }

  @Test
  void batchesRoundTripWithoutEncodingTheirTransactionsAgain() {
    final Command.TxnCommand plain = new Command.TxnCommand(Txn.of(List.of(Compare.value("a", V)),
        List.of(new Op.Put("a", V, 3), Op.deletePrefix("p/"))));
    final Command.TxnCommand fenced = new Command.TxnCommand(Txn.of(List.of(), List.of(Op.put("b", "c")))
        .fencedBy("baton/roles/r/holder", 42));
    final byte[] batch = Codec.batch(List.of(Codec.encode(plain), Codec.encode(fenced), Codec.encode(plain)));
    assertThat(Codec.decodeCommand(ByteBuffer.wrap(batch))).isEqualTo(new Command.TxnBatch(List.of(plain, fenced, plain)));
    assertThat(Codec.encode(new Command.TxnBatch(List.of(plain, fenced, plain)))).isEqualTo(batch);
    assertThat(batch.length).isEqualTo(Codec.BATCH_HEADER_BYTES + Codec.encode(plain).length * 2
        + Codec.encode(fenced).length - 3);

    final Reply.Batch replies = new Reply.Batch(List.of(new Reply.TxnDone(true, 5),
        new Reply.Failure(Reply.Code.STALE_EPOCH, 3, "stale"), new Reply.TxnDone(false, 5)));
    assertThat(Codec.decodeReply(ByteBuffer.wrap(Codec.encode(replies)))).isEqualTo(replies);

    // only transactions batch: a lease grant's id is its entry's index, which a batch shares
    assertThatThrownBy(() -> Codec.batch(List.of(Codec.encode(plain), Codec.encode(new Command.LeaseGrant(5000)))))
        .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("only encoded transactions");
    final byte[] grant = Codec.encode(new Command.LeaseGrant(5000));
    final ByteBuffer forged = ByteBuffer.allocate(6 + grant.length - 1).put(Codec.VERSION).put((byte) 7).putInt(1)
        .put(grant, 1, grant.length - 1);
    assertThatThrownBy(() -> Codec.decodeCommand(forged.flip())).hasMessageContaining("transactions only");
    final ByteBuffer empty = ByteBuffer.allocate(6).put(Codec.VERSION).put((byte) 7).putInt(0);
    assertThatThrownBy(() -> Codec.decodeCommand(empty.flip())).hasMessageContaining("empty batch");
    assertThatThrownBy(() -> Codec.encode(new Reply.Batch(List.of(replies))))
        .isInstanceOf(IllegalArgumentException.class);
  }

  @Test
  void readBatchesHoldLinearizableReadsOnly() {
    final byte[] batch = Codec.readBatch(List.of(Codec.encode(new Command.Get("k\u00e9y", false)),
        Codec.encode(new Command.Range("p/", false))));
    final Command.ReadBatch expected = new Command.ReadBatch(List.of(new Command.Get("k\u00e9y", false),
        new Command.Range("p/", false)));
    assertThat(Codec.decodeCommand(ByteBuffer.wrap(batch))).isEqualTo(expected);
    assertThat(Codec.encode(expected)).isEqualTo(batch);
    // a stale read is served by the replica it is asked of: it never joins the leader's batch
    assertThatThrownBy(() -> Codec.readBatch(List.of(Codec.encode(new Command.Get("a", true)))))
        .isInstanceOf(IllegalArgumentException.class);
    assertThatThrownBy(() -> new Command.ReadBatch(List.of(new Command.Get("a", true))))
        .isInstanceOf(IllegalArgumentException.class);
    assertThatThrownBy(() -> Codec.readBatch(List.of(Codec.encode(new Command.LeaseRevoke(3)))))
        .isInstanceOf(IllegalArgumentException.class);
    final byte[] stale = Codec.encode(new Command.Get("a", true));
    final ByteBuffer forged = ByteBuffer.allocate(6 + stale.length - 1).put(Codec.VERSION).put((byte) 12).putInt(1)
        .put(stale, 1, stale.length - 1);
    assertThatThrownBy(() -> Codec.decodeCommand(forged.flip())).hasMessageContaining("linearizable reads only");
  }

  @Test
  void badBytesGetClearErrors() {
    assertThatThrownBy(() -> Codec.decodeCommand(ByteBuffer.wrap(new byte[0])))
        .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("truncated");
    assertThatThrownBy(() -> Codec.decodeCommand(ByteBuffer.wrap(new byte[] {9, 1})))
        .hasMessageContaining("unsupported format version 9");
    assertThatThrownBy(() -> Codec.decodeCommand(ByteBuffer.wrap(new byte[] {1, 99})))
        .hasMessageContaining("unknown request type 99");
    final byte[] get = Codec.encode(new Command.Get("abc", false));
    final byte[] truncated = java.util.Arrays.copyOf(get, get.length - 2);
    assertThatThrownBy(() -> Codec.decodeCommand(ByteBuffer.wrap(truncated)))
        .hasMessageContaining("exceeds the");
    final byte[] trailing = java.util.Arrays.copyOf(get, get.length + 2);
    assertThatThrownBy(() -> Codec.decodeCommand(ByteBuffer.wrap(trailing)))
        .hasMessageContaining("2 unexpected trailing bytes");
    final byte[] badUtf8 = {1, 10, 0, 0, 0, 2, (byte) 0xC3, (byte) 0x28};
    assertThatThrownBy(() -> Codec.decodeCommand(ByteBuffer.wrap(badUtf8)))
        .hasMessageContaining("not valid UTF-8");
    final byte[] hugeCount = {1, 1, 0, 0, 0, 0, 0, 0, 0, 0, 0x7f, 0, 0, 0};
    assertThatThrownBy(() -> Codec.decodeCommand(ByteBuffer.wrap(hugeCount)))
        .hasMessageContaining("count of compares");
  }

  @Test
  void randomCorruptionNeverEscapesAsAnythingButIllegalArgument() {
    final byte[] good = Codec.encode(new Command.TxnCommand(Txn.of(List.of(Compare.value("a", V)),
        List.of(new Op.Put("a", V, 0), Op.delete("b")))));
    final Random random = new Random(42);
    int rejected = 0;
    for (int i = 0; i < 20_000; i++) {
      final byte[] bad = good.clone();
      final int flips = 1 + random.nextInt(4);
      for (int f = 0; f < flips; f++) {
        bad[random.nextInt(bad.length)] = (byte) random.nextInt(256);
      }
      final byte[] input = random.nextBoolean() ? bad : java.util.Arrays.copyOf(bad, random.nextInt(bad.length));
      try {
        Codec.decodeCommand(ByteBuffer.wrap(input));
      } catch (IllegalArgumentException e) {
        assertThat(e.getMessage()).startsWith("malformed Baton request");
        rejected++;
      }
    }
    assertThat(rejected).isGreaterThan(1000);
  }
}
