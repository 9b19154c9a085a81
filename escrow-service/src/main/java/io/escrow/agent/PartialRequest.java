package io.escrow.agent;

/** One record of a recovery page that the service asks an agent to work on. */
public record PartialRequest(String recordId, String subjectId, String keyId, long coversFrom, long coversUntil, byte[] enc) {
    public PartialRequest {
        enc = enc == null ? new byte[0] : enc.clone();
    }

    @Override
    public byte[] enc() {
        return enc.clone();
    }
}
