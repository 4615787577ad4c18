package io.baton.cli;

import com.google.protobuf.ByteString;
import io.baton.ha.grpc.BatonGrpc;
import io.baton.ha.grpc.DeleteRequest;
import io.baton.ha.grpc.GetRequest;
import io.baton.ha.grpc.KeyValue;
import io.baton.ha.grpc.PutRequest;
import io.baton.ha.grpc.RangeRequest;
import io.baton.ha.grpc.ReadResponse;
import io.baton.ha.grpc.WatchEvent;
import io.baton.ha.grpc.WatchRequest;
import io.baton.ha.grpc.WriteResponse;
import io.grpc.Context;
import io.grpc.StatusRuntimeException;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.io.PrintWriter;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Iterator;
import java.util.concurrent.Callable;
import java.util.concurrent.TimeUnit;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/** {@code baton get|put|del|watch}: the metadata store, for debugging. Values are shown as UTF-8. */
final class KvCommands {
  private KvCommands() {}

  static JsonObject json(KeyValue kv) {
    return new JsonObject().put("key", kv.getKey()).put("value", kv.getValue().toString(StandardCharsets.UTF_8))
        .put("createRevision", kv.getCreateRevision()).put("modRevision", kv.getModRevision())
        .put("version", kv.getVersion()).put("lease", kv.getLease());
  }

  static String text(KeyValue kv) {
    return kv.getKey() + " = " + kv.getValue().toString(StandardCharsets.UTF_8) + "  (create " + kv.getCreateRevision()
        + ", mod " + kv.getModRevision() + ", version " + kv.getVersion()
        + (kv.getLease() == 0 ? "" : ", lease " + kv.getLease()) + ")";
  }

  @Command(name = "get", mixinStandardHelpOptions = true, description = "Reads a key, or every key under a prefix.")
  static final class Get extends CliCommand implements Callable<Integer> {
    @Parameters(index = "0", paramLabel = "KEY")
    String key;

    @Option(names = "--prefix", description = "Every key that starts with KEY.")
    boolean prefix;

    @Option(names = "--stale", description = "Read the node's replica as it is (no leader round trip).")
    boolean stale;

    @Override
    public Integer call() {
      final ReadResponse r = cli().onFirstAnswering(channel -> {
        final var stub = stub(channel);
        return prefix ? stub.range(RangeRequest.newBuilder().setPrefix(key).setStale(stale).build())
            : stub.get(GetRequest.newBuilder().setKey(key).setStale(stale).build());
      });
      final PrintWriter out = out();
      if (jsonOutput()) {
        final JsonArray kvs = new JsonArray();
        r.getKvsList().forEach(kv -> kvs.add(json(kv)));
        out.println(new JsonObject().put("revision", r.getRevision()).put("kvs", kvs).encodePrettily());
      } else {
        r.getKvsList().forEach(kv -> out.println(text(kv)));
        out.println("revision " + r.getRevision() + ", " + r.getKvsCount() + (r.getKvsCount() == 1 ? " key" : " keys"));
      }
      // like etcdctl, a missing key is not an error; a script tells by the count
      return BatonCli.OK;
    }
  }

  @Command(name = "put", mixinStandardHelpOptions = true, description = "Writes a key (unfenced).")
  static final class Put extends CliCommand implements Callable<Integer> {
    @Parameters(index = "0", paramLabel = "KEY")
    String key;

    @Parameters(index = "1", paramLabel = "VALUE")
    String value;

    @Override
    public Integer call() {
      final WriteResponse w = cli().onFirstAnswering(channel -> stub(channel).put(PutRequest.newBuilder().setKey(key).setValue(ByteString.copyFromUtf8(value)).build()));
      printWrite(this, w);
      return BatonCli.OK;
    }
  }

  @Command(name = "del", mixinStandardHelpOptions = true, description = "Deletes a key (unfenced).")
  static final class Del extends CliCommand implements Callable<Integer> {
    @Parameters(index = "0", paramLabel = "KEY")
    String key;

    @Override
    public Integer call() {
      final WriteResponse w = cli().onFirstAnswering(channel -> stub(channel).delete(DeleteRequest.newBuilder().setKey(key).build()));
      printWrite(this, w);
      return BatonCli.OK;
    }
  }

  private static void printWrite(CliCommand command, WriteResponse w) {
    final PrintWriter out = command.out();
    if (command.jsonOutput()) {
      out.println(new JsonObject().put("revision", w.getRevision()).encode());
    } else {
      out.println("OK, revision " + w.getRevision());
    }
  }

  @Command(name = "watch", mixinStandardHelpOptions = true,
      description = "Prints every change under a prefix, from a revision on, until --count events or --for elapsed "
          + "(or until interrupted).")
  static final class WatchCommand extends CliCommand implements Callable<Integer> {
    @Parameters(index = "0", paramLabel = "PREFIX", defaultValue = "")
    String prefix;

    @Option(names = "--from-revision", paramLabel = "REV", defaultValue = "0",
        description = "The first revision to show (0: changes from now on).")
    long fromRevision;

    @Option(names = "--count", paramLabel = "N", description = "Stop after N events.")
    Long count;

    @Option(names = "--for", paramLabel = "DURATION", converter = BatonCli.DurationConverter.class,
        description = "Stop after this long (e.g. 30s).")
    Duration duration;

    @Override
    public Integer call() {
      final PrintWriter out = out();
      final long[] seen = {0};
      final Integer code = cli().onFirstAnswering(channel -> {
        final Context.CancellableContext context = Context.current().withCancellation();
        try {
          return context.call(() -> {
            var stub = BatonGrpc.newBlockingStub(channel);
            if (duration != null) {
              stub = stub.withDeadlineAfter(duration.toMillis(), TimeUnit.MILLISECONDS);
            }
            final Iterator<WatchEvent> events = stub.watch(WatchRequest.newBuilder().setPrefix(prefix)
                .setFromRevision(fromRevision).build());
            try {
              while ((count == null || seen[0] < count) && events.hasNext()) {
                final WatchEvent e = events.next();
                seen[0]++;
                if (jsonOutput()) {
                  out.println(new JsonObject().put("type", e.getType().name()).put("revision", e.getRevision())
                      .put("kv", json(e.getKv())).encode());
                } else {
                  out.println(e.getType() + " " + (e.getType() == WatchEvent.Type.DELETE ? e.getKv().getKey()
                      + "  (revision " + e.getRevision() + ")" : text(e.getKv())));
                }
                out.flush();
              }
            } catch (StatusRuntimeException e) {
              if (duration == null || e.getStatus().getCode() != io.grpc.Status.Code.DEADLINE_EXCEEDED) {
                throw e;
              }
            }
            return BatonCli.OK;
          });
        } catch (StatusRuntimeException | IllegalArgumentException e) {
          throw e;
        } catch (Exception e) {
          throw new IllegalStateException(e);
        } finally {
          context.cancel(null);
        }
      });
      return code;
    }
  }
}
