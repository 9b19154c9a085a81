package io.escrow.recovery;

import io.escrow.threshold.ShareToken;
import java.util.List;
import java.util.function.Supplier;

/**
 * Which custodian tokens a recovery under a given warrant may use. With consent required, only
 * the tokens of custodians who activated their share for that warrant; in development, every
 * token the service could log in to.
 */
public interface CustodianAccess {
    /** The tokens usable for {@code warrantId} now, in configuration order. */
    List<ShareToken> tokensFor(String warrantId);

    /** Counts one decapsulation against each custodian that took part. */
    void used(String warrantId, List<String> custodianIds);

    /** The custodians a recovery lacks when fewer than t may take part; empty when it may proceed. */
    List<String> missing(String warrantId);

    /** Development: the service's own logged-in tokens, with no per-warrant consent. */
    static CustodianAccess standing(Supplier<List<ShareToken>> tokens) {
        return new CustodianAccess() {
            @Override
            public List<ShareToken> tokensFor(String warrantId) {
                return tokens.get();
            }

            @Override
            public void used(String warrantId, List<String> custodianIds) {}

            @Override
            public List<String> missing(String warrantId) {
                return List.of();
            }
        };
    }
}
