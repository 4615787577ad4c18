package io.baton.cli;

import io.baton.ha.AdminAuthorization;
import io.baton.ha.grpc.BatonGrpc;
import io.baton.ha.grpc.StatusRequest;
import io.baton.ha.grpc.StatusResponse;
import io.grpc.ManagedChannel;
import io.grpc.Metadata;
import io.grpc.stub.MetadataUtils;
import java.io.PrintWriter;
import java.util.concurrent.TimeUnit;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Spec;

/** What every {@code baton} command shares: the top command's options and the output. */
abstract class CliCommand {

  @Spec
  CommandSpec spec;

  /** The top command, with --endpoints, --output and --timeout. */
  BatonCli cli() {
    return (BatonCli) spec.root().userObject();
  }

  PrintWriter out() {
    return spec.commandLine().getOut();
  }

  boolean jsonOutput() {
    return cli().output == BatonCli.Output.json;
  }

  /** A stub on {@code channel} whose call has the --timeout deadline. */
  BatonGrpc.BatonBlockingStub stub(ManagedChannel channel) {
    return BatonGrpc.newBlockingStub(channel).withDeadlineAfter(cli().timeout.toMillis(), TimeUnit.MILLISECONDS);
  }

  /**
   * A stub for an admin call (transfer, backup, peer changes): as {@link #stub}, carrying the admin
   * token when there is one (--token-file or BATON_TOKEN). Only admin calls carry it.
   */
  BatonGrpc.BatonBlockingStub adminStub(ManagedChannel channel) {
    final BatonGrpc.BatonBlockingStub stub = stub(channel);
    return cli().token().map(token -> {
      cli().warnIfPlaintext(spec.commandLine().getErr());
      final Metadata headers = new Metadata();
      headers.put(AdminAuthorization.AUTHORIZATION, AdminAuthorization.BEARER + token);
      return stub.withInterceptors(MetadataUtils.newAttachHeadersInterceptor(headers));
    }).orElse(stub);
  }

  /**
   * The status of the node at {@code endpoint}, on a channel of its own.
   *
   * @throws io.grpc.StatusRuntimeException when it does not answer
   */
  StatusResponse status(String endpoint) {
    final ManagedChannel channel = cli().channel(endpoint);
    try {
      return stub(channel).status(StatusRequest.getDefaultInstance());
    } finally {
      BatonCli.close(channel);
    }
  }
}
