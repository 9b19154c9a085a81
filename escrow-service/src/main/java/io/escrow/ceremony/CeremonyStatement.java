package io.escrow.ceremony;

import io.escrow.error.InvalidArgumentException;
import io.escrow.retirement.StatementLines;
import io.escrow.threshold.CustodianShare;
import io.escrow.threshold.InvalidThresholdException;
import io.escrow.threshold.KeyRecord;
import io.escrow.threshold.ThresholdParameters;
import java.util.Arrays;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * What a custodian signs to consent to a new escrow key's ceremony: that its own agent may take
 * into its token the share with its index of a t-of-n key among exactly these custodians, in this
 * order. The agent accepts a share only under this consent, and only for a key record with these
 * terms. A statement of its own kind, naming the custodian, so no other signature counts as it:
 *
 * <pre>
 * escrow/v1/key-ceremony
 * custodian_id=custodian-1
 * key_id=ek-2027-01
 * threshold=2
 * custodians=custodian-1,custodian-2,custodian-3     (share index i+1 goes to the i-th)
 * </pre>
 *
 * It carries no time: a key_id is made once, so a replayed consent can only agree to the same.
 */
public record CeremonyStatement(String custodianId, String keyId, int threshold, List<String> custodians) {
    public static final String HEADER = "escrow/v1/key-ceremony";
    private static final String FIELD = "statement";
    private static final List<String> NAMES = List.of("custodian_id", "key_id", "threshold", "custodians");

    public CeremonyStatement {
        StatementLines.id(FIELD, "custodian_id", custodianId);
        StatementLines.id(FIELD, "key_id", keyId);
        custodians = List.copyOf(custodians);
        custodians.forEach(c -> StatementLines.id(FIELD, "custodians", c));
        if (new HashSet<>(custodians).size() != custodians.size()) {
            throw new InvalidArgumentException(FIELD + ".custodians", "names a custodian twice: " + custodians);
        }
        if (!custodians.contains(custodianId)) {
            throw new InvalidArgumentException(FIELD + ".custodians", "does not include " + custodianId + " itself");
        }
        try {
            new ThresholdParameters(threshold, custodians.size());
        } catch (InvalidThresholdException e) {
            throw new InvalidArgumentException(FIELD + ".threshold", e.getMessage());
        }
    }

    /** The share index this custodian receives (1-based). */
    public int shareIndex() {
        return custodians.indexOf(custodianId) + 1;
    }

    public byte[] encode() {
        Map<String, String> v = new LinkedHashMap<>();
        v.put("custodian_id", custodianId);
        v.put("key_id", keyId);
        v.put("threshold", Integer.toString(threshold));
        v.put("custodians", String.join(",", custodians));
        return StatementLines.encode(HEADER, v);
    }

    /** Reads a statement in its one canonical encoding. */
    public static CeremonyStatement decode(byte[] bytes) {
        Map<String, String> v = StatementLines.decode(FIELD, HEADER, NAMES, bytes);
        String t = v.get("threshold");
        if (!t.matches("[1-9][0-9]{0,2}")) {
            throw new InvalidArgumentException(FIELD + ".threshold", "must be a whole number in decimal");
        }
        return new CeremonyStatement(v.get("custodian_id"), v.get("key_id"), Integer.parseInt(t),
                Arrays.asList(v.get("custodians").split(",", -1)));
    }

    /** Why {@code key} is not the key this statement consents to, or null when it is. */
    public String mismatch(KeyRecord key) {
        if (!key.keyId().equals(keyId)) {
            return "the key record is for " + key.keyId() + ", the consent for " + keyId;
        }
        if (key.threshold() != threshold || key.parameters().custodians() != custodians.size()) {
            return "the key record is " + key.threshold() + " of " + key.parameters().custodians() + ", the consent "
                    + threshold + " of " + custodians.size();
        }
        for (int i = 0; i < custodians.size(); i++) {
            CustodianShare s = key.shareOf(custodians.get(i)).orElse(null);
            if (s == null || s.index() != i + 1) {
                return "the key record does not give share " + (i + 1) + " to " + custodians.get(i);
            }
        }
        return null;
    }

    @Override
    public String toString() {
        return "CeremonyStatement[" + custodianId + " takes share " + shareIndex() + " of " + keyId + ", " + threshold + " of "
                + custodians + "]";
    }
}
