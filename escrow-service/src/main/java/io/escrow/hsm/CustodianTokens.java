package io.escrow.hsm;

import io.escrow.threshold.CustodianFault;
import io.escrow.threshold.ShareToken;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Consumer;

/**
 * The set of configured custodian tokens. A token that cannot be opened (wrong PIN, missing,
 * HSM down) is kept as a named fault and retried at most every {@link #RETRY}, so the service
 * keeps running on the others and recovers when the token comes back.
 */
public final class CustodianTokens implements AutoCloseable {
    static final Duration RETRY = Duration.ofSeconds(10);

    private final Map<String, Slot> slots = new LinkedHashMap<>();
    private final Consumer<String> log;

    private static final class Slot {
        final TokenConfig config;
        Pkcs11ShareToken token;
        String problem;
        Instant lastAttempt = Instant.EPOCH;

        Slot(TokenConfig config) {
            this.config = config;
        }
    }

    public CustodianTokens(List<TokenConfig> configs, Consumer<String> log) {
        this.log = log;
        for (TokenConfig c : configs) {
            Slot s = new Slot(c);
            slots.put(c.custodianId(), s);
            tryOpen(s);
        }
    }

    /** The tokens that are open now, in configuration order. */
    public synchronized List<ShareToken> available() {
        List<ShareToken> out = new ArrayList<>();
        for (Slot s : slots.values()) {
            if (s.token == null && Instant.now().isAfter(s.lastAttempt.plus(RETRY))) {
                tryOpen(s);
            }
            if (s.token != null) {
                out.add(s.token);
            }
        }
        return out;
    }

    /** All configured tokens in order, opening any that are not open; fails on the first that cannot open. */
    public synchronized List<Pkcs11ShareToken> requireAll() {
        List<Pkcs11ShareToken> out = new ArrayList<>();
        for (Slot s : slots.values()) {
            if (s.token == null) {
                s.token = Pkcs11ShareToken.open(s.config);
                s.problem = null;
            }
            out.add(s.token);
        }
        return out;
    }

    /** The custodians whose tokens could not be opened, and why. */
    public synchronized List<CustodianFault> unavailable() {
        return slots.values().stream().filter(s -> s.token == null)
                .map(s -> new CustodianFault(s.config.custodianId(), s.problem)).toList();
    }

    /** Drops an open token after a fault, so that the next call reopens it. */
    public synchronized void markFailed(String custodianId, String problem) {
        Slot s = slots.get(custodianId);
        if (s != null && s.token != null) {
            s.token.close();
            s.token = null;
            s.problem = problem;
            s.lastAttempt = Instant.now();
        }
    }

    private void tryOpen(Slot s) {
        s.lastAttempt = Instant.now();
        try {
            s.token = Pkcs11ShareToken.open(s.config);
            s.problem = null;
            log.accept("custodian " + s.config.custodianId() + ": token '" + s.config.label() + "' open");
        } catch (RuntimeException e) {
            s.problem = e.getMessage();
            log.accept("custodian " + s.config.custodianId() + " unavailable: " + e.getMessage());
        }
    }

    @Override
    public synchronized void close() {
        slots.values().forEach(s -> {
            if (s.token != null) {
                s.token.close();
            }
        });
    }
}
