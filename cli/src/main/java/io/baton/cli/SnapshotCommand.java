package io.baton.cli;

import io.baton.ha.grpc.BackupChunk;
import io.baton.ha.grpc.BackupRequest;
import io.baton.raft.Backup;
import io.baton.store.StorageException;
import io.vertx.core.json.JsonObject;
import java.io.IOException;
import java.io.OutputStream;
import java.io.PrintWriter;
import java.nio.channels.Channels;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.util.Iterator;
import java.util.List;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/** {@code baton snapshot save|status|restore}: backups of a cluster's store. */
@Command(name = "snapshot", mixinStandardHelpOptions = true,
    description = "Back up a cluster's store, verify a backup, restore one into a new cluster.",
    subcommands = {SnapshotCommand.Save.class, SnapshotCommand.Status.class, SnapshotCommand.Restore.class})
final class SnapshotCommand {
  static JsonObject json(Backup.Info info) {
    return new JsonObject().put("clusterName", info.clusterName()).put("clusterId", info.clusterId())
        .put("node", info.node()).put("created", info.created().toString()).put("revision", info.revision())
        .put("logIndex", info.logIndex()).put("keys", info.keys()).put("bytes", info.bytes())
        .put("sha256", info.sha256());
  }

  static void print(CliCommand command, Path file, Backup.Info info) {
    final PrintWriter out = command.out();
    if (command.jsonOutput()) {
      out.println(json(info).put("file", file.toString()).encodePrettily());
    } else {
      out.printf("%s: cluster '%s' (id %s), taken on node %s at %s%n  revision %d, log index %d, %d keys, %d bytes,"
          + " sha256 %s%n", file, info.clusterName(), info.clusterId(), info.node(), info.created(), info.revision(),
          info.logIndex(), info.keys(), info.bytes(), info.sha256());
    }
  }

  @Command(name = "save", mixinStandardHelpOptions = true,
      description = "Writes a consistent backup of the store (every write acknowledged before the call is in it) to FILE,"
          + " verifies it, and prints its revision, cluster id and checksum.")
  static final class Save extends CliCommand implements Callable<Integer> {
    @Parameters(index = "0", paramLabel = "FILE")
    Path file;

    @Override
    public Integer call() throws IOException {
      final Path partial = file.resolveSibling(file.getFileName() + ".part");
      final BackupChunk last = cli().onFirstAnswering(channel -> {
        final Iterator<BackupChunk> chunks = adminStub(channel).backup(BackupRequest.getDefaultInstance());
        try (FileChannel ch = FileChannel.open(partial, StandardOpenOption.CREATE, StandardOpenOption.WRITE,
            StandardOpenOption.TRUNCATE_EXISTING); OutputStream out = Channels.newOutputStream(ch)) {
          BackupChunk chunk = null;
          while (chunks.hasNext()) {
            chunk = chunks.next();
            chunk.getData().writeTo(out);
          }
          out.flush();
          ch.force(true);
          if (chunk == null || !chunk.hasInfo()) {
            throw new IllegalStateException("the node's backup stream ended without its summary");
          }
          return chunk;
        } catch (IOException e) {
          throw new java.io.UncheckedIOException("cannot write " + partial + ": " + e.getMessage(), e);
        }
      });
      final Backup.Info info;
      try {
        info = Backup.read(partial).info();
      } catch (StorageException e) {
        Files.deleteIfExists(partial);
        throw e;
      }
      if (!info.sha256().equals(last.getInfo().getSha256())) {
        Files.deleteIfExists(partial);
        throw new IllegalStateException("the backup received (sha256 " + info.sha256() + ") is not the one the node"
            + " wrote (sha256 " + last.getInfo().getSha256() + ")");
      }
      Files.move(partial, file, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
      print(this, file, info);
      return BatonCli.OK;
    }
  }

  @Command(name = "status", mixinStandardHelpOptions = true,
      description = "Verifies a backup file (format, length, SHA-256, the state inside) and prints what it holds.")
  static final class Status extends CliCommand implements Callable<Integer> {
    @Parameters(index = "0", paramLabel = "FILE")
    Path file;

    @Override
    public Integer call() {
      print(this, file, Backup.read(file).info());
      return BatonCli.OK;
    }
  }

  @Command(name = "restore", mixinStandardHelpOptions = true,
      description = "Verifies a backup and places it in the empty storage directory of each node of a NEW cluster"
          + " (another cluster name, so a new cluster id). Each node then starts from it: same keys and revisions,"
          + " and every revision (so every fencing epoch) written afterwards is above the backup's. Run it for every"
          + " node of the new cluster before their first start.")
  static final class Restore extends CliCommand implements Callable<Integer> {
    @Parameters(index = "0", paramLabel = "FILE")
    Path file;

    @Option(names = "--cluster-name", required = true, paramLabel = "NAME",
        description = "The new cluster's name (baton.cluster-name); must differ from the backup's.")
    String clusterName;

    @Option(names = "--storage-dir", required = true, paramLabel = "DIR",
        description = "A node's storage directory (<baton.data-dir>/<baton.node-id>), empty or missing; repeat it for"
            + " several nodes.")
    List<Path> storageDirs;

    @Override
    public Integer call() {
      final Backup backup = Backup.read(file);
      final PrintWriter out = out();
      final io.vertx.core.json.JsonArray placed = new io.vertx.core.json.JsonArray();
      for (Path dir : storageDirs) {
        final Path p = backup.restoreInto(dir, clusterName);
        placed.add(p.toString());
        if (!jsonOutput()) {
          out.printf("placed %s: the node with storage %s starts cluster '%s' from revision %d%n", p.getFileName(), dir,
              clusterName, backup.info().revision());
        }
      }
      if (jsonOutput()) {
        out.println(json(backup.info()).put("file", file.toString()).put("newClusterName", clusterName)
            .put("placed", placed).encodePrettily());
      }
      return BatonCli.OK;
    }
  }
}
