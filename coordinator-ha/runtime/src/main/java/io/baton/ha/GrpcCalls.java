package io.baton.ha;

import io.grpc.StatusRuntimeException;
import io.grpc.stub.ServerCallStreamObserver;
import io.grpc.stub.StreamObserver;
import java.util.concurrent.CompletableFuture;
import java.util.function.Function;
import java.util.function.Supplier;

/** How Baton's gRPC services answer a unary call from an asynchronous action. */
public final class GrpcCalls {
  private GrpcCalls() {
  }

  /**
   * Runs {@code action} and completes {@code out} with its result, or with its failure (thrown or
   * in the future) as {@code statusOf} maps it; nothing once the client has gone (canceled, or its
   * deadline passed).
   */
  public static <T> void reply(StreamObserver<T> out, Supplier<CompletableFuture<T>> action,
      Function<Throwable, StatusRuntimeException> statusOf) {
    final CompletableFuture<T> future;
    try {
      future = action.get();
    } catch (RuntimeException e) {
      out.onError(statusOf.apply(e));
      return;
    }
    future.whenComplete((result, error) -> {
      if (out instanceof ServerCallStreamObserver<T> call && call.isCancelled()) {
        return;
      }
      if (error != null) {
        out.onError(statusOf.apply(error));
      } else {
        out.onNext(result);
        out.onCompleted();
      }
    });
  }
}
