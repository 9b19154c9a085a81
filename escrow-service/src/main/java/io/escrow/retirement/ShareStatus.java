package io.escrow.retirement;

import java.time.Instant;
import java.util.Optional;

/**
 * One custodian agent's answer about a key's retirement: whether its custodian consented (and
 * when), and once its share is destroyed, the agent's signed {@link ShareDestroyedStatement}.
 */
public record ShareStatus(String custodianId, String keyId, Optional<Instant> consentedAt, Optional<Destruction> destroyed) {

    /** The agent's signed statement that its share is gone: the statement bytes and a DER CMS over them. */
    public record Destruction(byte[] statement, byte[] cms) {
        public Destruction {
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

    public boolean consented() {
        return consentedAt.isPresent();
    }
}
