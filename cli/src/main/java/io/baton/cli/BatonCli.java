package io.baton.cli;

import io.baton.raft.TlsFiles;
import io.baton.store.StorageException;
import io.grpc.Grpc;
import io.grpc.ManagedChannel;
import io.grpc.ManagedChannelBuilder;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.grpc.TlsChannelCredentials;
import java.io.PrintWriter;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.function.Function;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.ScopeType;

/**
 * The {@code baton} command: talks to the nodes' gRPC API ({@code baton.v1.Baton}, on each node's
 * HTTP port) and works on backup files. Exit codes: {@value #OK} done, {@value #FAILED} a node
 * refused or failed the call, {@value #USAGE} bad usage, {@value #BAD_FILE} a backup file or
 * storage directory is unusable, {@value #UNREACHABLE} no endpoint answered.
 */
@Command(name = "baton", mixinStandardHelpOptions = true, version = "baton 0.1.0",
    description = "Operate a Baton cluster through its nodes' gRPC API.",
    subcommands = {StatusCommand.class, TransferCommand.class, KvCommands.Get.class, KvCommands.Put.class,
        KvCommands.Del.class, KvCommands.WatchCommand.class, SnapshotCommand.class, PeerCommand.class},
    exitCodeListHeading = "%nExit codes:%n",
    exitCodeList = {"0:done", "1:a node refused or failed the call (its gRPC status is printed)", "2:bad usage",
        "3:a backup file or storage directory is unusable", "4:no endpoint answered"})
public final class BatonCli {
  static final int OK = 0;
  static final int FAILED = 1;
  static final int USAGE = 2;
  static final int BAD_FILE = 3;
  static final int UNREACHABLE = 4;

  /** How results are printed. */
  enum Output { text, json }

  @Option(names = "--endpoints", scope = ScopeType.INHERIT, split = ",", paramLabel = "HOST:PORT",
      defaultValue = "127.0.0.1:8080",
      description = "Nodes' gRPC addresses (their HTTP port), tried in order. Default: ${DEFAULT-VALUE}.")
  List<String> endpoints;

  @Option(names = {"-o", "--output"}, scope = ScopeType.INHERIT, defaultValue = "text",
      description = "text or json. Default: ${DEFAULT-VALUE}.")
  Output output;

  @Option(names = "--timeout", scope = ScopeType.INHERIT, defaultValue = "10s",
      converter = DurationConverter.class, description = "Deadline of each call (e.g. 500ms, 10s). Default: ${DEFAULT-VALUE}.")
  Duration timeout;

  @Option(names = "--token-file", scope = ScopeType.INHERIT, paramLabel = "FILE",
      description = "A file holding the admin token sent with every call (as 'authorization: Bearer <token>');"
          + " admin calls (transfer, snapshot save, peer add/remove) need one when the nodes set"
          + " baton.admin.token-file. Default: the BATON_TOKEN environment variable, if set.")
  java.nio.file.Path tokenFile;

  @Option(names = "--cert", scope = ScopeType.INHERIT, paramLabel = "FILE",
      description = "This client's certificate (PEM) for nodes whose HTTP port requires mutual TLS; with --key and --cacert.")
  java.nio.file.Path cert;

  @Option(names = "--key", scope = ScopeType.INHERIT, paramLabel = "FILE",
      description = "The private key of --cert (PEM PKCS#8, 'BEGIN PRIVATE KEY').")
  java.nio.file.Path key;

  @Option(names = "--cacert", scope = ScopeType.INHERIT, paramLabel = "FILE",
      description = "The CA certificate(s) (PEM) the nodes' certificates must chain to; their certificates must name"
          + " the endpoint's host.")
  java.nio.file.Path cacert;

  /** The admin token to send: --token-file's content, else BATON_TOKEN, else none. */
  java.util.Optional<String> token() {
    if (tokenFile != null) {
      try {
        final String token = java.nio.file.Files.readString(tokenFile).strip();
        if (token.isEmpty()) {
          throw new IllegalArgumentException("token file " + tokenFile + " is empty");
        }
        return java.util.Optional.of(token);
      } catch (java.io.IOException e) {
        throw new IllegalArgumentException("cannot read token file " + tokenFile + ": " + e, e);
      }
    }
    return java.util.Optional.ofNullable(System.getenv("BATON_TOKEN")).map(String::strip).filter(t -> !t.isEmpty());
  }

  public static void main(String[] args) {
    System.exit(run(args, new PrintWriter(System.out, true), new PrintWriter(System.err, true)));
  }

  /** Runs one command line, printing to {@code out} and {@code err}; returns its exit code. */
  public static int run(String[] args, PrintWriter out, PrintWriter err) {
    final CommandLine cl = new CommandLine(new BatonCli());
    cl.setOut(out);
    cl.setErr(err);
    cl.setExecutionExceptionHandler((e, commandLine, parsed) -> {
      commandLine.getErr().println("baton: " + describe(e));
      return exitCodeOf(e);
    });
    return cl.execute(args);
  }

  static String describe(Throwable e) {
    if (e instanceof StatusRuntimeException s) {
      final Status status = s.getStatus();
      return status.getCode() + (status.getDescription() == null ? "" : ": " + status.getDescription());
    }
    if (e instanceof Unreachable u) {
      return u.getMessage();
    }
    return e.getMessage() == null ? e.toString() : e.getMessage();
  }

  static int exitCodeOf(Throwable e) {
    if (e instanceof Unreachable) {
      return UNREACHABLE;
    }
    if (e instanceof StorageException) {
      return BAD_FILE;
    }
    if (e instanceof IllegalArgumentException || e instanceof CommandLine.ParameterException) {
      return USAGE;
    }
    return FAILED;
  }

  /** No endpoint answered. */
  static final class Unreachable extends RuntimeException {
    Unreachable(String message) {
      super(message);
    }
  }

  /** Whether a failure means "try the next endpoint": the node is down or cannot serve now. */
  static boolean tryNext(StatusRuntimeException e) {
    final Status.Code code = e.getStatus().getCode();
    return code == Status.Code.UNAVAILABLE || code == Status.Code.DEADLINE_EXCEEDED;
  }

  /**
   * Calls {@code call} on each endpoint in turn until one answers; a node that is down or cannot
   * serve now (UNAVAILABLE, DEADLINE_EXCEEDED) passes the call to the next. Any other failure is
   * the answer.
   */
  <T> T onFirstAnswering(Function<ManagedChannel, T> call) {
    final List<String> failures = new ArrayList<>();
    for (String endpoint : endpoints) {
      final ManagedChannel channel = channel(endpoint);
      try {
        return call.apply(channel);
      } catch (StatusRuntimeException e) {
        if (!tryNext(e)) {
          throw e;
        }
        failures.add(endpoint + ": " + describe(e));
      } finally {
        close(channel);
      }
    }
    throw new Unreachable("no endpoint answered (" + String.join("; ", failures) + ")");
  }

  /** A channel to {@code endpoint}: mutual TLS with --cert, --key and --cacert, else plaintext. */
  ManagedChannel channel(String endpoint) {
    final String target = endpoint.trim();
    if (!target.matches(".+:\\d+")) {
      throw new IllegalArgumentException("endpoint '" + endpoint + "' is not HOST:PORT");
    }
    final TlsFiles tls = tls();
    if (tls == null) {
      return ManagedChannelBuilder.forTarget(target).usePlaintext().maxInboundMessageSize(8 << 20).build();
    }
    return Grpc.newChannelBuilder(target, TlsChannelCredentials.newBuilder().keyManager(tls.keyManager())
        .trustManager(tls.trustManager()).build()).maxInboundMessageSize(8 << 20).build();
  }

  private boolean warnedPlaintext;

  /** Warns once, on {@code err}, that an admin token is about to travel without TLS. */
  void warnIfPlaintext(PrintWriter err) {
    if (tls() == null && !warnedPlaintext) {
      warnedPlaintext = true;
      err.println("baton: warning: sending the admin token over plaintext (no --cert, --key, --cacert)");
    }
  }

  private TlsFiles tls;

  /** The TLS files of --cert, --key and --cacert (all three or none), or null; read once per command. */
  private TlsFiles tls() {
    final long given = java.util.stream.Stream.of(cert, key, cacert).filter(java.util.Objects::nonNull).count();
    if (given == 0) {
      return null;
    }
    if (given < 3) {
      throw new IllegalArgumentException("--cert, --key and --cacert go together (mutual TLS)");
    }
    if (tls == null) {
      tls = TlsFiles.of(cert, key, cacert);
    }
    return tls;
  }

  static void close(ManagedChannel channel) {
    channel.shutdownNow();
    try {
      channel.awaitTermination(2, TimeUnit.SECONDS);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }

  /** Durations as {@code 500ms}, {@code 10s}, {@code 2m} or ISO-8601 ({@code PT10S}). */
  static final class DurationConverter implements CommandLine.ITypeConverter<Duration> {
    @Override
    public Duration convert(String value) {
      final var m = java.util.regex.Pattern.compile("(\\d+)(ms|s|m)").matcher(value.trim());
      if (m.matches()) {
        final long n = Long.parseLong(m.group(1));
        return switch (m.group(2)) {
          case "ms" -> Duration.ofMillis(n);
          case "s" -> Duration.ofSeconds(n);
          default -> Duration.ofMinutes(n);
        };
      }
      try {
        return Duration.parse(value);
      } catch (java.time.format.DateTimeParseException e) {
        throw new CommandLine.TypeConversionException("'" + value + "' is not a duration (500ms, 10s, 2m or PT10S)");
      }
    }
  }
}
