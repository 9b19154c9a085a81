package io.escrow.threshold;

import io.escrow.hpke.Hpke;
import io.escrow.hpke.HpkeSuite;
import java.math.BigInteger;
import java.nio.charset.StandardCharsets;
import java.security.SecureRandom;
import java.time.Clock;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Objects;
import java.util.function.Consumer;
import org.bouncycastle.math.ec.ECPoint;

/**
 * The key ceremony: generate an escrow key, split it t of n, put each share into its own
 * custodian token, prove that the tokens hold exactly those shares, and keep only public facts.
 *
 * <p>The private key d exists only inside {@link #run}. Tokens receive shares of d/M (M = (n-1)!,
 * see {@link ThresholdParameters#shareScale}). Before returning, the ceremony checks every share
 * against the Feldman commitments, asks every token for x(s_i·G) and compares it with the public
 * share, and round-trips an HPKE message through two different t-subsets of tokens. If anything
 * fails, shares already imported are deleted again.
 */
public final class KeyCeremony {
    private final SecureRandom rng;
    private final Clock clock;
    private final Consumer<String> progress;

    public KeyCeremony(SecureRandom rng, Clock clock, Consumer<String> progress) {
        this.rng = Objects.requireNonNull(rng, "rng");
        this.clock = Objects.requireNonNull(clock, "clock");
        this.progress = Objects.requireNonNull(progress, "progress");
    }

    /**
     * @param tokens one token per custodian; the i-th token (0-based) receives share index i+1
     */
    public KeyRecord run(String keyId, ThresholdParameters params, List<? extends ShareToken> tokens) {
        KeyId.require(keyId);
        Objects.requireNonNull(params, "params");
        if (tokens.size() != params.custodians()) {
            throw new InvalidThresholdException("the ceremony for n=" + params.custodians() + " got "
                    + tokens.size() + " custodian tokens");
        }
        var seen = new HashSet<String>();
        for (ShareToken t : tokens) {
            if (!seen.add(t.custodianId())) {
                throw new InvalidThresholdException("custodian " + t.custodianId() + " is listed twice");
            }
            if (t.hasShare(keyId)) {
                throw new KeyAlreadyExistsException("custodian " + t.custodianId() + " already holds a share of key " + keyId);
            }
        }
        List<ShareToken> imported = new ArrayList<>();
        try (Dealing dealing = deal(keyId, params, tokens.stream().map(ShareToken::custodianId).toList())) {
            KeyRecord record = dealing.record();
            for (int i = 0; i < tokens.size(); i++) {
                ShareToken token = tokens.get(i);
                ShamirShare share = dealing.shares().get(i);
                token.importShare(keyId, share.value(), record.shares().get(i).publicShare());
                imported.add(token);
                progress.accept("share " + share.index() + " imported into " + token.custodianId());
            }
            verifyTokens(record, tokens);
            progress.accept("key " + keyId + " verified in all " + tokens.size() + " tokens");
            return record;
        } catch (RuntimeException e) {
            rollBack(keyId, imported);
            if (e instanceof CustodianFailureException) {
                throw new CeremonyFailedException("key ceremony for " + keyId + " failed and was rolled back: "
                        + e.getMessage(), e);
            }
            throw new CeremonyFailedException("key ceremony for " + keyId + " failed and was rolled back: " + e, e);
        }
    }

    /**
     * A fresh key, split: its public record and one share per custodian, in the order given
     * (the i-th custodian gets share index i+1). Closing it wipes the shares. The private key
     * itself is wiped before this returns; only the scaled shares leave.
     */
    public record Dealing(KeyRecord record, List<ShamirShare> shares) implements AutoCloseable {
        public Dealing {
            shares = List.copyOf(shares);
        }

        @Override
        public void close() {
            shares.forEach(s -> s.value().destroy());
        }

        @Override
        public String toString() {
            return "Dealing[" + record.keyId() + ", " + shares.size() + " shares, redacted]";
        }
    }

    /** Generates a key for {@code custodianIds} (distinct, n of them) and splits it; see {@link Dealing}. */
    public Dealing deal(String keyId, ThresholdParameters params, List<String> custodianIds) {
        KeyId.require(keyId);
        Objects.requireNonNull(params, "params");
        if (custodianIds.size() != params.custodians() || new HashSet<>(custodianIds).size() != custodianIds.size()) {
            throw new InvalidThresholdException("the ceremony for n=" + params.custodians() + " needs that many distinct custodians, got "
                    + custodianIds);
        }
        progress.accept("generating key " + keyId + " (" + params.threshold() + " of " + params.custodians() + ")");
        BigInteger scale = params.shareScale();
        SecretScalar d = SecretScalar.of(Shamir.randomNonZeroScalar(rng));
        ECPoint publicKey = P256.G.multiply(d.toBigInteger()).normalize();
        SecretScalar scaled = SecretScalar.of(d.toBigInteger().multiply(scale.modInverse(P256.ORDER)).mod(P256.ORDER));
        d.destroy();
        Shamir.Sharing sharing = Shamir.split(scaled, params, rng);
        scaled.destroy();
        try {
            List<CustodianShare> publicShares = new ArrayList<>();
            for (int i = 0; i < custodianIds.size(); i++) {
                ShamirShare share = sharing.shares().get(i);
                if (!sharing.commitments().verify(share)) {
                    throw new IllegalStateException("share " + share.index() + " does not match its Feldman commitment");
                }
                publicShares.add(new CustodianShare(custodianIds.get(i), share.index(),
                        P256.G.multiply(share.value().toBigInteger()).normalize()));
            }
            return new Dealing(new KeyRecord(keyId, publicKey, params, scale, sharing.commitments(), publicShares, clock.instant()),
                    sharing.shares());
        } catch (RuntimeException e) {
            sharing.shares().forEach(s -> s.value().destroy());
            throw e;
        }
    }

    /** Every token must hold exactly its recorded share, and two different t-subsets must decrypt. */
    private void verifyTokens(KeyRecord record, List<? extends ShareToken> tokens) {
        for (ShareToken token : tokens) {
            CustodianShare share = record.shareOf(token.custodianId()).orElseThrow();
            byte[] x = token.deriveX(record.keyId(), P256.G);
            if (!P256.constantTimeEquals(x, P256.xBytes(share.publicShare()))) {
                throw new CustodianFailureException(token.custodianId(), "token does not hold the share that was imported");
            }
        }
        Hpke hpke = new Hpke(HpkeSuite.P256_SHA256_AES256GCM);
        byte[] probe = new byte[32];
        rng.nextBytes(probe);
        byte[] info = ("escrow/v1/ceremony-check/" + record.keyId()).getBytes(StandardCharsets.UTF_8);
        Hpke.Sealed sealed = hpke.seal(record.publicKeyBytes(), info, new byte[0], probe, rng);
        ThresholdDecryptor decryptor = new ThresholdDecryptor(HpkeSuite.P256_SHA256_AES256GCM);
        int t = record.threshold();
        for (List<? extends ShareToken> subset : List.of(tokens.subList(0, t), tokens.subList(tokens.size() - t, tokens.size()))) {
            byte[] opened = decryptor.open(record, subset, sealed.enc(), info, new byte[0], sealed.ciphertext()).plaintext();
            if (!P256.constantTimeEquals(opened, probe)) {
                throw new IllegalStateException("threshold round trip returned the wrong plaintext");
            }
        }
    }

    private void rollBack(String keyId, List<ShareToken> imported) {
        for (ShareToken token : imported) {
            try {
                token.deleteShare(keyId);
                progress.accept("rolled back share in " + token.custodianId());
            } catch (RuntimeException e) {
                progress.accept("could not roll back the share in " + token.custodianId() + ": " + e.getMessage()
                        + "; delete key " + keyId + " from that token by hand");
            }
        }
    }
}
