package io.baton.cli;

import io.baton.ha.grpc.RoleStatus;
import io.baton.ha.grpc.TransferRoleRequest;
import io.grpc.StatusRuntimeException;
import io.vertx.core.json.JsonObject;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/** {@code baton transfer <role> [--to node]}: a planned move of a role. */
@Command(name = "transfer", mixinStandardHelpOptions = true,
    description = "Moves a role to another node and returns once that node holds it (a newer epoch is committed).")
final class TransferCommand extends CliCommand implements Callable<Integer> {
  @Parameters(index = "0", paramLabel = "ROLE", description = "The role to move.")
  String role;

  @Option(names = "--to", paramLabel = "NODE",
      description = "The node to move it to. Default: the first endpoint whose node is a standby for the role.")
  String target;

  @Override
  public Integer call() {
    final String to = target != null ? target : firstStandby();
    final long started = System.nanoTime();
    cli().onFirstAnswering(channel -> adminStub(channel).transferRole(TransferRoleRequest.newBuilder().setRole(role).setTarget(to).build()));
    final long millis = (System.nanoTime() - started) / 1_000_000;
    final var out = out();
    if (jsonOutput()) {
      out.println(new JsonObject().put("role", role).put("to", to).put("millis", millis).encode());
    } else {
      out.printf("role %s moved to %s (%d ms)%n", role, to, millis);
    }
    return BatonCli.OK;
  }

  /** The node of the first endpoint that reports {@code role} as STANDBY. */
  private String firstStandby() {
    for (String endpoint : cli().endpoints) {
      try {
        final var status = status(endpoint);
        for (RoleStatus r : status.getRolesList()) {
          if (r.getRole().equals(role) && r.getState().equals("STANDBY")) {
            return status.getNode();
          }
        }
      } catch (StatusRuntimeException e) {
        // this endpoint cannot tell: ask the next
      }
    }
    throw new IllegalArgumentException("no endpoint's node is a standby for role '" + role
        + "'; name the target with --to (and list every node in --endpoints)");
  }
}
