package io.escrow.warrant;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.escrow.config.ConfigurationException;
import java.time.Instant;
import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.Test;

class WarrantPolicyTest {
    private static Approval by(String authority) {
        return new Approval(authority, "CN=x", Instant.EPOCH);
    }

    @Test
    void of_defaultsToEveryConfiguredAuthority() {
        WarrantPolicy p = WarrantPolicy.of("", Set.of("court", "ministry"));
        assertFalse(p.isMetBy(List.of(by("court"))));
        assertEquals(List.of("ministry"), p.missing(List.of(by("court"))));
        assertTrue(p.isMetBy(List.of(by("ministry"), by("court"))));
    }

    @Test
    void of_withSubset_needsOnlyThose() {
        WarrantPolicy p = WarrantPolicy.of("court", Set.of("court", "ministry"));
        assertTrue(p.isMetBy(List.of(by("court"))));
    }

    @Test
    void of_namingUnknownAuthority_orWithNoAuthorities_fails() {
        assertTrue(assertThrows(ConfigurationException.class, () -> WarrantPolicy.of("court,senate", Set.of("court")))
                .getMessage().contains("'senate'"));
        assertThrows(ConfigurationException.class, () -> WarrantPolicy.of("", Set.of()));
        assertThrows(ConfigurationException.class, () -> WarrantPolicy.of(" , ", Set.of()));
    }
}
