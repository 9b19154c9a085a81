package io.escrow.cli;

import picocli.CommandLine;
import picocli.CommandLine.Command;

/** escrowctl: the operator's command line. {@code serve} runs the service itself. */
@Command(name = "escrowctl", mixinStandardHelpOptions = true, version = "escrowctl 0.1",
        description = {"Operate the lawful-access key escrow service.",
                "Configuration comes from the same keys as the service (escrow.*, or ESCROW_* environment variables)."},
        subcommands = {ServeCommand.class, CeremonyCommand.class, WarrantCommand.class, CustodianCommand.class, RecoverCommand.class,
                AuditCommand.class, OperatorCommands.Keys.class, OperatorCommands.Status.class, DemoCommand.class, BenchCommand.class,
                LoadCommand.class, WitnessCommand.class, CommandLine.HelpCommand.class})
public final class EscrowCtl implements Runnable {
    @CommandLine.Spec
    CommandLine.Model.CommandSpec spec;

    @Override
    public void run() {
        spec.commandLine().usage(System.out);
    }

    /** Runs a command line and returns its exit code; typed errors print as one line, without a stack trace. */
    public static int execute(String... args) {
        CommandLine cl = new CommandLine(new EscrowCtl());
        cl.setExecutionExceptionHandler((e, cmd, parsed) -> {
            CliErrors.Reported r = CliErrors.describe(e);
            cmd.getErr().println("escrowctl: " + r.line());
            return r.exitCode();
        });
        // A usage error is one line and a pointer to the help, not the whole help text.
        cl.setParameterExceptionHandler((e, parsed) -> {
            CommandLine cmd = e.getCommandLine();
            cmd.getErr().println("escrowctl: " + e.getMessage() + " (see: " + cmd.getCommandSpec().qualifiedName() + " --help)");
            return CliException.USAGE;
        });
        return cl.execute(args);
    }
}
