package io.baton.raft;

import io.baton.store.ClosedException;
import io.baton.store.CompactedException;
import io.baton.store.ReadResult;
import io.baton.store.StorageException;
import io.baton.store.Watch;
import io.baton.store.WatchEvent;
import io.baton.store.WatchListener;
import java.io.File;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.util.Collection;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import org.apache.ratis.proto.RaftProtos.LogEntryProto;
import org.apache.ratis.protocol.Message;
import org.apache.ratis.protocol.RaftClientRequest;
import org.apache.ratis.protocol.RaftGroupId;
import org.apache.ratis.protocol.RaftGroupMemberId;
import org.apache.ratis.protocol.RaftPeerId;
import org.apache.ratis.protocol.exceptions.ReadException;
import org.apache.ratis.server.RaftServer;
import org.apache.ratis.server.protocol.TermIndex;
import org.apache.ratis.server.raftlog.RaftLog;
import org.apache.ratis.server.storage.FileInfo;
import org.apache.ratis.server.storage.RaftStorage;
import org.apache.ratis.statemachine.TransactionContext;
import org.apache.ratis.statemachine.impl.BaseStateMachine;
import org.apache.ratis.statemachine.impl.SimpleStateMachineStorage;
import org.apache.ratis.statemachine.impl.SingleFileSnapshotInfo;
import org.apache.ratis.thirdparty.com.google.protobuf.ByteString;
import org.apache.ratis.thirdparty.com.google.protobuf.UnsafeByteOperations;
import org.apache.ratis.util.LifeCycle;
import org.apache.ratis.util.MD5FileUtil;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Ratis' view of the {@link KvState}: applies committed commands (sequentially, on Ratis' apply
 * thread), answers queries, writes and loads snapshots, and reports leadership changes to its
 * {@link Events} listener. Nothing here blocks on user code: watch delivery and leadership
 * callbacks are only enqueued.
 */
final class MetadataStateMachine extends BaseStateMachine {
  private static final Logger LOG = LoggerFactory.getLogger(MetadataStateMachine.class);

  /** Leadership signals, called on Ratis threads; implementations must only enqueue. */
  interface Events {
    /** This node's leadership for {@code term} is ready: every earlier entry is applied. */
    void leaderReady(long term);

    /** This node stopped being leader. */
    void notLeader();

    /** The group's leader is now {@code leaderId} (null: unknown). */
    void leaderChanged(String leaderId);

    /** This node's Raft log could not write {@code failedEntry} (null: not an entry); it never writes again. */
    void logFailed(Throwable cause, LogEntryProto failedEntry);
  }

  private final String node;
  private final KvState state;
  private final WatchHub watches;
  private final LeaseDeadlines deadlines;
  private final RequestValidator validator;
  private final Events events;
  private final java.util.function.BooleanSupplier leaseValid;
  private final SimpleStateMachineStorage storage = new SimpleStateMachineStorage();
  private final java.util.concurrent.atomic.AtomicLong installedSnapshots = new java.util.concurrent.atomic.AtomicLong();
  /** A backup placed in the storage directory to start from, until it is installed. */
  private Backup restore;

  MetadataStateMachine(String node, int historyLimit, WatchHub watches, LeaseDeadlines deadlines,
      RequestValidator validator, Events events, java.util.function.BooleanSupplier leaseValid) {
    this.leaseValid = leaseValid;
    this.node = node;
    this.state = new KvState(historyLimit);
    this.watches = watches;
    this.deadlines = deadlines;
    this.validator = validator;
    this.events = events;
  }

  // ---- lifecycle and snapshots ----------------------------------------------------------

  @Override
  public void initialize(RaftServer server, RaftGroupId groupId, RaftStorage raftStorage) throws IOException {
    getLifeCycle().startAndTransition(() -> {
      super.initialize(server, groupId, raftStorage);
      storage.init(raftStorage);
      if (restore != null) {
        installRestore();
      }
      load(storage.getLatestSnapshot(), "restart");
    });
  }

  /** Starts this replica from {@code backup} (placed by {@link Backup#restoreInto}) unless it has a snapshot already. */
  void restoreFrom(Backup backup) {
    this.restore = backup;
  }

  /**
   * Writes the placed backup as this replica's first snapshot, at the backup's log index in term
   * 1, so that Ratis opens the log after it and a member without it gets it as a snapshot from the
   * leader; then marks the placed file restored. (Term 1, not 0: Ratis counts a voter whose last
   * entry has term 0 as one with an empty log, whose vote a candidate with commits does not take.) A replica that has a snapshot already (it crashed
   * after writing it) only marks the file.
   */
  private void installRestore() throws IOException {
    final Backup.Info info = restore.info();
    if (storage.getLatestSnapshot() == null) {
      writeSnapshotFile(TermIndex.valueOf(1, info.logIndex()), restore.state());
      LOG.info("node {} role=follower epoch=0: restored backup {} of cluster '{}' (taken on node {} at {}):"
          + " revision {}, log index {}, {} keys", node, restore.file().getFileName(), info.clusterName(), info.node(),
          info.created(), info.revision(), info.logIndex(), info.keys());
    }
    final Path placed = restore.file();
    Files.move(placed, placed.resolveSibling(placed.getFileName() + ".restored"), StandardCopyOption.ATOMIC_MOVE,
        StandardCopyOption.REPLACE_EXISTING);
    fsyncDirectory(placed.getParent());
    restore = null;
  }

  /** Ratis pauses the state machine before it installs a snapshot from the leader. */
  @Override
  public void pause() {
    getLifeCycle().transition(LifeCycle.State.PAUSING);
    getLifeCycle().transition(LifeCycle.State.PAUSED);
  }

  /** Loads the snapshot just installed from the leader, then resumes. */
  @Override
  public void reinitialize() throws IOException {
    load(storage.loadLatestSnapshot(), "installed snapshot");
    installedSnapshots.incrementAndGet();
    if (getLifeCycleState() == LifeCycle.State.PAUSED) {
      getLifeCycle().transition(LifeCycle.State.STARTING);
      getLifeCycle().transition(LifeCycle.State.RUNNING);
    }
  }

  /** How many snapshots were installed from the leader since start. */
  long installedSnapshots() {
    return installedSnapshots.get();
  }

  @Override
  public SimpleStateMachineStorage getStateMachineStorage() {
    return storage;
  }

  private void load(SingleFileSnapshotInfo snapshot, String why) {
    if (snapshot == null) {
      return;
    }
    final Path path = snapshot.getFile().getPath();
    final byte[] bytes;
    try {
      bytes = Files.readAllBytes(path);
    } catch (IOException e) {
      throw new StorageException(path, "node " + node + " cannot read its snapshot: " + e, e);
    }
    synchronized (state) {
      if (snapshot.getIndex() <= state.appliedIndex() && state.appliedIndex() > 0) {
        return;
      }
      try {
        state.readSnapshot(bytes);
      } catch (IllegalArgumentException e) {
        throw new StorageException(path, "node " + node + " refuses to start from a corrupt snapshot: "
            + e.getMessage() + "; restore the file, or remove this node's storage and re-add it to the cluster", e);
      }
      updateLastAppliedTermIndex(snapshot.getTermIndex());
      deadlines.resetAll(state.leaseTtls());
      watches.resync(state);
      LOG.info("node {}: loaded snapshot {} ({}) at revision {} with {} keys", node, path.getFileName(), why,
          state.revision(), state.size());
    }
  }

  @Override
  public long takeSnapshot() throws IOException {
    final TermIndex last;
    final java.io.ByteArrayOutputStream bytes = new java.io.ByteArrayOutputStream(1 << 16);
    synchronized (state) {
      last = getLastAppliedTermIndex();
      if (last == null || last.getIndex() <= 0) {
        return RaftLog.INVALID_LOG_INDEX;
      }
      state.writeSnapshot(bytes);
    }
    final File file = writeSnapshotFile(last, bytes.toByteArray());
    LOG.info("node {}: wrote snapshot {} ({} bytes) at log index {}", node, file.getName(), bytes.size(),
        last.getIndex());
    return last.getIndex();
  }

  /** Writes a snapshot file (temporary file, fsync, atomic rename, MD5) and makes it the latest. */
  private File writeSnapshotFile(TermIndex at, byte[] bytes) throws IOException {
    final File file = storage.getSnapshotFile(at.getTerm(), at.getIndex());
    writeDurably(file.toPath(), bytes);
    final var md5 = MD5FileUtil.computeAndSaveMd5ForFile(file);
    storage.updateLatestSnapshot(new SingleFileSnapshotInfo(new FileInfo(file.toPath(), md5), at));
    return file;
  }

  /** This replica's whole state in the snapshot format, with what it reflects: one consistent point. */
  record StateCopy(byte[] state, long revision, long appliedIndex, int keys) {}

  StateCopy copyState() {
    final java.io.ByteArrayOutputStream bytes = new java.io.ByteArrayOutputStream(1 << 16);
    synchronized (state) {
      try {
        state.writeSnapshot(bytes);
      } catch (IOException e) {
        throw new java.io.UncheckedIOException(e);  // a ByteArrayOutputStream does not fail
      }
      return new StateCopy(bytes.toByteArray(), state.revision(), state.appliedIndex(), state.size());
    }
  }

  long appliedIndex() {
    synchronized (state) {
      return state.appliedIndex();
    }
  }

  /**
   * Writes {@code bytes} as {@code target} so that a crash leaves either the old file or the whole
   * new one: a temporary file beside it, fsynced, renamed atomically over it, the directory fsynced.
   */
  static void writeDurably(Path target, byte[] bytes) throws IOException {
    final Path tmp = target.resolveSibling(target.getFileName() + ".writing");
    try (FileChannel ch = FileChannel.open(tmp, StandardOpenOption.CREATE, StandardOpenOption.WRITE,
        StandardOpenOption.TRUNCATE_EXISTING); OutputStream out = java.nio.channels.Channels.newOutputStream(ch)) {
      out.write(bytes);
      out.flush();
      ch.force(true);
    }
    Files.move(tmp, target, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
    fsyncDirectory(target.getParent());
  }

  static void fsyncDirectory(Path dir) {
    try (FileChannel ch = FileChannel.open(dir, StandardOpenOption.READ)) {
      ch.force(true);
    } catch (IOException | UnsupportedOperationException e) {
      // some file systems cannot fsync a directory; the rename itself is still atomic
    }
  }

  // ---- writes ---------------------------------------------------------------------------

  @Override
  public TransactionContext startTransaction(RaftClientRequest request) throws IOException {
    final ByteString content = request.getMessage().getContent();
    final TransactionContext.Builder b = TransactionContext.newBuilder()
        .setStateMachine(this).setClientRequest(request).setLogData(content);
    try {
      final Command command = Codec.decodeCommand(content.asReadOnlyByteBuffer());
      if (!(command instanceof Command.Write)) {
        throw new IllegalArgumentException("a read (" + command.getClass().getSimpleName() + ") was sent as a write");
      }
      validator.validate(command, content.size());
      return b.setStateMachineContext(command).build();
    } catch (IllegalArgumentException e) {
      LOG.warn("node {}: rejected a request from {}: {}", node, request.getClientId(), e.getMessage());
      final TransactionContext trx = b.build();
      trx.setException(e);
      return trx;
    }
  }

  @Override
  public CompletableFuture<Message> applyTransaction(TransactionContext trx) {
    final LogEntryProto entry = trx.getLogEntry();
    final Command.Write command = trx.getStateMachineContext() instanceof Command.Write w ? w
        : (Command.Write) Codec.decodeCommand(entry.getStateMachineLogEntry().getLogData().asReadOnlyByteBuffer());
    final KvState.Applied applied;
    synchronized (state) {
      applied = state.apply(command, entry.getIndex(), entry.getTerm());
      updateLastAppliedTermIndex(entry.getTerm(), entry.getIndex());
      watches.publish(applied.events());
    }
    trackLease(command, applied.reply());
    return CompletableFuture.completedFuture(toMessage(Codec.encode(applied.reply())));
  }

  private void trackLease(Command.Write command, Reply reply) {
    if (reply instanceof Reply.LeaseGranted g) {
      deadlines.refresh(g.leaseId(), g.ttlMillis());
    } else if (command instanceof Command.LeaseKeepAlive k && reply instanceof Reply.LeaseDone) {
      final Long ttl;
      synchronized (state) {
        ttl = state.leaseTtl(k.leaseId());
      }
      if (ttl != null) {
        deadlines.refresh(k.leaseId(), ttl);
      }
    } else if (command instanceof Command.LeaseRevoke r) {
      deadlines.remove(r.leaseId());
    } else if (command instanceof Command.LeaseExpire e) {
      deadlines.remove(e.leaseId());
      if (reply instanceof Reply.LeaseDone) {
        LOG.info("node {}: lease {} expired", node, e.leaseId());
      }
    }
  }

  static Message toMessage(byte[] bytes) {
    return Message.valueOf(UnsafeByteOperations.unsafeWrap(bytes));
  }

  // ---- reads ----------------------------------------------------------------------------

  /**
   * A read sent to the leader. A linearizable one is served from this replica only while
   * {@code leaseValid} holds: a majority acknowledged this leader within the leader lease, which
   * is shorter than the time followers refuse to vote for anyone else, so no newer leader can
   * have committed anything this replica lacks (a ready leader has applied every earlier-term
   * entry, and Ratis acknowledges a write only after its leader applied it). Otherwise the client
   * gets a retryable {@link ReadException}. A stale read is served as the replica is.
   */
  @Override
  public CompletableFuture<Message> query(Message request) {
    try {
      final Command command = Codec.decodeCommand(request.getContent().asReadOnlyByteBuffer());
      if (!(command instanceof Command.Read read)) {
        throw new IllegalArgumentException("a write (" + command.getClass().getSimpleName() + ") was sent as a read");
      }
      validator.validate(command, request.getContent().size());
      if (!read.stale() && !leaseValid.getAsBoolean()) {
        return CompletableFuture.failedFuture(new ReadException("node " + node
            + " cannot serve a linearizable read: its leadership is not confirmed by a majority"));
      }
      if (read instanceof Command.ReadBatch batch) {
        final List<Reply> replies = new java.util.ArrayList<>(batch.reads().size());
        synchronized (state) {
          batch.reads().forEach(r -> replies.add(new Reply.Read(state.read(r))));
        }
        return CompletableFuture.completedFuture(toMessage(Codec.encode(new Reply.Batch(replies))));
      }
      return CompletableFuture.completedFuture(toMessage(Codec.encode(new Reply.Read(readLocal(read)))));
    } catch (IllegalArgumentException e) {
      return CompletableFuture.failedFuture(e);
    }
  }

  /** Reads this replica's state at once, whatever its freshness. */
  ReadResult readLocal(Command.Read read) {
    synchronized (state) {
      return state.read(read);
    }
  }

  /** Registers a watch on this replica. */
  Watch watch(String prefix, long fromRevision, WatchListener listener) {
    synchronized (state) {
      final long from = fromRevision <= 0 ? state.revision() + 1 : fromRevision;
      if (from <= state.compactedRevision()) {
        return watches.failed(from, listener, new CompactedException(from, state.compactedRevision()));
      }
      final List<WatchEvent> backlog = state.eventsFrom(from, prefix);
      return watches.register(prefix, from, backlog, listener);
    }
  }

  long revision() {
    synchronized (state) {
      return state.revision();
    }
  }

  /** Lease TTLs in this replica's state (for the leader's expiry clock). */
  java.util.Map<Long, Long> leaseTtls() {
    synchronized (state) {
      return state.leaseTtls();
    }
  }

  // ---- leadership events ----------------------------------------------------------------

  @Override
  public void notifyLeaderReady() {
    long term = 0;
    try {
      term = getServer().join().getDivision(getGroupId()).getInfo().getCurrentTerm();
    } catch (IOException e) {
      LOG.warn("node {}: leader ready but the term is unknown: {}", node, e.toString());
      return;
    }
    deadlines.resetAll(leaseTtls());
    events.leaderReady(term);
  }

  @Override
  public void notifyNotLeader(Collection<TransactionContext> pendingEntries) {
    events.notLeader();
  }

  /**
   * Ratis' log worker failed to write (a full disk, an I/O error). Ratis fails that task and every
   * later one until the server is restarted: the node stops taking part in replication.
   */
  @Override
  public void notifyLogFailed(Throwable cause, LogEntryProto failedEntry) {
    events.logFailed(cause, failedEntry);
  }

  @Override
  public void notifyLeaderChanged(RaftGroupMemberId groupMemberId, RaftPeerId newLeaderId) {
    events.leaderChanged(newLeaderId == null ? null : newLeaderId.toString());
  }

  @Override
  public void close() throws IOException {
    watches.closeAll(new ClosedException("node " + node + " closed; resume the watch on another node"));
    super.close();
  }

}
