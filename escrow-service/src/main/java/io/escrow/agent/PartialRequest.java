package io.escrow.agent;

/**
 * One record of a recovery page that the service asks an agent to work on, with the evidence that
 * it is a logged, in-scope deposit whose release is already logged ({@code null} only where no
 * agent is asked: the in-service token path).
 */
public record PartialRequest(String recordId, String subjectId, String keyId, long coversFrom, long coversUntil, byte[] enc,
                             RecordEvidence evidence) {
    public PartialRequest {
        enc = enc == null ? new byte[0] : enc.clone();
    }

    @Override
    public byte[] enc() {
        return enc.clone();
    }
}
