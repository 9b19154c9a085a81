package io.escrow.storage;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.escrow.config.ConfigurationException;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class EmbeddedServerSettingsTest {
    @Test
    void parse_keepsTheSettingsInOrder() {
        EmbeddedServerSettings s = EmbeddedServerSettings.parse(
                " shared_buffers=8GB, wal_compression=on,checkpoint_timeout=15min ,max_wal_size=16GB");
        assertEquals(List.of("shared_buffers", "wal_compression", "checkpoint_timeout", "max_wal_size"),
                List.copyOf(s.asMap().keySet()));
        assertEquals("8GB", s.asMap().get("shared_buffers"));
        assertEquals("15min", s.asMap().get("checkpoint_timeout"));
    }

    @Test
    void parse_ofBlank_isNone() {
        assertEquals(Map.of(), EmbeddedServerSettings.parse("  ").asMap());
    }

    @Test
    void parse_withoutEquals_fails() {
        assertRefused("shared_buffers", "is not name=value");
    }

    @Test
    void parse_withATrailingComma_fails() {
        assertRefused("wal_compression=on,", "is not name=value");
    }

    @Test
    void parse_withABadName_fails() {
        assertRefused("Shared Buffers=8GB", "is not a PostgreSQL setting name");
        assertRefused("=8GB", "is not a PostgreSQL setting name");
    }

    @Test
    void parse_withAValueThatCouldInjectAnotherOption_fails() {
        assertRefused("work_mem=4MB -c fsync=off", "must be 1 to 64 letters");
        assertRefused("work_mem='4MB'", "must be 1 to 64 letters");
        assertRefused("work_mem=", "must be 1 to 64 letters");
    }

    @Test
    void parse_ofADurabilitySetting_fails() {
        for (String fixed : List.of("fsync=off", "synchronous_commit=off", "full_page_writes=off", "port=5433",
                "data_directory=x", "max_connections=10")) {
            assertRefused(fixed, "is fixed by the service");
        }
    }

    @Test
    void parse_ofASettingGivenTwice_fails() {
        assertRefused("work_mem=4MB,work_mem=8MB", "is given twice");
    }

    private static void assertRefused(String text, String expected) {
        ConfigurationException e = assertThrows(ConfigurationException.class, () -> EmbeddedServerSettings.parse(text));
        assertTrue(e.getMessage().contains(expected), e.getMessage());
        assertTrue(e.getMessage().contains("escrow.db.embedded-settings: "), e.getMessage());
    }
}
