package io.escrow.cli;

import picocli.CommandLine;
import picocli.CommandLine.Command;

/** escrowctl audit: what an overseer runs. */
@Command(name = "audit", mixinStandardHelpOptions = true,
        description = "Overseers' tools: verify the whole audit log, follow it as a monitor, prove and show single leaves, "
                + "and print the newest checkpoint as a signed note.",
        subcommands = {AuditVerifyCommand.class, AuditFollowCommand.class, AuditReadCommands.Prove.class, AuditReadCommands.Show.class,
                AuditCheckpointCommand.class,
                CommandLine.HelpCommand.class})
final class AuditCommand implements Runnable {
    @CommandLine.Spec
    CommandLine.Model.CommandSpec spec;

    @Override
    public void run() {
        spec.commandLine().usage(System.out);
    }
}
