package io.escrow.cli;

import picocli.CommandLine;
import picocli.CommandLine.Command;

/** escrowctl audit: what an overseer runs. */
@Command(name = "audit", mixinStandardHelpOptions = true, description = "Verify the audit log.",
        subcommands = {AuditVerifyCommand.class, CommandLine.HelpCommand.class})
final class AuditCommand implements Runnable {
    @CommandLine.Spec
    CommandLine.Model.CommandSpec spec;

    @Override
    public void run() {
        spec.commandLine().usage(System.out);
    }
}
