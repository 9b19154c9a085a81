package io.escrow.cms;

import static org.junit.jupiter.api.Assertions.assertDoesNotThrow;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.escrow.cms.CertificateIssuer.Issued;
import io.escrow.config.ConfigurationException;
import io.escrow.error.EscrowException;
import io.escrow.error.InvalidArgumentException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.cert.X509Certificate;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import io.escrow.testing.TestCrls;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class RevocationListsTest {
    private static final Instant NOW = Instant.now();
    private static final Issued CA = CertificateIssuer.selfSignedCa("CN=Court CA", NOW.minus(Duration.ofDays(10)), NOW.plus(Duration.ofDays(100)));
    private static final Issued INTERMEDIATE = CertificateIssuer.issue(CA, "CN=Court Issuing CA", NOW.minus(Duration.ofDays(9)),
            NOW.plus(Duration.ofDays(90)), true);
    private static final Issued JUDGE = CertificateIssuer.issue(INTERMEDIATE, "CN=Judge", NOW.minus(Duration.ofDays(5)),
            NOW.plus(Duration.ofDays(50)), false);
    private static final Issued OTHER_JUDGE = CertificateIssuer.issue(INTERMEDIATE, "CN=Other Judge", NOW.minus(Duration.ofDays(5)),
            NOW.plus(Duration.ofDays(50)), false);
    private static final List<X509Certificate> PATH = List.of(JUDGE.certificate(), INTERMEDIATE.certificate());

    @TempDir
    Path dir;

    private static Map<X509Certificate, Instant> none() {
        return Map.of();
    }

    /** Current CRLs of both CAs; the intermediate's lists {@code revokedByIntermediate}. */
    private Path currentCrls(Map<X509Certificate, Instant> revokedByIntermediate) throws Exception {
        return TestCrls.write(dir.resolve("court.crl"),
                TestCrls.issue(CA, NOW.minus(Duration.ofHours(1)), NOW.plus(Duration.ofDays(7)), none()),
                TestCrls.issue(INTERMEDIATE, NOW.minus(Duration.ofHours(1)), NOW.plus(Duration.ofDays(7)), revokedByIntermediate));
    }

    private static void check(Path file) {
        RevocationLists.fromFile("escrow.authorities.court.crl", file).check(PATH, CA.certificate(), NOW);
    }

    @Test
    void check_ofCertificatesNoCurrentCrlLists_passes() throws Exception {
        assertDoesNotThrow(() -> check(currentCrls(Map.of(OTHER_JUDGE.certificate(), NOW.minus(Duration.ofDays(1))))));
    }

    @Test
    void check_ofARevokedSigner_isRejectedNamingItTheIssuerAndTheReason() throws Exception {
        Path file = currentCrls(Map.of(JUDGE.certificate(), NOW.minus(Duration.ofDays(1))));
        InvalidArgumentException e = assertThrows(InvalidArgumentException.class, () -> check(file));
        assertEquals(CmsSignatureVerifier.FIELD, e.field());
        assertTrue(e.getMessage().contains("certificate 'CN=Judge' was revoked by 'CN=Court Issuing CA'"), e.getMessage());
        assertTrue(e.getMessage().contains("KEY_COMPROMISE"), e.getMessage());
    }

    @Test
    void check_ofARevokedIntermediate_isRejected() throws Exception {
        Path file = TestCrls.write(dir.resolve("court.crl"),
                TestCrls.issue(CA, NOW.minus(Duration.ofHours(1)), NOW.plus(Duration.ofDays(7)),
                        Map.of(INTERMEDIATE.certificate(), NOW.minus(Duration.ofHours(2)))),
                TestCrls.issue(INTERMEDIATE, NOW.minus(Duration.ofHours(1)), NOW.plus(Duration.ofDays(7)), none()));
        InvalidArgumentException e = assertThrows(InvalidArgumentException.class, () -> check(file));
        assertTrue(e.getMessage().contains("certificate 'CN=Court Issuing CA' was revoked by 'CN=Court CA'"), e.getMessage());
    }

    @Test
    void check_withoutACrlFromTheIssuer_failsClosed() throws Exception {
        Path file = TestCrls.write(dir.resolve("court.crl"),
                TestCrls.issue(CA, NOW.minus(Duration.ofHours(1)), NOW.plus(Duration.ofDays(7)), none()));
        RevocationUnknownException e = assertThrows(RevocationUnknownException.class, () -> check(file));
        assertEquals(EscrowException.Category.FAILED_PRECONDITION, e.category());
        assertTrue(e.getMessage().contains("holds no CRL signed by its issuer 'CN=Court Issuing CA'"), e.getMessage());
    }

    @Test
    void check_withACrlUnderTheIssuersNameButAnotherKey_ignoresThatForgery_andFailsClosed() throws Exception {
        Issued impostor = CertificateIssuer.selfSignedCa("CN=Court Issuing CA", NOW.minus(Duration.ofDays(1)), NOW.plus(Duration.ofDays(1)));
        Path file = TestCrls.write(dir.resolve("court.crl"),
                TestCrls.issue(CA, NOW.minus(Duration.ofHours(1)), NOW.plus(Duration.ofDays(7)), none()),
                TestCrls.issue(impostor, NOW.minus(Duration.ofHours(1)), NOW.plus(Duration.ofDays(7)), none()));
        assertThrows(RevocationUnknownException.class, () -> check(file));
    }

    @Test
    void check_withAnExpiredCrl_failsClosed_evenIfAnOlderOneWasClean() throws Exception {
        Path file = TestCrls.write(dir.resolve("court.crl"),
                TestCrls.issue(CA, NOW.minus(Duration.ofHours(1)), NOW.plus(Duration.ofDays(7)), none()),
                TestCrls.issue(INTERMEDIATE, NOW.minus(Duration.ofDays(9)), NOW.minus(Duration.ofDays(2)), none()),
                TestCrls.issue(INTERMEDIATE, NOW.minus(Duration.ofDays(2)), NOW.minus(Duration.ofHours(1)), none()));
        RevocationUnknownException e = assertThrows(RevocationUnknownException.class, () -> check(file));
        assertTrue(e.getMessage().contains("the CRL of 'CN=Court Issuing CA'") && e.getMessage().contains("is not current"), e.getMessage());
    }

    @Test
    void check_withACrlIssuedInTheFuture_failsClosed() throws Exception {
        Path file = TestCrls.write(dir.resolve("court.crl"),
                TestCrls.issue(CA, NOW.minus(Duration.ofHours(1)), NOW.plus(Duration.ofDays(7)), none()),
                TestCrls.issue(INTERMEDIATE, NOW.plus(Duration.ofHours(1)), NOW.plus(Duration.ofDays(7)), none()));
        assertThrows(RevocationUnknownException.class, () -> check(file));
    }

    @Test
    void check_usesTheNewestCurrentCrl() throws Exception {
        Path file = TestCrls.write(dir.resolve("court.crl"),
                TestCrls.issue(CA, NOW.minus(Duration.ofHours(1)), NOW.plus(Duration.ofDays(7)), none()),
                TestCrls.issue(INTERMEDIATE, NOW.minus(Duration.ofHours(2)), NOW.plus(Duration.ofDays(7)), none()),
                TestCrls.issue(INTERMEDIATE, NOW.minus(Duration.ofHours(1)), NOW.plus(Duration.ofDays(7)),
                        Map.of(JUDGE.certificate(), NOW.minus(Duration.ofHours(1)))));
        assertThrows(InvalidArgumentException.class, () -> check(file));
    }

    @Test
    void check_afterTheFileIsReplaced_readsItAgain_andAfterItIsRemoved_failsClosed() throws Exception {
        Path file = currentCrls(none());
        RevocationLists crls = RevocationLists.fromFile("escrow.authorities.court.crl", file);
        crls.check(PATH, CA.certificate(), NOW);

        currentCrls(Map.of(JUDGE.certificate(), NOW.minus(Duration.ofMinutes(1))));
        assertThrows(InvalidArgumentException.class, () -> crls.check(PATH, CA.certificate(), NOW));

        Files.delete(file);
        RevocationUnknownException e = assertThrows(RevocationUnknownException.class, () -> crls.check(PATH, CA.certificate(), NOW));
        assertTrue(e.getMessage().contains(file.toString()), e.getMessage());
    }

    @Test
    void fromFile_withoutACrl_isAConfigurationErrorNamingTheSetting() throws Exception {
        Path junk = Files.writeString(dir.resolve("junk.crl"), "not a CRL");
        ConfigurationException e = assertThrows(ConfigurationException.class, () -> RevocationLists.fromFile("escrow.authorities.court.crl", junk));
        assertTrue(e.getMessage().contains("escrow.authorities.court.crl: "), e.getMessage());
        Path empty = Files.writeString(dir.resolve("empty.crl"), "");
        assertThrows(ConfigurationException.class, () -> RevocationLists.fromFile("escrow.authorities.court.crl", empty));
        assertThrows(ConfigurationException.class, () -> RevocationLists.fromFile("escrow.authorities.court.crl", dir.resolve("missing.crl")));
    }

    @Test
    void fromFile_withADeltaCrl_isAConfigurationError() throws Exception {
        Path file = TestCrls.write(dir.resolve("delta.crl"), TestCrls.issue(INTERMEDIATE.certificate().getSubjectX500Principal(),
                INTERMEDIATE.privateKey(), NOW.minus(Duration.ofHours(1)), NOW.plus(Duration.ofDays(1)), none(), true));
        ConfigurationException e = assertThrows(ConfigurationException.class, () -> RevocationLists.fromFile("escrow.authorities.court.crl", file));
        assertTrue(e.getMessage().contains("critical extensions"), e.getMessage());
    }

    @Test
    void fromFile_readsDerToo() throws Exception {
        Path der = Files.write(dir.resolve("court.der"),
                TestCrls.issue(INTERMEDIATE, NOW.minus(Duration.ofHours(1)), NOW.plus(Duration.ofDays(7)), none()).getEncoded());
        RevocationLists crls = RevocationLists.fromFile("escrow.authorities.court.crl", der);
        assertDoesNotThrow(() -> crls.check(List.of(JUDGE.certificate()), INTERMEDIATE.certificate(), NOW));
    }

    @Test
    void staleAt_isTheEarliestNextUpdateAmongEachIssuersNewestCrl() throws Exception {
        Instant caNext = NOW.plus(Duration.ofDays(7)).truncatedTo(java.time.temporal.ChronoUnit.SECONDS);
        Instant intermediateNext = NOW.plus(Duration.ofDays(2)).truncatedTo(java.time.temporal.ChronoUnit.SECONDS);
        Path file = TestCrls.write(dir.resolve("court.crl"),
                TestCrls.issue(CA, NOW.minus(Duration.ofHours(1)), caNext, none()),
                TestCrls.issue(INTERMEDIATE, NOW.minus(Duration.ofDays(3)), NOW.minus(Duration.ofDays(1)), none()),
                TestCrls.issue(INTERMEDIATE, NOW.minus(Duration.ofHours(1)), intermediateNext, none()));
        assertEquals(java.util.Optional.of(intermediateNext), RevocationLists.fromFile("crl", file).staleAt());
    }
}
