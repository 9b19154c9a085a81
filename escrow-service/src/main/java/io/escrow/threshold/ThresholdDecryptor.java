package io.escrow.threshold;

import io.escrow.hpke.Hpke;
import io.escrow.hpke.HpkeSuite;
import java.math.BigInteger;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collection;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.concurrent.ConcurrentHashMap;
import org.bouncycastle.math.ec.ECPoint;

/**
 * HPKE decapsulation of the escrow key as a threshold across custodian tokens.
 *
 * <p>Each token holds s_i, a Shamir share of d/M where M = (n-1)!. For a subset S of t
 * custodians the token results P_i = s_i·R combine as d·R = Σ c_i·P_i with small integers
 * c_i = M·λ_i (see {@link Lagrange#integerCoefficients}). A token returns only x(P_i), so
 * each P_i is known up to sign; since x(-Z) = x(Z) only the relative signs matter, and the
 * 2^(t-1) candidates are tried against the AEAD tag. Each custodian is asked for one ECDH per
 * record.
 *
 * <p>Every candidate is tried, not only up to the first that opens: AES-GCM does not commit to
 * its key, so a crafted record can carry a tag that verifies under two keys, and would open to
 * different plaintexts depending on which candidate, or which custodians, came first. A record
 * that opens under more than one candidate, or to different plaintexts under different
 * custodian subsets, is refused.
 *
 * <p>If no candidate opens, the record was tampered with or a custodian answered wrongly. With a
 * spare custodian available the decryptor adds partials and tries other t-subsets; a custodian
 * left out of the subset that opens, and whose result does not fit it, is reported as
 * inconsistent.
 */
public final class ThresholdDecryptor {
    private final Hpke hpke;
    private final Map<String, BigInteger[]> coefficientCache = new ConcurrentHashMap<>();

    public ThresholdDecryptor(HpkeSuite suite) {
        this.hpke = new Hpke(suite);
    }

    /** A successful threshold opening. The plaintext is secret; wipe it after use. */
    public record Opening(byte[] plaintext, List<String> custodiansUsed, List<CustodianFault> faults) {
        @Override
        public String toString() {
            return "Opening[plaintext=redacted, custodiansUsed=" + custodiansUsed + ", faults=" + faults + "]";
        }
    }

    /**
     * Opens one HPKE base-mode ciphertext sealed to {@code key}.
     *
     * @param tokens the custodians available, in order of preference; tokens of custodians
     *               that hold no share of this key are ignored
     */
    public Opening open(KeyRecord key, Collection<? extends ShareToken> tokens,
                        byte[] enc, byte[] info, byte[] aad, byte[] ciphertext) {
        Objects.requireNonNull(key, "key");
        ECPoint r = P256.decodeUncompressed("enc", enc);
        if (ciphertext == null || ciphertext.length < HpkeSuite.TAG_BYTES + 1) {
            throw new CiphertextRejectedException("truncated: " + (ciphertext == null ? 0 : ciphertext.length)
                    + " bytes is shorter than a 1-byte plaintext plus the 16-byte AEAD tag");
        }
        byte[] pkR = key.publicKeyBytes();
        byte[] context = hpke.keyScheduleContext(info);
        List<CustodianFault> faults = new ArrayList<>();
        Iterator<Candidate> candidates = candidates(key, tokens, faults).iterator();
        List<Partial> partials = new ArrayList<>();

        while (partials.size() < key.threshold() && candidates.hasNext()) {
            Partial p = derive(candidates.next(), key.keyId(), r, faults);
            if (p != null) {
                partials.add(p);
            }
        }
        if (partials.size() < key.threshold()) {
            throw new InsufficientCustodiansException(key.keyId(), key.threshold(), partials.size(), faults);
        }
        byte[] plaintext = tryOpen(key, partials, enc, pkR, context, aad, ciphertext);
        if (plaintext != null) {
            return new Opening(plaintext, ids(partials), List.copyOf(faults));
        }

        // No sign combination opened: tampered record, or a wrong partial. Bring in spares and
        // look for a t-subset that opens.
        while (candidates.hasNext()) {
            Partial extra = derive(candidates.next(), key.keyId(), r, faults);
            if (extra == null) {
                continue;
            }
            partials.add(extra);
            for (List<Partial> subset : subsetsContaining(partials, key.threshold(), extra)) {
                byte[] pt = tryOpen(key, subset, enc, pkR, context, aad, ciphertext);
                if (pt != null) {
                    faults.addAll(inconsistent(key, partials, subset, pt, enc, pkR, context, aad, ciphertext));
                    return new Opening(pt, ids(subset), List.copyOf(faults));
                }
            }
        }
        throw new CiphertextRejectedException("authentication failed with custodians " + ids(partials)
                + (partials.size() > key.threshold()
                        ? ": the record is corrupted or sealed under a different key, info or aad"
                        : ": the record is corrupted, or one of these custodians answered wrongly"
                                + " (no spare custodian was available to tell which)")
                + (faults.isEmpty() ? "" : "; custodian faults: " + faults));
    }

    private record Candidate(ShareToken token, CustodianShare share) {}

    private record Partial(String custodianId, int index, ECPoint lifted) {}

    private static List<Candidate> candidates(KeyRecord key, Collection<? extends ShareToken> tokens, List<CustodianFault> faults) {
        Map<String, Candidate> byId = new LinkedHashMap<>();
        for (ShareToken token : tokens) {
            key.shareOf(token.custodianId()).ifPresent(s -> byId.putIfAbsent(token.custodianId(), new Candidate(token, s)));
        }
        for (CustodianShare s : key.shares()) {
            if (!byId.containsKey(s.custodianId())) {
                faults.add(new CustodianFault(s.custodianId(), "not available"));
            }
        }
        return new ArrayList<>(byId.values());
    }

    private static Partial derive(Candidate c, String keyId, ECPoint r, List<CustodianFault> faults) {
        byte[] x;
        try {
            x = c.token().deriveX(keyId, r);
        } catch (RuntimeException e) {
            faults.add(new CustodianFault(c.share().custodianId(), describe(e)));
            return null;
        }
        ECPoint lifted = P256.liftX(x);
        Arrays.fill(x, (byte) 0);
        if (lifted == null) {
            faults.add(new CustodianFault(c.share().custodianId(), "answered with a value that is not a P-256 x-coordinate"));
            return null;
        }
        return new Partial(c.share().custodianId(), c.share().index(), lifted);
    }

    private static String describe(RuntimeException e) {
        if (e instanceof CustodianFailureException cfe) {
            String m = cfe.getMessage();
            String prefix = "custodian " + cfe.custodianId() + ": ";
            return m.startsWith(prefix) ? m.substring(prefix.length()) : m;
        }
        return e.getClass().getSimpleName() + (e.getMessage() == null ? "" : ": " + e.getMessage());
    }

    /**
     * Tries every relative sign combination of the subset's partials against the AEAD tag: the
     * plaintext if exactly one opens, null if none does; more than one is refused.
     */
    private byte[] tryOpen(KeyRecord key, List<Partial> subset, byte[] enc, byte[] pkR, byte[] context,
                           byte[] aad, byte[] ciphertext) {
        BigInteger[] c = coefficients(key, subset);
        List<ECPoint> sums = new ArrayList<>(1 << (subset.size() - 1));
        sums.add(smallMultiple(subset.get(0).lifted(), c[0].abs()));
        for (int k = 1; k < subset.size(); k++) {
            ECPoint term = smallMultiple(subset.get(k).lifted(), c[k].abs());
            int size = sums.size();
            for (int i = 0; i < size; i++) {
                ECPoint s = sums.get(i);
                sums.set(i, s.add(term));
                sums.add(s.subtract(term));
            }
        }
        ECPoint[] points = sums.stream().filter(p -> !p.isInfinity()).toArray(ECPoint[]::new);
        P256.CURVE.normalizeAll(points);
        byte[] opened = null;
        for (ECPoint z : points) {
            byte[] dh = P256.xBytes(z);
            try {
                byte[] pt = hpke.openWithDhAndContextOrNull(dh, enc, pkR, context, aad, ciphertext);
                if (pt != null && opened != null) {
                    Arrays.fill(pt, (byte) 0);
                    Arrays.fill(opened, (byte) 0);
                    throw ambiguous(subset);
                }
                if (pt != null) {
                    opened = pt;
                }
            } finally {
                Arrays.fill(dh, (byte) 0);
            }
        }
        return opened;
    }

    private static CiphertextRejectedException ambiguous(List<Partial> subset) {
        return new CiphertextRejectedException("opens under more than one key with custodians " + ids(subset)
                + ": AES-GCM does not commit to its key, so this record could decrypt to different session keys; refused");
    }

    /**
     * c·P for the short Lagrange integers (about log2((n-1)!·n^(t-1)) bits) by plain
     * double-and-add in projective coordinates: a general multiplier's window precomputation and
     * normalisation would cost more than the multiplication itself. Not constant-time in c, which
     * is public (it depends only on which custodians answered).
     */
    static ECPoint smallMultiple(ECPoint p, BigInteger c) {
        ECPoint acc = p;
        for (int bit = c.bitLength() - 2; bit >= 0; bit--) {
            acc = c.testBit(bit) ? acc.twicePlus(p) : acc.twice();
        }
        return acc;
    }

    private BigInteger[] coefficients(KeyRecord key, List<Partial> subset) {
        int[] indices = subset.stream().mapToInt(Partial::index).toArray();
        String cacheKey = key.parameters().custodians() + ":" + Arrays.toString(indices);
        return coefficientCache.computeIfAbsent(cacheKey, k -> Lagrange.integerCoefficients(indices, key.scale()));
    }

    /** Partials outside the opening subset that do not fit it when swapped in. */
    private List<CustodianFault> inconsistent(KeyRecord key, List<Partial> all, List<Partial> good, byte[] opened, byte[] enc,
                                              byte[] pkR, byte[] context, byte[] aad, byte[] ciphertext) {
        List<CustodianFault> out = new ArrayList<>();
        for (Partial p : all) {
            if (good.contains(p)) {
                continue;
            }
            List<Partial> swapped = new ArrayList<>(good.subList(1, good.size()));
            swapped.add(p);
            byte[] pt = tryOpen(key, swapped, enc, pkR, context, aad, ciphertext);
            if (pt == null) {
                out.add(new CustodianFault(p.custodianId(), "answered inconsistently with the other custodians"));
            } else {
                boolean same = Arrays.equals(pt, opened);
                Arrays.fill(pt, (byte) 0);
                if (!same) {
                    Arrays.fill(opened, (byte) 0);
                    throw ambiguous(swapped);
                }
            }
        }
        return out;
    }

    private static List<List<Partial>> subsetsContaining(List<Partial> all, int t, Partial required) {
        List<Partial> others = new ArrayList<>(all);
        others.remove(required);
        List<List<Partial>> out = new ArrayList<>();
        choose(others, t - 1, 0, new ArrayList<>(), out);
        for (List<Partial> s : out) {
            s.add(0, required);
        }
        return out;
    }

    private static void choose(List<Partial> from, int k, int start, List<Partial> acc, List<List<Partial>> out) {
        if (acc.size() == k) {
            out.add(new ArrayList<>(acc));
            return;
        }
        for (int i = start; i < from.size(); i++) {
            acc.add(from.get(i));
            choose(from, k, i + 1, acc, out);
            acc.remove(acc.size() - 1);
        }
    }

    private static List<String> ids(List<Partial> partials) {
        return partials.stream().map(Partial::custodianId).toList();
    }
}
