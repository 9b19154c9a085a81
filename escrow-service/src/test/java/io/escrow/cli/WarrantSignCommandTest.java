package io.escrow.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import io.escrow.cms.CertificateIssuer.Issued;
import io.escrow.cms.CmsSignatureVerifier;
import io.escrow.cms.TrustAnchors;
import io.escrow.cms.VerifiedSignature;
import io.escrow.error.InvalidArgumentException;
import io.escrow.testing.TestAuthorities;
import io.escrow.testing.TestTokens;
import io.escrow.warrant.SignedBytes;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.KeyStore;
import java.security.Provider;
import java.security.Security;
import java.security.cert.Certificate;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** escrowctl warrant sign, from PEM files and from a signing key inside a SoftHSM token. */
class WarrantSignCommandTest {
    @TempDir
    Path dir;

    private static TrustAnchors court;

    @BeforeAll
    static void pki() {
        new TestAuthorities().start();
        court = new TrustAnchors(Map.of("court", List.of(TestAuthorities.ca("court").certificate())));
    }

    private VerifiedSignature verify(Path cms, byte[] content) throws Exception {
        return CmsSignatureVerifier.verify(Files.readAllBytes(cms), content, court, Instant.now().minusSeconds(60), Instant.now());
    }

    @Test
    void sign_withPemFiles_makesAnApprovalTheServiceAccepts() throws Exception {
        byte[] content = "escrow/v1/warrant\nwarrant_id=w-test\n".getBytes(StandardCharsets.UTF_8);
        Path in = Files.write(dir.resolve("signed.bin"), content);
        Path out = dir.resolve("approval.der");
        assertEquals(0, EscrowCtl.execute("warrant", "sign", "--in", in.toString(), "--out", out.toString(),
                "--cert", TestAuthorities.signerCertificateFile("court").toString(),
                "--key", TestAuthorities.signerKeyFile("court").toString()));
        assertEquals("court", verify(out, content).name());
        assertThrows(InvalidArgumentException.class, () -> verify(out, "other bytes".getBytes(StandardCharsets.UTF_8)));
    }

    @Test
    void sign_revocation_signsTheRevocationBytes() throws Exception {
        Path out = dir.resolve("revoke.der");
        assertEquals(0, EscrowCtl.execute("warrant", "sign", "--revoke", "w-123", "--out", out.toString(),
                "--cert", TestAuthorities.signerCertificateFile("court").toString(),
                "--key", TestAuthorities.signerKeyFile("court").toString()));
        assertEquals("court", verify(out, SignedBytes.revocation("w-123")).name());
    }

    @Test
    void sign_withoutContentOrKey_failsWithUsage() {
        Path out = dir.resolve("x.der");
        assertEquals(2, EscrowCtl.execute("warrant", "sign", "--out", out.toString(),
                "--cert", TestAuthorities.signerCertificateFile("court").toString(),
                "--key", TestAuthorities.signerKeyFile("court").toString()));
        assertEquals(2, EscrowCtl.execute("warrant", "sign", "--revoke", "w-1", "--out", out.toString()));
    }

    @Test
    void sign_withKeyInPkcs11Token_makesAnApprovalTheServiceAccepts() throws Exception {
        Path pinFile = TestTokens.hsmDir().resolve("pins").resolve("signer-1.pin");
        Issued judge = TestAuthorities.signer("court");
        // Put the judge's key on the "smart card": a SoftHSM token, as a signing key with its certificate.
        long slot = io.escrow.hsm.Pkcs11SlotsTestAccess.slotOf("signer-1", TestTokens.LIBRARY);
        Provider p = Security.getProvider("SunPKCS11").configure("--name = card-setup\nlibrary = " + TestTokens.LIBRARY
                + "\nslot = " + slot + "\n");
        KeyStore ks = KeyStore.getInstance("PKCS11", p);
        ks.load(null, Files.readString(pinFile).strip().toCharArray());
        ks.setEntry("judge", new KeyStore.PrivateKeyEntry(judge.privateKey(), new Certificate[] {judge.certificate()}), null);

        byte[] content = "escrow/v1/warrant\nwarrant_id=w-card\n".getBytes(StandardCharsets.UTF_8);
        Path in = Files.write(dir.resolve("signed.bin"), content);
        Path out = dir.resolve("approval.der");
        assertEquals(0, EscrowCtl.execute("warrant", "sign", "--in", in.toString(), "--out", out.toString(),
                "--pkcs11-library", TestTokens.LIBRARY.toString(), "--token", "signer-1", "--key-alias", "judge",
                "--pin-file", pinFile.toString()));
        VerifiedSignature v = verify(out, content);
        assertEquals("court", v.name());
        assertEquals("CN=Test court judge", v.signer());
        assertEquals(1, EscrowCtl.execute("warrant", "sign", "--in", in.toString(), "--out", out.toString(),
                "--pkcs11-library", TestTokens.LIBRARY.toString(), "--token", "signer-1", "--key-alias", "nobody",
                "--pin-file", pinFile.toString()));
    }
}
