package io.baton.raft;

import static org.assertj.core.api.Assertions.assertThat;

import io.baton.store.BatonException;
import io.baton.store.CompactedException;
import io.baton.store.Op;
import io.baton.store.Txn;
import io.baton.store.Watch;
import io.baton.store.WatchEvent;
import io.baton.store.WatchListener;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/** Watch delivery with a direct executor, so every assertion sees delivery completed. */
class WatchHubTest {
  private final KvState state = new KvState(4);
  private final WatchHub hub = new WatchHub(Runnable::run, "t");
  private long index;

  private final List<WatchEvent> seen = new ArrayList<>();
  private final List<BatonException> errors = new ArrayList<>();
  private final WatchListener listener = new WatchListener() {
    @Override
    public void onEvent(WatchEvent event) {
      seen.add(event);
    }

    @Override
    public void onError(BatonException error) {
      errors.add(error);
    }
  };

  private void put(String... keys) {
    final List<Op> ops = new ArrayList<>();
    for (String k : keys) {
      ops.add(Op.put(k, "v"));
    }
    hub.publish(state.apply(new Command.TxnCommand(Txn.of(List.of(), ops)), ++index, 1).events());
  }

  private Watch watch(String prefix, long from) {
    return hub.register(prefix, from, state.eventsFrom(from, prefix), listener);
  }

  @Test
  void deliversBacklogThenLiveEventsInOrderForItsPrefix() {
    put("a/1");
    put("b/1");
    final Watch w = watch("a/", 1);
    put("a/2", "b/2", "a/3");
    assertThat(seen).extracting(WatchEvent::key).containsExactly("a/1", "a/2", "a/3");
    assertThat(seen).extracting(WatchEvent::revision).containsExactly(1L, 3L, 3L);
    assertThat(w.nextRevision()).isEqualTo(4);
    put("b/3");
    assertThat(w.nextRevision()).as("advances past revisions with nothing for its prefix").isEqualTo(5);
    w.close();
    put("a/4");
    assertThat(seen).hasSize(3);
    assertThat(hub.size()).isZero();
  }

  @Test
  void resyncAfterSnapshotJumpFillsTheGapOrFailsWithCompaction() throws Exception {
    final Watch w = watch("", 1);
    put("x");
    // another replica moves ahead by 2 revisions; this one installs its snapshot
    final KvState ahead = new KvState(4);
    ahead.readSnapshot(snapshotOf(state));
    ahead.apply(new Command.TxnCommand(Txn.of(List.of(), List.of(Op.put("y", "v")))), 10, 1);
    ahead.apply(new Command.TxnCommand(Txn.of(List.of(), List.of(Op.put("z", "v")))), 11, 1);
    hub.resync(ahead);
    assertThat(seen).extracting(WatchEvent::key).containsExactly("x", "y", "z");
    assertThat(w.nextRevision()).isEqualTo(4);

    final KvState farAhead = new KvState(1);
    farAhead.readSnapshot(snapshotOf(ahead));
    for (int i = 0; i < 5; i++) {
      farAhead.apply(new Command.TxnCommand(Txn.of(List.of(), List.of(Op.put("k" + i, "v")))), 20 + i, 1);
    }
    hub.resync(farAhead);
    assertThat(errors).singleElement().isInstanceOf(CompactedException.class);
    assertThat(hub.size()).isZero();
  }

  private static byte[] snapshotOf(KvState s) throws Exception {
    final java.io.ByteArrayOutputStream out = new java.io.ByteArrayOutputStream();
    s.writeSnapshot(out);
    return out.toByteArray();
  }
}
