package io.escrow.cms;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.escrow.config.ConfigurationException;
import io.escrow.testing.TestAuthorities;
import io.escrow.testing.TestCrls;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** A custodian's own copy of the authorities' anchors: one {@code <name>.pem} each, with an optional {@code <name>.crl}. */
class TrustAnchorsDirectoryTest {
    @TempDir
    Path dir;

    @BeforeAll
    static void pki() {
        new TestAuthorities().start();
    }

    @Test
    void fromDirectory_readsEachNamesCa_andItsCrlWhenPresent() throws Exception {
        Files.copy(TestAuthorities.DIR.resolve("court/ca.pem"), dir.resolve("court.pem"));
        Files.copy(TestAuthorities.DIR.resolve("ministry/ca.pem"), dir.resolve("ministry.pem"));
        TestCrls.write(dir.resolve("ministry.crl"), TestCrls.issue(TestAuthorities.ca("ministry"),
                Instant.now().minus(Duration.ofMinutes(1)), Instant.now().plus(Duration.ofDays(1)), Map.of()));
        Files.writeString(dir.resolve("notes.txt"), "ignored");
        TrustAnchors a = TrustAnchors.fromDirectory(dir);
        assertEquals(Set.of("court", "ministry"), a.names());
        assertTrue(a.revocation("ministry").isPresent());
        assertTrue(a.revocation("court").isEmpty());
    }

    @Test
    void fromDirectory_ofAMissingOrEmptyDirectory_orABadCertificate_fails() throws Exception {
        ConfigurationException missing = assertThrows(ConfigurationException.class, () -> TrustAnchors.fromDirectory(dir.resolve("nope")));
        assertTrue(missing.getMessage().contains("is not a directory"), missing.getMessage());
        ConfigurationException empty = assertThrows(ConfigurationException.class, () -> TrustAnchors.fromDirectory(dir));
        assertTrue(empty.getMessage().contains("holds no <name>.pem anchor"), empty.getMessage());
        Files.writeString(dir.resolve("court.pem"), "not a certificate");
        ConfigurationException bad = assertThrows(ConfigurationException.class, () -> TrustAnchors.fromDirectory(dir));
        assertTrue(bad.getMessage().contains("court"), bad.getMessage());
    }
}
