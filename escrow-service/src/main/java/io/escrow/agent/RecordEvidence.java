package io.escrow.agent;

import java.util.List;

/**
 * What proves that a record is a logged deposit whose release under this warrant is already
 * logged: both leaves, their indexes, and their inclusion proofs in the page's signed checkpoint.
 * The ciphertext is here because the deposit leaf commits to SHA-256(enc || ciphertext).
 */
public record RecordEvidence(byte[] ciphertext, long depositIndex, byte[] depositLeaf, List<byte[]> depositProof,
                             long releaseIndex, byte[] releaseLeaf, List<byte[]> releaseProof) {
    public RecordEvidence {
        ciphertext = ciphertext.clone();
        depositLeaf = depositLeaf.clone();
        releaseLeaf = releaseLeaf.clone();
        depositProof = depositProof.stream().map(byte[]::clone).toList();
        releaseProof = releaseProof.stream().map(byte[]::clone).toList();
    }
}
