package io.baton.milvus;

import io.milvus.shaded.io.grpc.StatusRuntimeException;
import io.milvus.v2.exception.MilvusClientException;
import java.util.Set;

/**
 * Which Milvus failures are worth a retry, and which say the endpoint is unwell. Decided from what
 * milvus-sdk-java 2.6 surfaces with its own retries turned off: a {@link MilvusClientException}
 * of kind {@code RPC_ERROR} carrying the gRPC status, of kind {@code SERVER_ERROR} carrying
 * Milvus' status code (its {@code merr} codes), or a bare gRPC exception from the client's
 * connect call.
 */
public final class MilvusErrors {
  private MilvusErrors() {
  }

  /** What a failed attempt means. */
  public enum Kind {
    /**
     * The request never reached Milvus (the client could not connect): safe to send anywhere, even
     * a non-idempotent insert. Counts against the endpoint.
     */
    NOT_SENT(true, true),
    /**
     * The endpoint is unreachable, timed out, or failed internally (gRPC UNAVAILABLE,
     * DEADLINE_EXCEEDED, INTERNAL, UNKNOWN, CANCELLED, ABORTED; Milvus "service not ready",
     * "service unavailable", "service internal error"). Retried elsewhere when the call is
     * idempotent; for a non-idempotent call the outcome is unknown. Counts against the endpoint.
     */
    UNAVAILABLE(true, true),
    /**
     * Milvus refused the request for now, before applying it (rate limited, request limit,
     * resources short, collection not fully loaded or recovering, RESOURCE_EXHAUSTED): retried
     * after a backoff, also for inserts. Not held against the endpoint.
     */
    THROTTLED(true, false),
    /**
     * Milvus rejected the request itself (bad parameter, collection not found, not loaded,
     * permission denied, unimplemented, ...): a retry would get the same answer. The endpoint
     * answered, so it counts as healthy.
     */
    REJECTED(false, false);

    private final boolean retryable;
    private final boolean endpointError;

    Kind(boolean retryable, boolean endpointError) {
      this.retryable = retryable;
      this.endpointError = endpointError;
    }

    /** Whether another attempt may succeed. */
    public boolean retryable() {
      return retryable;
    }

    /** Whether it says something about the endpoint's health (counts towards ejection). */
    public boolean endpointError() {
      return endpointError;
    }
  }

  /** Milvus status codes (merr) that mean the endpoint is not serving. */
  private static final Set<Integer> UNAVAILABLE_CODES = Set.of(1, 2, 5);
  /** Milvus status codes (merr) that Milvus marks retriable: a refusal for now. */
  private static final Set<Integer> THROTTLED_CODES = Set.of(4, 8, 12, 103, 106, 202, 305, 1002);
  /** The legacy status error_code RateLimit. */
  private static final int LEGACY_RATE_LIMIT = 49;

  /** Classifies a failed attempt. */
  public static Kind classify(Throwable error) {
    if (error instanceof ConnectFailedException) {
      return Kind.NOT_SENT;
    }
    if (error instanceof MilvusClientException e) {
      return switch (e.getErrorCode()) {
        case RPC_ERROR -> e.getCause() instanceof StatusRuntimeException s ? classify(s.getStatus().getCode())
            : classifyMessage(e.getMessage());
        case SERVER_ERROR -> classifyServer(e.getServerErrCode(), e.getLegacyServerCode());
        case TIMEOUT -> Kind.UNAVAILABLE;
        default -> Kind.REJECTED;
      };
    }
    if (error instanceof StatusRuntimeException s) {
      return classify(s.getStatus().getCode());
    }
    return Kind.REJECTED;
  }

  static Kind classify(io.milvus.shaded.io.grpc.Status.Code code) {
    return switch (code) {
      case UNAVAILABLE, DEADLINE_EXCEEDED, INTERNAL, UNKNOWN, CANCELLED, ABORTED -> Kind.UNAVAILABLE;
      case RESOURCE_EXHAUSTED -> Kind.THROTTLED;
      default -> Kind.REJECTED;
    };
  }

  private static Kind classifyServer(int code, int legacy) {
    if (THROTTLED_CODES.contains(code) || legacy == LEGACY_RATE_LIMIT) {
      return Kind.THROTTLED;
    }
    if (UNAVAILABLE_CODES.contains(code)) {
      return Kind.UNAVAILABLE;
    }
    return Kind.REJECTED;
  }

  /** The SDK keeps only the text of a gRPC error it does not retry itself ("...: DEADLINE_EXCEEDED: ..."). */
  private static Kind classifyMessage(String message) {
    if (message != null) {
      for (io.milvus.shaded.io.grpc.Status.Code code : io.milvus.shaded.io.grpc.Status.Code.values()) {
        if (message.contains("StatusRuntimeException: " + code.name())) {
          return classify(code);
        }
      }
    }
    return Kind.UNAVAILABLE;
  }

  /** The client for an endpoint could not be created: its Connect call failed, so nothing was sent. */
  static final class ConnectFailedException extends RuntimeException {
    ConnectFailedException(String endpoint, Throwable cause) {
      super("cannot connect to Milvus at " + endpoint + ": " + cause.getMessage(), cause);
    }
  }
}
