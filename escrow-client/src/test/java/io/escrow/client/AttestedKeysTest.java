package io.escrow.client;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.google.protobuf.ByteString;
import io.escrow.proto.v1.EscrowKey;
import io.escrow.proto.v1.KeyAttestation;
import java.math.BigInteger;
import java.nio.charset.StandardCharsets;
import java.security.KeyPair;
import java.security.KeyPairGenerator;
import java.security.PrivateKey;
import java.security.cert.X509Certificate;
import java.security.spec.ECGenParameterSpec;
import java.time.Duration;
import java.time.Instant;
import java.util.Date;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import org.bouncycastle.asn1.x500.X500Name;
import org.bouncycastle.asn1.x509.BasicConstraints;
import org.bouncycastle.asn1.x509.Extension;
import org.bouncycastle.cert.jcajce.JcaCertStore;
import org.bouncycastle.cert.jcajce.JcaX509CertificateConverter;
import org.bouncycastle.cert.jcajce.JcaX509v3CertificateBuilder;
import org.bouncycastle.cms.CMSProcessableByteArray;
import org.bouncycastle.cms.CMSSignedDataGenerator;
import org.bouncycastle.cms.jcajce.JcaSignerInfoGeneratorBuilder;
import org.bouncycastle.operator.jcajce.JcaContentSignerBuilder;
import org.bouncycastle.operator.jcajce.JcaDigestCalculatorProviderBuilder;
import org.junit.jupiter.api.Test;

/** Real certificates and CMS signatures, made here: a key is trusted only with t attestations under the pinned certificates. */
class AttestedKeysTest {
    private static final byte[] PUBLIC_KEY = HexFormat.of().parseHex("04" + "11".repeat(64));

    record Issued(PrivateKey key, X509Certificate cert) {}

    private static KeyPair ecKey() throws Exception {
        KeyPairGenerator g = KeyPairGenerator.getInstance("EC");
        g.initialize(new ECGenParameterSpec("secp256r1"));
        return g.generateKeyPair();
    }

    static Issued issue(String subject, Issued issuer, boolean ca) throws Exception {
        KeyPair kp = ecKey();
        X500Name name = new X500Name("CN=" + subject);
        X500Name issuerName = issuer == null ? name : new X500Name(issuer.cert().getSubjectX500Principal().getName());
        PrivateKey signingKey = issuer == null ? kp.getPrivate() : issuer.key();
        Instant now = Instant.now();
        var b = new JcaX509v3CertificateBuilder(issuerName, BigInteger.valueOf(now.toEpochMilli()), Date.from(now.minus(Duration.ofHours(1))),
                Date.from(now.plus(Duration.ofDays(1))), name, kp.getPublic());
        b.addExtension(Extension.basicConstraints, true, new BasicConstraints(ca));
        X509Certificate cert = new JcaX509CertificateConverter().getCertificate(
                b.build(new JcaContentSignerBuilder("SHA256withECDSA").build(signingKey)));
        return new Issued(kp.getPrivate(), cert);
    }

    private static byte[] sign(byte[] data, Issued signer) throws Exception {
        CMSSignedDataGenerator g = new CMSSignedDataGenerator();
        g.addSignerInfoGenerator(new JcaSignerInfoGeneratorBuilder(new JcaDigestCalculatorProviderBuilder().build())
                .build(new JcaContentSignerBuilder("SHA256withECDSA").build(signer.key()), signer.cert()));
        g.addCertificates(new JcaCertStore(List.of(signer.cert())));
        return g.generate(new CMSProcessableByteArray(data), false).getEncoded();
    }

    private static byte[] statement(String custodian, String keyId, byte[] publicKey, int index) {
        return ("escrow/v1/key-attestation\ncustodian_id=" + custodian + "\nkey_id=" + keyId + "\npublic_key="
                + HexFormat.of().formatHex(publicKey) + "\nthreshold=2\ncustodians=3\nshare_index=" + index + "\npublic_share=04"
                + "22".repeat(64) + "\nkey_record_sha256=" + "33".repeat(32) + "\n").getBytes(StandardCharsets.UTF_8);
    }

    private static KeyAttestation attestation(String custodian, Issued signer, byte[] statement) throws Exception {
        return KeyAttestation.newBuilder().setCustodianId(custodian).setStatement(ByteString.copyFrom(statement))
                .setCmsSignature(ByteString.copyFrom(sign(statement, signer))).build();
    }

    private static EscrowKey.Builder key() {
        return EscrowKey.newBuilder().setKeyId("ek-2026-01").setPublicKey(ByteString.copyFrom(PUBLIC_KEY)).setThreshold(2)
                .setCustodianCount(3);
    }

    private final Issued ca1;
    private final Issued ca2;
    private final Issued agent1;
    private final Issued agent2;

    AttestedKeysTest() throws Exception {
        ca1 = issue("custodian-1 CA", null, true);
        ca2 = issue("custodian-2 CA", null, true);
        agent1 = issue("custodian-1 agent", ca1, false);
        agent2 = issue("custodian-2 agent", ca2, false);
    }

    private AttestedKeys pins() {
        return new AttestedKeys(Map.of("custodian-1", ca1.cert(), "custodian-2", ca2.cert()));
    }

    @Test
    void verify_withTAttestationsUnderThePinnedCas_trustsTheKey() throws Exception {
        EscrowKey k = key().addAttestations(attestation("custodian-1", agent1, statement("custodian-1", "ek-2026-01", PUBLIC_KEY, 1)))
                .addAttestations(attestation("custodian-2", agent2, statement("custodian-2", "ek-2026-01", PUBLIC_KEY, 2))).build();
        assertEquals(List.of("custodian-1", "custodian-2"), pins().verify(k, Instant.now()));
    }

    @Test
    void verify_ofAnOperatorsOwnKey_signedUnderAnotherCa_fails() throws Exception {
        Issued rogueCa = issue("custodian-2 CA", null, true);
        Issued rogue = issue("custodian-2 agent", rogueCa, false);
        EscrowKey k = key().addAttestations(attestation("custodian-1", agent1, statement("custodian-1", "ek-2026-01", PUBLIC_KEY, 1)))
                .addAttestations(attestation("custodian-2", rogue, statement("custodian-2", "ek-2026-01", PUBLIC_KEY, 2))).build();
        AttestedKeys.UntrustedKeyException e = assertThrows(AttestedKeys.UntrustedKeyException.class, () -> pins().verify(k, Instant.now()));
        assertTrue(e.getMessage().contains("verified: [custodian-1]") && e.getMessage().contains("custodian-2="), e.getMessage());
    }

    @Test
    void verify_ofAttestationsOfAnotherPublicKey_fails() throws Exception {
        byte[] other = HexFormat.of().parseHex("04" + "44".repeat(64));
        EscrowKey k = key().addAttestations(attestation("custodian-1", agent1, statement("custodian-1", "ek-2026-01", other, 1)))
                .addAttestations(attestation("custodian-2", agent2, statement("custodian-2", "ek-2026-01", other, 2))).build();
        AttestedKeys.UntrustedKeyException e = assertThrows(AttestedKeys.UntrustedKeyException.class, () -> pins().verify(k, Instant.now()));
        assertTrue(e.getMessage().contains("another custodian or key"), e.getMessage());
    }

    @Test
    void verify_withOneCustodianAttestingTwice_countsItOnce_andFails() throws Exception {
        KeyAttestation a = attestation("custodian-1", agent1, statement("custodian-1", "ek-2026-01", PUBLIC_KEY, 1));
        EscrowKey k = key().addAttestations(a).addAttestations(a).build();
        assertThrows(AttestedKeys.UntrustedKeyException.class, () -> pins().verify(k, Instant.now()));
    }

    @Test
    void verify_withATamperedStatement_fails() throws Exception {
        KeyAttestation good = attestation("custodian-2", agent2, statement("custodian-2", "ek-2026-01", PUBLIC_KEY, 2));
        KeyAttestation tampered = good.toBuilder().setStatement(ByteString.copyFrom(statement("custodian-2", "ek-2026-01", PUBLIC_KEY, 3)))
                .build();
        EscrowKey k = key().addAttestations(attestation("custodian-1", agent1, statement("custodian-1", "ek-2026-01", PUBLIC_KEY, 1)))
                .addAttestations(tampered).build();
        AttestedKeys.UntrustedKeyException e = assertThrows(AttestedKeys.UntrustedKeyException.class, () -> pins().verify(k, Instant.now()));
        assertTrue(e.getMessage().contains("does not verify"), e.getMessage());
    }

    @Test
    void new_withoutPinnedCertificates_fails() {
        assertThrows(IllegalArgumentException.class, () -> new AttestedKeys(Map.of()));
    }
}
