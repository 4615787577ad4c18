package io.baton.cli;

import io.baton.ha.grpc.RoleStatus;
import io.baton.ha.grpc.StatusResponse;
import io.grpc.StatusRuntimeException;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;

/** {@code baton status}: every endpoint's node, its Raft state and lag, its roles and epochs, the members. */
@Command(name = "status", mixinStandardHelpOptions = true,
    description = "Every endpoint's node: Raft term, leader, commit and applied index, lag behind the leader; "
        + "each role's active node and epoch; the members the active node monitors.")
final class StatusCommand extends CliCommand implements Callable<Integer> {
  @Override
  public Integer call() {
    final Map<String, Object> answers = new LinkedHashMap<>(); // endpoint -> StatusResponse or error text
    for (String endpoint : cli().endpoints) {
      try {
        answers.put(endpoint, status(endpoint));
      } catch (StatusRuntimeException e) {
        answers.put(endpoint, BatonCli.describe(e));
      }
    }
    final long leaderCommit = answers.values().stream().filter(StatusResponse.class::isInstance)
        .map(StatusResponse.class::cast).filter(s -> s.hasRaft() && s.getNode().equals(s.getRaft().getLeader()))
        .mapToLong(s -> s.getRaft().getCommitIndex()).max().orElse(-1);
    final var out = out();
    if (jsonOutput()) {
      out.println(json(answers, leaderCommit).encodePrettily());
    } else {
      text(answers, leaderCommit, out);
    }
    return answers.values().stream().anyMatch(StatusResponse.class::isInstance) ? BatonCli.OK : BatonCli.UNREACHABLE;
  }

  private static JsonObject json(Map<String, Object> answers, long leaderCommit) {
    final JsonArray nodes = new JsonArray();
    answers.forEach((endpoint, answer) -> {
      final JsonObject n = new JsonObject().put("endpoint", endpoint);
      if (answer instanceof StatusResponse s) {
        n.put("node", s.getNode()).put("backend", s.getBackend()).put("placement", s.getPlacement());
        if (s.hasRaft()) {
          final var r = s.getRaft();
          final JsonObject raft = new JsonObject().put("term", r.getTerm()).put("leader", r.getLeader())
              .put("commitIndex", r.getCommitIndex()).put("appliedIndex", r.getAppliedIndex());
          if (leaderCommit >= 0) {
            raft.put("lag", Math.max(0, leaderCommit - r.getAppliedIndex()));
          }
          if (!r.getLogFailure().isEmpty()) {
            raft.put("logFailure", r.getLogFailure());
          }
          if (r.getRehearsing()) {
            raft.put("rehearsing", true);
          }
          n.put("raft", raft);
        }
        final JsonArray roles = new JsonArray();
        for (RoleStatus role : s.getRolesList()) {
          roles.add(new JsonObject().put("role", role.getRole()).put("state", role.getState())
              .put("epoch", role.getEpoch()).put("active", role.getActive()).put("standbyMode", role.getStandbyMode())
              .put("candidate", role.getCandidate()));
        }
        n.put("roles", roles).put("members", new JsonObject(new TreeMap<>(s.getMembersMap())));
      } else {
        n.put("error", answer);
      }
      nodes.add(n);
    });
    return new JsonObject().put("nodes", nodes);
  }

  private static void text(Map<String, Object> answers, long leaderCommit, java.io.PrintWriter out) {
    out.printf("%-22s %-6s %-7s %-9s %-6s %-8s %-8s %-8s %s%n", "ENDPOINT", "NODE", "BACKEND", "RAFT", "TERM",
        "COMMIT", "APPLIED", "LAG", "ROLES");
    final Map<String, String> members = new TreeMap<>();
    answers.forEach((endpoint, answer) -> {
      if (!(answer instanceof StatusResponse s)) {
        out.printf("%-22s unreachable: %s%n", endpoint, answer);
        return;
      }
      final StringBuilder roles = new StringBuilder();
      for (RoleStatus role : s.getRolesList()) {
        roles.append(roles.length() == 0 ? "" : " ").append(role.getRole()).append('=').append(role.getState())
            .append("(epoch ").append(role.getEpoch()).append(", active ")
            .append(role.getActive().isEmpty() ? "?" : role.getActive())
            .append(role.getCandidate() ? "" : ", not a candidate").append(')');
      }
      if (s.hasRaft()) {
        final var r = s.getRaft();
        out.printf("%-22s %-6s %-7s %-9s %-6d %-8d %-8d %-8s %s%n", endpoint, s.getNode(), s.getBackend(),
            s.getNode().equals(r.getLeader()) ? "leader" : "follower", r.getTerm(), r.getCommitIndex(),
            r.getAppliedIndex(), leaderCommit < 0 ? "?" : Long.toString(Math.max(0, leaderCommit - r.getAppliedIndex())),
            roles);
        if (!r.getLogFailure().isEmpty()) {
          out.printf("%-22s LOG FAILED: %s%n", "", r.getLogFailure());
        }
        if (r.getRehearsing()) {
          out.printf("%-22s rehearsing a takeover in a practice cluster (not ready until it ends)%n", "");
        }
      } else {
        out.printf("%-22s %-6s %-7s %-9s %-6s %-8s %-8s %-8s %s%n", endpoint, s.getNode(), s.getBackend(), "-", "-",
            "-", "-", "-", roles);
      }
      s.getMembersMap().forEach((m, state) -> members.put(m, state + " (seen by " + s.getNode() + ")"));
    });
    if (!members.isEmpty()) {
      out.println("MEMBERS");
      members.forEach((m, state) -> out.printf("  %s %s%n", m, state));
    }
  }
}
