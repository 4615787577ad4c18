package io.baton.cli;

import java.io.PrintWriter;
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
}
