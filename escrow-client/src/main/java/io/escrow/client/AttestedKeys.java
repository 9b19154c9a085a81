package io.escrow.client;

import io.escrow.proto.v1.EscrowKey;
import io.escrow.proto.v1.KeyAttestation;
import java.nio.charset.StandardCharsets;
import java.security.cert.X509Certificate;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collection;
import java.util.Date;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.bouncycastle.cert.X509CertificateHolder;
import org.bouncycastle.cert.jcajce.JcaX509CertificateConverter;
import org.bouncycastle.cms.CMSProcessableByteArray;
import org.bouncycastle.cms.CMSSignedData;
import org.bouncycastle.cms.SignerInformation;
import org.bouncycastle.cms.jcajce.JcaSimpleSignerInfoVerifierBuilder;

/**
 * Whether an escrow key may be sealed to: at least t of its custodians' agents must have signed an
 * {@code escrow/v1/key-attestation} for exactly this key (id, public key, t, n), each with a
 * certificate issued by (or equal to) the certificate the provider pinned for that custodian. An
 * operator who slips in a key of its own gets no such signatures, so the client never seals to it.
 */
public final class AttestedKeys {
    private static final String HEADER = "escrow/v1/key-attestation";
    private static final List<String> FIELDS = List.of("custodian_id", "key_id", "public_key", "threshold", "custodians",
            "share_index", "public_share", "key_record_sha256");

    private final Map<String, X509Certificate> pinned;

    /** @param pinned custodian id → the certificate pinned for it: its CA, or its attestation certificate */
    public AttestedKeys(Map<String, X509Certificate> pinned) {
        if (pinned.isEmpty()) {
            throw new IllegalArgumentException("pin at least one custodian certificate: without them no key can be trusted");
        }
        this.pinned = Map.copyOf(pinned);
    }

    /** The custodians whose attestations of {@code key} verify; throws {@link UntrustedKeyException} when fewer than t. */
    public List<String> verify(EscrowKey key, Instant now) {
        Map<String, String> problems = new LinkedHashMap<>();
        List<String> good = new ArrayList<>();
        for (KeyAttestation a : key.getAttestationsList()) {
            String problem = problem(key, a, now);
            if (problem == null && !good.contains(a.getCustodianId())) {
                good.add(a.getCustodianId());
            } else if (problem != null) {
                problems.put(a.getCustodianId(), problem);
            }
        }
        if (key.getThreshold() < 1 || good.size() < key.getThreshold()) {
            throw new UntrustedKeyException(key.getKeyId(), "needs " + key.getThreshold() + " custodian attestations that verify "
                    + "against the pinned certificates; verified: " + good + (problems.isEmpty() ? "" : ", refused: " + problems));
        }
        return List.copyOf(good);
    }

    /** Why {@code a} does not vouch for {@code key}, or null when it does. */
    private String problem(EscrowKey key, KeyAttestation a, Instant now) {
        X509Certificate anchor = pinned.get(a.getCustodianId());
        if (anchor == null) {
            return "no certificate is pinned for this custodian";
        }
        Map<String, String> f = parse(a.getStatement().toByteArray());
        if (f == null) {
            return "not an " + HEADER + " statement";
        }
        if (!a.getCustodianId().equals(f.get("custodian_id")) || !key.getKeyId().equals(f.get("key_id"))
                || !HexFormat.of().formatHex(key.getPublicKey().toByteArray()).equals(f.get("public_key"))
                || !Integer.toString(key.getThreshold()).equals(f.get("threshold"))
                || !Integer.toString(key.getCustodianCount()).equals(f.get("custodians"))) {
            return "the statement is about another custodian or key";
        }
        try {
            CMSSignedData cms = new CMSSignedData(new CMSProcessableByteArray(a.getStatement().toByteArray()),
                    a.getCmsSignature().toByteArray());
            Collection<SignerInformation> signers = cms.getSignerInfos().getSigners();
            if (signers.size() != 1) {
                return "the signature has " + signers.size() + " signers, not one";
            }
            SignerInformation signer = signers.iterator().next();
            @SuppressWarnings("unchecked")
            Collection<X509CertificateHolder> certs = cms.getCertificates().getMatches(signer.getSID());
            if (certs.isEmpty()) {
                return "the signature does not carry its signer's certificate";
            }
            X509Certificate cert = new JcaX509CertificateConverter().getCertificate(certs.iterator().next());
            cert.checkValidity(Date.from(now));
            if (!cert.equals(anchor)) {
                if (!cert.getIssuerX500Principal().equals(anchor.getSubjectX500Principal())) {
                    return "signed by " + cert.getSubjectX500Principal() + ", not under the pinned " + anchor.getSubjectX500Principal();
                }
                cert.verify(anchor.getPublicKey());
            }
            if (!signer.verify(new JcaSimpleSignerInfoVerifierBuilder().build(cert))) {
                return "the signature does not verify";
            }
            return null;
        } catch (Exception e) {
            return "the signature does not verify: " + e.getMessage();
        }
    }

    /** The fields of a canonical attestation statement, or null. */
    private static Map<String, String> parse(byte[] statement) {
        String[] lines = new String(statement, StandardCharsets.UTF_8).split("\n", -1);
        if (lines.length != FIELDS.size() + 2 || !lines[0].equals(HEADER) || !lines[lines.length - 1].isEmpty()) {
            return null;
        }
        Map<String, String> out = new LinkedHashMap<>();
        for (int i = 0; i < FIELDS.size(); i++) {
            String prefix = FIELDS.get(i) + "=";
            if (!lines[i + 1].startsWith(prefix)) {
                return null;
            }
            out.put(FIELDS.get(i), lines[i + 1].substring(prefix.length()));
        }
        return out;
    }

    /** A key without enough verified custodian attestations: the client does not seal to it. */
    public static final class UntrustedKeyException extends RuntimeException {
        public UntrustedKeyException(String keyId, String why) {
            super("escrow key " + keyId + " is not trusted: " + why);
        }
    }
}
