package io.escrow.agent;

/**
 * What a recovery page's records are proven against: a checkpoint signed by the log key the agent
 * pins, and the salt of the log's subject hashes (which a liar cannot choose to make another
 * subject's hash match: HMAC-SHA256 collisions are infeasible).
 */
public record PageEvidence(byte[] checkpoint, byte[] checkpointSignature, byte[] subjectSalt) {
    public PageEvidence {
        checkpoint = checkpoint.clone();
        checkpointSignature = checkpointSignature.clone();
        subjectSalt = subjectSalt.clone();
    }
}
