package io.baton.raft;

import java.util.HashMap;
import java.util.LinkedHashSet;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import java.util.logging.Handler;
import java.util.logging.Level;
import java.util.logging.LogRecord;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Says at WARN, in one line, when a client that does not speak TLS reaches a node's TLS Raft port.
 *
 * <p>Ratis' gRPC server (its shaded grpc-netty) refuses such a connection in the handshake and says
 * so only at FINE, through java.util.logging, as a connection failure whose cause is Netty's
 * {@code NotSslRecordException} ("not an SSL/TLS record: " and the first bytes in hex). This class
 * listens to that one logger at FINE while a node with TLS runs in the process and turns each such
 * record into a WARN line naming the node and what the client sent first (an HTTP/2 preface, an
 * HTTP/1.1 request line, ...), at most once per {@value #LOG_SECONDS} s for the same beginning. Netty does not pass the
 * client's address to that record, so the line cannot name it. [Thread-safe]
 */
final class PlaintextRefusals {
  private static final Logger LOG = LoggerFactory.getLogger(PlaintextRefusals.class);
  /** The shaded grpc-netty logger that reports a connection failed during TLS negotiation. */
  static final String GRPC_LOGGER = "org.apache.ratis.thirdparty.io.grpc.netty.WriteBufferingAndExceptionHandler";
  private static final int LOG_SECONDS = 10;
  private static final Pattern FIRST_BYTES = Pattern.compile("not an SSL/TLS record: ([0-9a-fA-F]+)");

  /** Held strongly: java.util.logging keeps loggers weakly, and a collected logger loses its level and handler. */
  private static final java.util.logging.Logger grpcLogger = java.util.logging.Logger.getLogger(GRPC_LOGGER);
  private static final Set<String> nodes = new LinkedHashSet<>();
  private static final Handler handler = new Handler() {
    @Override
    public void publish(LogRecord record) {
      refused(record.getThrown());
      if (record.getLevel().intValue() >= levelBefore.intValue() && grpcLogger.getParent() != null) {
        grpcLogger.getParent().log(record); // what the logger passed on before it was watched, it still does
      }
    }

    @Override
    public void flush() {
    }

    @Override
    public void close() {
    }
  };
  /** When each beginning was last logged: a client that retries is logged once per {@value #LOG_SECONDS} s. */
  private static final Map<String, Long> logged = new HashMap<>();
  /** The logger's own level before it was watched (null: its parent's), and the level in effect then. */
  private static Level levelSetBefore;
  private static volatile Level levelBefore = Level.INFO;

  private PlaintextRefusals() {
  }

  /** Node {@code id}'s Raft port uses TLS from now on: plaintext clients of this process's Raft ports are logged. */
  static synchronized void watch(String id) {
    if (nodes.isEmpty()) {
      levelSetBefore = grpcLogger.getLevel();
      levelBefore = effectiveLevel(grpcLogger);
      // FINE records reach this handler only: the application's own handlers still see what they saw before
      grpcLogger.setUseParentHandlers(false);
      grpcLogger.setLevel(Level.FINE);
      grpcLogger.addHandler(handler);
    }
    nodes.add(id);
  }

  /** Node {@code id} stopped; the last one to stop restores the logger as it was. */
  static synchronized void unwatch(String id) {
    if (nodes.remove(id) && nodes.isEmpty()) {
      grpcLogger.removeHandler(handler);
      grpcLogger.setLevel(levelSetBefore);
      grpcLogger.setUseParentHandlers(true);
    }
  }

  private static Level effectiveLevel(java.util.logging.Logger logger) {
    for (java.util.logging.Logger l = logger; l != null; l = l.getParent()) {
      if (l.getLevel() != null) {
        return l.getLevel();
      }
    }
    return Level.INFO;
  }

  /** Logs {@code failure} if a plaintext client caused it (its causes include Netty's NotSslRecordException). */
  static void refused(Throwable failure) {
    for (Throwable t = failure; t != null; t = t.getCause() == t ? null : t.getCause()) {
      if ("NotSslRecordException".equals(t.getClass().getSimpleName())) {
        final String began = firstBytes(t.getMessage());
        final String nodeList;
        synchronized (PlaintextRefusals.class) {
          final long now = System.nanoTime();
          final Long last = logged.get(began);
          if (last != null && now - last < TimeUnit.SECONDS.toNanos(LOG_SECONDS)) {
            return;
          }
          if (logged.size() > 1000) {
            logged.clear();
          }
          logged.put(began, now);
          nodeList = String.join(",", nodes);
        }
        LOG.warn("node {}: TLS: refused a plaintext (not TLS) connection on the Raft port; it began with \"{}\""
            + " (a peer or client without baton.tls.*?)", nodeList, began);
        return;
      }
    }
  }

  /** The printable start of what the client sent, from the exception's hex dump; control bytes as '.'. */
  static String firstBytes(String message) {
    final Matcher m = message == null ? null : FIRST_BYTES.matcher(message);
    if (m == null || !m.find()) {
      return "?";
    }
    final String hex = m.group(1);
    final StringBuilder out = new StringBuilder();
    for (int i = 0; i + 1 < hex.length() && out.length() < 24; i += 2) {
      final int b = Integer.parseInt(hex.substring(i, i + 2), 16);
      out.append(b >= 0x20 && b < 0x7f && b != '"' ? (char) b : '.');
    }
    return out.toString();
  }
}
