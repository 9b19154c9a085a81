package io.escrow.agent;

import io.escrow.note.NoteVerifier;
import io.escrow.note.SignedNote;
import io.escrow.note.VerifierKey;
import java.nio.charset.StandardCharsets;
import java.util.List;

/**
 * How many of which witnesses must have cosigned a checkpoint before it is believed: the same
 * rule the service applies before keys leave, applied by a custodian agent (before it computes a
 * partial) or an overseer's verifier (before it accepts a head), each with its own witness keys.
 */
public record WitnessPolicy(List<VerifierKey> witnesses, int quorum) {
    public static final WitnessPolicy NONE = new WitnessPolicy(List.of(), 0);

    public WitnessPolicy {
        witnesses = List.copyOf(witnesses);
        if (quorum < 0 || quorum > witnesses.size()) {
            throw new IllegalArgumentException("a witness quorum of " + quorum + " cannot be met by the " + witnesses.size()
                    + " witness key(s) given");
        }
        for (VerifierKey k : witnesses) {
            if (k.type() != VerifierKey.COSIGNATURE_V1) {
                throw new IllegalArgumentException("witness key '" + k.name() + "' is not a cosignature key (type 04)");
            }
        }
    }

    /**
     * Null when {@code note} is the checkpoint {@code checkpoint} with at least {@code quorum}
     * valid cosignatures from {@link #witnesses}; otherwise why not.
     */
    public String problem(byte[] checkpoint, byte[] note) {
        if (quorum == 0) {
            return null;
        }
        if (note.length == 0) {
            return "it carries no cosignatures; " + quorum + " witness(es) must have cosigned it";
        }
        SignedNote parsed;
        try {
            parsed = SignedNote.parse(note);
        } catch (RuntimeException e) {
            return "its signed note is malformed: " + e.getMessage();
        }
        if (!parsed.text().equals(new String(checkpoint, StandardCharsets.UTF_8))) {
            return "its signed note is of another checkpoint";
        }
        int n = NoteVerifier.validCosigners(parsed, witnesses);
        if (n < quorum) {
            return "it carries valid cosignatures from " + n + " of the " + quorum + " witness(es) required";
        }
        return null;
    }
}
