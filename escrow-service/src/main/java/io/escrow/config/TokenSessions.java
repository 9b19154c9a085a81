package io.escrow.config;

import io.escrow.hsm.TokenConfig;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.OptionalLong;
import java.util.function.Function;

/**
 * How many in-token ECDHs a recovery keeps in flight per custodian token at once
 * ({@code escrow.hsm.token.ID.sessions}, 1..256). A network HSM answers each operation after a
 * round trip but serves many sessions in parallel, so a recovery that waits for one derive at a
 * time is bound by latency, not by the HSM. Unset, a token gets what it reports it can hold
 * (ulMaxSessionCount), less one for logins and key lookups, at most {@link #DEFAULT_CAP}; a token
 * that reports no limit (SoftHSM) gets the cap.
 */
public final class TokenSessions {
    public static final int DEFAULT_CAP = 8;
    public static final int MAX = 256;

    private final Map<String, Integer> byCustodian;

    private TokenSessions(Map<String, Integer> byCustodian) {
        this.byCustodian = Map.copyOf(byCustodian);
    }

    /** @param reported what each token says it can hold (see {@code Pkcs11Slots.maxSessions}) */
    public static TokenSessions load(List<TokenConfig> tokens, Function<String, Optional<String>> config,
                                     Function<TokenConfig, OptionalLong> reported) {
        Map<String, Integer> out = new LinkedHashMap<>();
        for (TokenConfig t : tokens) {
            String key = "escrow.hsm.token." + t.custodianId() + ".sessions";
            Optional<String> set = config.apply(key);
            int n;
            if (set.isPresent()) {
                try {
                    n = Integer.parseInt(set.get().strip());
                } catch (NumberFormatException e) {
                    throw new ConfigurationException(key + " must be a whole number of sessions, got '" + set.get() + "'");
                }
                if (n < 1 || n > MAX) {
                    throw new ConfigurationException(key + " must be 1.." + MAX + ", got " + n);
                }
            } else {
                OptionalLong max = reported.apply(t);
                n = max.isEmpty() ? DEFAULT_CAP : (int) Math.max(1, Math.min(max.getAsLong() - 1, DEFAULT_CAP));
            }
            out.put(t.custodianId(), n);
        }
        return new TokenSessions(out);
    }

    /** Sessions for {@code custodianId}; 1 for a custodian not configured here. */
    public int of(String custodianId) {
        return byCustodian.getOrDefault(custodianId, 1);
    }

    /** The most sessions of any token: how many records a page opens at once. */
    public int max() {
        return byCustodian.values().stream().mapToInt(Integer::intValue).max().orElse(1);
    }

    @Override
    public String toString() {
        return byCustodian.toString();
    }
}
