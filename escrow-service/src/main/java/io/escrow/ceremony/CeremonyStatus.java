package io.escrow.ceremony;

import java.time.Instant;
import java.util.Optional;

/**
 * One custodian agent's answer about a key's ceremony: its custodian's consent (the signed
 * statement's bytes, when it was given), the transport key the share must be sealed to (signed by
 * the agent's attestation key; absent until asked for), and whether the share is in the token.
 */
public record CeremonyStatus(String custodianId, String keyId, Optional<Consent> consent, Optional<SignedStatement> transportKey,
                             boolean shareReceived) {

    /** The custodian's escrow/v1/key-ceremony statement and when the agent accepted it. */
    public record Consent(Instant at, byte[] statement) {
        public Consent {
            statement = statement.clone();
        }

        @Override
        public byte[] statement() {
            return statement.clone();
        }
    }

    /** A statement and the DER CMS over it. */
    public record SignedStatement(byte[] statement, byte[] cms) {
        public SignedStatement {
            statement = statement.clone();
            cms = cms.clone();
        }

        @Override
        public byte[] statement() {
            return statement.clone();
        }

        @Override
        public byte[] cms() {
            return cms.clone();
        }
    }
}
