package io.escrow.agent;

/**
 * What a recovery page's records are proven against: a checkpoint signed by the log key the agent
 * pins, the same checkpoint as a C2SP signed note carrying the witnesses' cosignatures (empty
 * when the log sent none), and the salt of the log's subject hashes (which a liar cannot choose
 * to make another subject's hash match: HMAC-SHA256 collisions are infeasible).
 */
public record PageEvidence(byte[] checkpoint, byte[] checkpointSignature, byte[] subjectSalt, byte[] checkpointNote) {
    public PageEvidence {
        checkpoint = checkpoint.clone();
        checkpointSignature = checkpointSignature.clone();
        subjectSalt = subjectSalt.clone();
        checkpointNote = checkpointNote.clone();
    }
}
