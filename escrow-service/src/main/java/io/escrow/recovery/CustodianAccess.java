package io.escrow.recovery;

import io.escrow.threshold.ShareToken;
import java.util.List;
import java.util.function.Supplier;
import java.util.function.UnaryOperator;

/**
 * Which custodian tokens a recovery under a given warrant may use. With consent required, only
 * the tokens of custodians who activated their share for that warrant; in development, every
 * token the service could log in to.
 */
public interface CustodianAccess {

    /**
     * The custodians a recovery asks for the next page, and how many records they may open.
     * A page's release leaves name exactly these custodians, and only their tokens are given to
     * the decryptor, so the log says who worked on each record before anyone does.
     *
     * @param tokens  t tokens, in configuration order; empty when fewer than t custodians may take part
     * @param records how many records these tokens may open (at most what was asked for); 0 with no tokens
     */
    record Reservation(List<ShareToken> tokens, int records) {
        public Reservation {
            tokens = List.copyOf(tokens);
            if (records < 0 || (tokens.isEmpty() && records != 0)) {
                throw new IllegalArgumentException("a reservation without tokens opens no record");
            }
        }

        public static final Reservation NONE = new Reservation(List.of(), 0);

        public List<String> custodianIds() {
            return tokens.stream().map(ShareToken::custodianId).toList();
        }

        /**
         * The one rule for choosing: the {@code threshold} custodians with the most uses left
         * (ties in configuration order), for as many records as the one of them with the fewest
         * uses left may still open.
         *
         * @param usesLeft custodians that may take part, in configuration order, with their uses left (all &gt; 0)
         * @param token    the token through which a chosen custodian is asked
         */
        public static Reservation choose(java.util.LinkedHashMap<String, Integer> usesLeft, int threshold, int records,
                                         java.util.function.Function<String, ShareToken> token) {
            if (usesLeft.size() < threshold || records <= 0) {
                return NONE;
            }
            List<String> chosen = usesLeft.entrySet().stream()
                    .sorted(java.util.Map.Entry.<String, Integer>comparingByValue().reversed())
                    .limit(threshold).map(java.util.Map.Entry::getKey).toList();
            int fewest = chosen.stream().mapToInt(usesLeft::get).min().orElse(0);
            List<ShareToken> tokens = usesLeft.keySet().stream().filter(chosen::contains).map(token).toList();
            return new Reservation(tokens, Math.min(records, fewest));
        }
    }

    /**
     * Chooses {@code threshold} custodians that may each take part in up to {@code records}
     * more openings under {@code warrantId}; fewer records when their consents have fewer uses left.
     */
    Reservation reserve(String warrantId, int threshold, int records);

    /**
     * Called once per page, after its release leaves are committed and before any record is
     * opened: custodians reached over the network (agents) are asked for the whole page's
     * partials here, in one request each, instead of one round trip per record.
     */
    default void prepare(Reservation reserved, String warrantId, List<io.escrow.agent.PartialRequest> records,
                         io.escrow.agent.PageEvidence page) {}

    /**
     * Whether {@link #prepare} needs each record's log evidence (its deposit and release leaves
     * with inclusion proofs, and a signed checkpoint): custodian agents check them themselves.
     */
    default boolean needsLogEvidence() {
        return false;
    }

    /**
     * Whether the next page may be reserved and prepared while the current one is being opened:
     * true where custodians count a use when asked for partials (agents), false where a use is
     * counted as each record opens (tokens in the service), since a reservation made early would
     * then count uses that the current page is about to spend.
     */
    default boolean prepareAhead() {
        return false;
    }

    /**
     * Called once every record of a reserved page has been tried (or the page was abandoned):
     * until then the reservation's tokens stay usable, whatever happens to the consents.
     */
    default void finished(Reservation reserved) {}

    /** Counts one opening against each custodian that took part. */
    void used(String warrantId, List<String> custodianIds);

    /** The custodians a recovery lacks when fewer than t may take part; empty when it may proceed. */
    List<String> missing(String warrantId);

    /** The same access with every token it hands out passed through {@code wrap} (for metrics). */
    default CustodianAccess mapTokens(UnaryOperator<List<ShareToken>> wrap) {
        CustodianAccess inner = this;
        return new CustodianAccess() {
            @Override
            public Reservation reserve(String warrantId, int threshold, int records) {
                Reservation r = inner.reserve(warrantId, threshold, records);
                return r.tokens().isEmpty() ? r : new Reservation(wrap.apply(r.tokens()), r.records());
            }

            @Override
            public void finished(Reservation reserved) {
                inner.finished(reserved);
            }

            @Override
            public void used(String warrantId, List<String> custodianIds) {
                inner.used(warrantId, custodianIds);
            }

            @Override
            public List<String> missing(String warrantId) {
                return inner.missing(warrantId);
            }
        };
    }

    /** Development: the service's own logged-in tokens, with no per-warrant consent and no use limit. */
    static CustodianAccess standing(Supplier<List<ShareToken>> tokens) {
        return new CustodianAccess() {
            @Override
            public Reservation reserve(String warrantId, int threshold, int records) {
                List<ShareToken> available = tokens.get();
                return available.size() < threshold || records == 0 ? Reservation.NONE
                        : new Reservation(available.subList(0, threshold), records);
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
