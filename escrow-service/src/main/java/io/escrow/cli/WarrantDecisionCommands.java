package io.escrow.cli;

import com.google.protobuf.ByteString;
import io.escrow.proto.v1.ApproveWarrantRequest;
import io.escrow.proto.v1.RevokeWarrantRequest;
import io.escrow.proto.v1.Warrant;
import io.escrow.proto.v1.WarrantServiceGrpc;
import io.escrow.warrant.SignedBytes;
import io.grpc.ManagedChannel;
import java.io.Console;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/** escrowctl warrant approve and warrant revoke: what an authority runs. */
final class WarrantDecisionCommands {
    private WarrantDecisionCommands() {}

    /** What approving and revoking share: the warrant, a signature made here or given with --cms, and the channel. */
    static final class Decision {
        @Option(names = "--warrant", required = true, description = "The warrant_id.")
        String warrantId;

        @Option(names = "--cms", description = "A detached DER CMS signature made elsewhere (openssl cms -sign), to submit as it is.")
        Path cms;

        @Option(names = "--save-cms", description = "Also keep the signature made here in this file.")
        Path saveCms;

        @Option(names = "--yes", description = "Do not ask for confirmation at a terminal before signing.")
        boolean yes;

        @Mixin
        SignerOptions signer;

        @Mixin
        ClientChannels channels;

        @Mixin
        Output output;

        /** Fetches the warrant, makes or reads the signature over {@code content(w)}, submits it, prints the warrant after. */
        int run(String action, java.util.function.Function<Warrant, byte[]> content, boolean showScope,
                java.util.function.BiFunction<ManagedChannel, byte[], Warrant> submit, String done) {
            Warrant after = channels.call(channel -> {
                Warrant w = WarrantReadCommands.fetch(channel, warrantId);
                return submit.apply(channel, signature(content.apply(w), action + " warrant " + warrantId, showScope ? w : null, this));
            });
            output.print(WarrantView.json(after), o -> o.printf("%s accepted; warrant %s is now %s (approvals: %s)%n", done, warrantId,
                    after.getState(), String.join(", ", after.getApprovalsList().stream().map(a -> a.getAuthority()).toList())));
            return 0;
        }
    }

    @Command(name = "approve", mixinStandardHelpOptions = true,
        header = "Approve a warrant, as an authority: sign its exact bytes and submit.",
            description = {"Approve a warrant, as an authority. Fetches its signed_bytes, checks that they state exactly",
                    "the warrant the service describes, shows them, signs them with your key (PEM files or a PKCS#11",
                    "token), and submits the signature. With --cms, submits a signature made elsewhere (openssl cms -sign)."})
    static final class Approve implements Callable<Integer> {
        @Mixin
        Decision decision;

        @Override
        public Integer call() {
            // Refused unless the signed bytes state exactly the service's fields, which are then shown as the scope.
            return decision.run("approve", w -> {
                WarrantView.signedSpec(w);
                return w.getSignedBytes().toByteArray();
            }, true, (channel, cms) -> WarrantServiceGrpc.newBlockingStub(channel).approveWarrant(ApproveWarrantRequest.newBuilder()
                    .setWarrantId(decision.warrantId).setCmsSignature(ByteString.copyFrom(cms)).build()), "approval");
        }
    }

    @Command(name = "revoke", mixinStandardHelpOptions = true,
        header = "Revoke a warrant, as an authority.",
            description = {"Revoke a warrant, as an authority: signs escrow/v1/revoke/<warrant_id> with your key and submits",
                    "it, or submits a signature made elsewhere with --cms. Recovery stops at the next page, and custodian",
                    "agents check the revocation themselves."})
    static final class Revoke implements Callable<Integer> {
        @Mixin
        Decision decision;

        @Override
        public Integer call() {
            return decision.run("revoke", w -> SignedBytes.revocation(w.getWarrantId()), false,
                    (channel, cms) -> WarrantServiceGrpc.newBlockingStub(channel).revokeWarrant(RevokeWarrantRequest.newBuilder()
                            .setWarrantId(decision.warrantId).setCmsSignature(ByteString.copyFrom(cms)).build()), "revocation");
        }
    }

    /**
     * The CMS to submit: read from --cms, or made here after showing what is signed (and, at a
     * terminal, asking); {@code scoped}, when given, has its scope shown in plain words too.
     */
    private static byte[] signature(byte[] content, String action, Warrant scoped, Decision d) {
        if (d.cms != null) {
            if (d.signer.given()) {
                throw CliException.usage("give either --cms or a signing key, not both");
            }
            return CliFiles.read("--cms", d.cms);
        }
        SignerOptions.Ready key = d.signer.open();
        // The bytes go to stderr with --json, so stdout stays one JSON document.
        PrintStream shown = d.output.json ? System.err : System.out;
        shown.printf("You are about to %s. The exact bytes you sign (%d bytes):%n", action, content.length);
        new String(content, StandardCharsets.UTF_8).lines().forEach(l -> shown.println("  | " + l));
        if (scoped != null) {
            shown.println("In plain words:");
            WarrantView.printScope(scoped.getSpec(), shown);
        }
        Console console = System.console();
        if (!d.yes && console != null) {
            String answer = console.readLine("Sign these bytes? [y/N] ");
            if (answer == null || !answer.strip().equalsIgnoreCase("y")) {
                throw CliException.refused("not signed: you did not confirm");
            }
        }
        SignerOptions.Signed signed = key.sign(content);
        shown.println("signed as " + signed.signer().getSubjectX500Principal().getName());
        if (d.saveCms != null) {
            CliFiles.write("--save-cms", d.saveCms, signed.cms());
        }
        return signed.cms();
    }
}
