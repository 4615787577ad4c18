package io.baton.ha;

import io.grpc.ForwardingServerCall;
import io.grpc.ForwardingServerCallListener;
import io.grpc.Metadata;
import io.grpc.MethodDescriptor;
import io.grpc.ServerCall;
import io.grpc.ServerCallHandler;
import io.grpc.ServerInterceptor;
import io.grpc.Status;
import io.quarkus.grpc.GlobalInterceptor;
import jakarta.inject.Singleton;

/**
 * Answers a call whose request bytes do not parse as the method's message with INVALID_ARGUMENT
 * naming the method. Without it the Vert.x gRPC transport drops the unparsable message and the
 * call fails with INTERNAL "Half-closed without a request", which tells the caller nothing. Applies
 * to every service the node serves (Baton's API and etcd's).
 */
@GlobalInterceptor
@Singleton
public class MalformedRequestInterceptor implements ServerInterceptor {
  @Override
  public <Q, R> ServerCall.Listener<Q> interceptCall(ServerCall<Q, R> call, Metadata headers,
      ServerCallHandler<Q, R> next) {
    final MethodDescriptor.MethodType type = call.getMethodDescriptor().getType();
    if (type != MethodDescriptor.MethodType.UNARY && type != MethodDescriptor.MethodType.SERVER_STREAMING) {
      return next.startCall(call, headers); // a client stream may legitimately send no message
    }
    final boolean[] closed = {false};
    final ServerCall<Q, R> tracked = new ForwardingServerCall.SimpleForwardingServerCall<>(call) {
      @Override
      public void close(Status status, Metadata trailers) {
        closed[0] = true;
        super.close(status, trailers);
      }
    };
    return new ForwardingServerCallListener.SimpleForwardingServerCallListener<>(next.startCall(tracked, headers)) {
      private boolean received;

      @Override
      public void onMessage(Q message) {
        received = true;
        super.onMessage(message);
      }

      @Override
      public void onHalfClose() {
        if (!received && !closed[0]) {
          closed[0] = true;
          call.close(Status.INVALID_ARGUMENT.withDescription("malformed request: no valid "
              + call.getMethodDescriptor().getFullMethodName() + " request message arrived (its bytes do not parse"
              + " as the method's protobuf message)"), new Metadata());
          return;
        }
        super.onHalfClose();
      }
    };
  }
}
