package io.escrow.cli;

import io.escrow.warrant.SignedBytes;
import java.nio.file.Path;
import java.util.concurrent.Callable;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/** escrowctl warrant: agencies file and read warrants; authorities approve, revoke, or only sign. */
@Command(name = "warrant", mixinStandardHelpOptions = true,
        description = "Warrants: agencies file, show and list them; authorities approve and revoke them, or only sign.",
        subcommands = {WarrantFileCommand.class, WarrantReadCommands.Show.class, WarrantReadCommands.ListCommand.class,
                WarrantDecisionCommands.Approve.class, WarrantDecisionCommands.Revoke.class, WarrantCommand.Sign.class,
                CommandLine.HelpCommand.class})
final class WarrantCommand implements Runnable {
    @CommandLine.Spec
    CommandLine.Model.CommandSpec spec;

    @Override
    public void run() {
        spec.commandLine().usage(System.out);
    }

    @Command(name = "sign", mixinStandardHelpOptions = true,
        header = "Sign an approval or revocation offline, with no call to the service.",
            description = {"Make a detached DER CMS approval (contract §1) over a warrant's signed_bytes, or, with --revoke,",
                    "over escrow/v1/revoke/<warrant_id>, without contacting the service. Read the bytes before signing:",
                    "they are plain text. The output is the same as openssl cms -sign -binary -outform DER."})
    static final class Sign implements Callable<Integer> {
        @Option(names = "--in", description = "The file holding the warrant's signed_bytes.")
        Path in;

        @Option(names = "--revoke", paramLabel = "WARRANT_ID", description = "Sign the revocation of this warrant instead.")
        String revoke;

        @Option(names = "--out", required = true, description = "Where to write the DER CMS signature.")
        Path out;

        @Mixin
        SignerOptions signer;

        @Override
        public Integer call() {
            if ((in == null) == (revoke == null)) {
                throw CliException.usage("give exactly one of --in SIGNED_BYTES_FILE and --revoke WARRANT_ID");
            }
            byte[] content = in != null ? CliFiles.read("--in", in) : SignedBytes.revocation(revoke);
            SignerOptions.Signed signed = signer.sign(content);
            CliFiles.write("--out", out, signed.cms());
            System.out.println("signed " + (revoke != null ? "revocation of " + revoke : content.length + " bytes of " + in)
                    + " as " + signed.signer().getSubjectX500Principal().getName() + " -> " + out + " (" + signed.cms().length + " bytes)");
            return 0;
        }
    }
}
