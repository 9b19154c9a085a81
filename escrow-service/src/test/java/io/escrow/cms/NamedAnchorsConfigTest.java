package io.escrow.cms;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.escrow.config.ConfigurationException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import io.escrow.testing.TestCrls;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class NamedAnchorsConfigTest {
    @TempDir
    Path dir;

    private Path ca(String name) throws Exception {
        var ca = CertificateIssuer.selfSignedCa("CN=" + name, Instant.now(), Instant.now().plus(Duration.ofDays(1)));
        return Files.writeString(dir.resolve(name + ".pem"), PemFiles.pem(ca.certificate()));
    }

    @Test
    void load_readsDottedAndEnvironmentNames() throws Exception {
        Map<String, String> props = Map.of(
                "escrow.authorities.court.trust-anchor", ca("court").toString(),
                "ESCROW_AUTHORITIES_MINISTRY_TRUST_ANCHOR", ca("ministry").toString(),
                "escrow.custodians.c1.trust-anchor", ca("c1").toString());
        TrustAnchors a = NamedAnchorsConfig.load("escrow.authorities", props.keySet(), k -> Optional.ofNullable(props.get(k)));
        assertEquals(Set.of("court", "ministry"), a.names());
        TrustAnchors c = NamedAnchorsConfig.load("escrow.custodians", props.keySet(), k -> Optional.ofNullable(props.get(k)));
        assertEquals(Set.of("c1"), c.names());
    }

    @Test
    void load_withMissingOrBadFile_failsNamingTheKey() throws Exception {
        Map<String, String> missing = Map.of("escrow.authorities.court.trust-anchor", dir.resolve("nope.pem").toString());
        ConfigurationException e = assertThrows(ConfigurationException.class, () -> NamedAnchorsConfig.load("escrow.authorities",
                missing.keySet(), k -> Optional.ofNullable(missing.get(k))));
        assertTrue(e.getMessage().contains("escrow.authorities.court.trust-anchor: cannot read"), e.getMessage());
        Path junk = Files.writeString(dir.resolve("junk.pem"), "not a certificate");
        Map<String, String> bad = Map.of("escrow.authorities.court.trust-anchor", junk.toString());
        assertThrows(ConfigurationException.class, () -> NamedAnchorsConfig.load("escrow.authorities", bad.keySet(),
                k -> Optional.ofNullable(bad.get(k))));
        Map<String, String> badName = Map.of("escrow.authorities.Court!.trust-anchor", ca("x").toString());
        assertThrows(ConfigurationException.class, () -> NamedAnchorsConfig.load("escrow.authorities", badName.keySet(),
                k -> Optional.ofNullable(badName.get(k))));
        assertEquals(List.of(), List.copyOf(NamedAnchorsConfig.load("escrow.authorities", Set.of(), k -> Optional.empty()).names()));
    }

    @Test
    void load_readsCrlSettings_dottedAndAsEnvironmentVariables() throws Exception {
        var court = CertificateIssuer.selfSignedCa("CN=court", Instant.now(), Instant.now().plus(Duration.ofDays(1)));
        var ministry = CertificateIssuer.selfSignedCa("CN=ministry", Instant.now(), Instant.now().plus(Duration.ofDays(1)));
        Map<String, String> props = Map.of(
                "escrow.authorities.court.trust-anchor", Files.writeString(dir.resolve("court.pem"), PemFiles.pem(court.certificate())).toString(),
                "escrow.authorities.court.crl", TestCrls.write(dir.resolve("court.crl"), TestCrls.issue(court,
                        Instant.now(), Instant.now().plus(Duration.ofDays(1)), Map.of())).toString(),
                "ESCROW_AUTHORITIES_MINISTRY_TRUST_ANCHOR", Files.writeString(dir.resolve("ministry.pem"),
                        PemFiles.pem(ministry.certificate())).toString(),
                "ESCROW_AUTHORITIES_MINISTRY_CRL", TestCrls.write(dir.resolve("ministry.crl"), TestCrls.issue(ministry,
                        Instant.now(), Instant.now().plus(Duration.ofDays(1)), Map.of())).toString(),
                "escrow.authorities.police.trust-anchor", ca("police").toString());
        TrustAnchors a = NamedAnchorsConfig.load("escrow.authorities", props.keySet(), k -> Optional.ofNullable(props.get(k)));
        assertEquals(dir.resolve("court.crl"), a.revocation("court").orElseThrow().file());
        assertEquals(dir.resolve("ministry.crl"), a.revocation("ministry").orElseThrow().file());
        assertTrue(a.revocation("police").isEmpty());
    }

    @Test
    void load_withACrlButNoTrustAnchor_orABadCrlFile_failsNamingTheKey() throws Exception {
        Map<String, String> orphan = Map.of("escrow.authorities.court.trust-anchor", ca("court").toString(),
                "escrow.authorities.ministry.crl", dir.resolve("ministry.crl").toString());
        ConfigurationException e = assertThrows(ConfigurationException.class, () -> NamedAnchorsConfig.load("escrow.authorities",
                orphan.keySet(), k -> Optional.ofNullable(orphan.get(k))));
        assertTrue(e.getMessage().contains("escrow.authorities.ministry.crl is set, but escrow.authorities.ministry.trust-anchor is not"),
                e.getMessage());
        Map<String, String> bad = Map.of("escrow.authorities.court.trust-anchor", ca("court").toString(),
                "escrow.authorities.court.crl", Files.writeString(dir.resolve("junk.crl"), "junk").toString());
        e = assertThrows(ConfigurationException.class, () -> NamedAnchorsConfig.load("escrow.authorities",
                bad.keySet(), k -> Optional.ofNullable(bad.get(k))));
        assertTrue(e.getMessage().contains("escrow.authorities.court.crl: "), e.getMessage());
        Map<String, String> empty = Map.of("escrow.authorities.court.trust-anchor", ca("court").toString(),
                "escrow.authorities.court.crl", " ");
        e = assertThrows(ConfigurationException.class, () -> NamedAnchorsConfig.load("escrow.authorities",
                empty.keySet(), k -> Optional.ofNullable(empty.get(k))));
        assertTrue(e.getMessage().contains("escrow.authorities.court.crl is empty"), e.getMessage());
    }

    /** SmallRye's getPropertyNames() fails on a second iteration; anchors and CRLs are read from one pass. */
    @Test
    void load_iteratesThePropertyNamesOnce() throws Exception {
        Map<String, String> props = Map.of("escrow.authorities.court.trust-anchor", ca("court").toString());
        java.util.concurrent.atomic.AtomicInteger passes = new java.util.concurrent.atomic.AtomicInteger();
        Iterable<String> once = () -> {
            if (passes.incrementAndGet() > 1) {
                throw new java.util.NoSuchElementException("iterated twice");
            }
            return props.keySet().iterator();
        };
        assertEquals(Set.of("court"), NamedAnchorsConfig.load("escrow.authorities", once, k -> Optional.ofNullable(props.get(k))).names());
    }

    @Test
    void load_environmentNameWithDashes_resolvesToTheConfiguredCustodianId() throws Exception {
        Map<String, String> props = Map.of("ESCROW_CUSTODIANS_CUSTODIAN_1_TRUST_ANCHOR", ca("c1").toString(),
                "ESCROW_CUSTODIANS_CUSTODIAN_1_CRL", TestCrls.write(dir.resolve("c1.crl"), TestCrls.issue(
                        CertificateIssuer.selfSignedCa("CN=c1", Instant.now(), Instant.now().plus(Duration.ofDays(1))),
                        Instant.now(), Instant.now().plus(Duration.ofDays(1)), Map.of())).toString());
        TrustAnchors c = NamedAnchorsConfig.load("escrow.custodians", props.keySet(), k -> Optional.ofNullable(props.get(k)),
                List.of("custodian-1", "custodian-2"));
        assertEquals(Set.of("custodian-1"), c.names());
    }

    @Test
    void load_environmentNameMatchingNoConfiguredName_failsSayingWhatToWrite() throws Exception {
        Map<String, String> props = Map.of("ESCROW_CUSTODIANS_CUSTODIAN_9_TRUST_ANCHOR", ca("c9").toString());
        ConfigurationException e = assertThrows(ConfigurationException.class, () -> NamedAnchorsConfig.load("escrow.custodians",
                props.keySet(), k -> Optional.ofNullable(props.get(k)), List.of("custodian-1")));
        assertTrue(e.getMessage().contains("ESCROW_CUSTODIANS_CUSTODIAN_9_TRUST_ANCHOR") && e.getMessage().contains("[custodian-1]")
                && e.getMessage().contains("properties file"), e.getMessage());
    }
}
