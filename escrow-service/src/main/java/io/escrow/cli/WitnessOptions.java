package io.escrow.cli;

import io.escrow.agent.WitnessPolicy;
import io.escrow.note.VerifierKey;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.function.Supplier;
import picocli.CommandLine.Option;

/** --witness and --witness-quorum: whose cosignatures a head needs before it is believed. */
final class WitnessOptions {
    @Option(names = "--witness", paramLabel = "NAME=VKEY",
            description = "A witness whose cosignatures count: its cosignature verifier key (type 04), optionally after a "
                    + "name of your own and '='. Repeatable.")
    List<String> witnesses = new ArrayList<>();

    @Option(names = "--witness-quorum", defaultValue = "0", paramLabel = "K",
            description = "How many of the --witness keys must have validly cosigned a head (default: ${DEFAULT-VALUE}).")
    int quorum;

    WitnessPolicy policy() {
        List<VerifierKey> keys = new ArrayList<>();
        for (String w : witnesses) {
            String vkey = w;
            int eq = w.indexOf('=');
            if (eq > 0 && !w.substring(0, eq).contains("+")) {
                vkey = w.substring(eq + 1);
            }
            try {
                keys.add(VerifierKey.parse(vkey));
            } catch (IllegalArgumentException e) {
                throw CliException.usage("--witness " + w + ": " + e.getMessage());
            }
        }
        try {
            return new WitnessPolicy(keys, quorum);
        } catch (IllegalArgumentException e) {
            throw CliException.usage("--witness-quorum: " + e.getMessage());
        }
    }

    /**
     * The newest head, once it carries the quorum: asks again until {@code wait} has passed, since
     * a head is cosigned a moment after it is published. Without a quorum, the first head.
     */
    io.escrow.proto.v1.SignedTreeHead witnessed(Supplier<io.escrow.proto.v1.SignedTreeHead> fetch, Duration wait)
            throws InterruptedException {
        WitnessPolicy policy = policy();
        Instant deadline = Instant.now().plus(wait);
        while (true) {
            io.escrow.proto.v1.SignedTreeHead head = fetch.get();
            String problem = policy.problem(head.getCheckpoint().toByteArray(), head.getNote().toByteArray());
            if (problem == null) {
                return head;
            }
            if (Instant.now().isAfter(deadline)) {
                long size;
                try {
                    size = io.escrow.audit.SignedTreeHead.parse(head.getCheckpoint().toByteArray()).size();
                } catch (IllegalArgumentException e) {
                    throw new AuditHeads.Failure("malformed checkpoint: " + e.getMessage());
                }
                throw new AuditHeads.Failure("the tree head of size " + size + " is not witnessed: " + problem
                        + " (waited " + wait.toSeconds() + " s)");
            }
            Thread.sleep(250);
        }
    }
}
