package io.escrow.config;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.escrow.hsm.PinSource;
import io.escrow.hsm.TokenConfig;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.OptionalLong;
import org.junit.jupiter.api.Test;

class TokenSessionsTest {
    private static TokenConfig token(String id) {
        return new TokenConfig(id, Path.of("/usr/lib/softhsm/libsofthsm2.so"), id, PinSource.withheld());
    }

    private static TokenSessions load(Map<String, String> config, Map<String, OptionalLong> reported) {
        return TokenSessions.load(List.of(token("c1"), token("c2"), token("c3")), k -> Optional.ofNullable(config.get(k)),
                t -> reported.getOrDefault(t.custodianId(), OptionalLong.empty()));
    }

    @Test
    void load_unset_takesWhatTheTokenReportsLessOne_capped() {
        TokenSessions s = load(Map.of(), Map.of("c1", OptionalLong.of(4), "c2", OptionalLong.of(1000), "c3", OptionalLong.of(1)));
        assertEquals(3, s.of("c1"));
        assertEquals(TokenSessions.DEFAULT_CAP, s.of("c2"));
        assertEquals(1, s.of("c3"), "a token with one session keeps it");
        assertEquals(TokenSessions.DEFAULT_CAP, s.max());
    }

    @Test
    void load_unsetAndNoReportedLimit_takesTheCap() {
        assertEquals(TokenSessions.DEFAULT_CAP, load(Map.of(), Map.of()).of("c1"));
    }

    @Test
    void load_configured_overridesTheToken() {
        TokenSessions s = load(Map.of("escrow.hsm.token.c1.sessions", "32", "escrow.hsm.token.c2.sessions", " 1 "),
                Map.of("c1", OptionalLong.of(4)));
        assertEquals(32, s.of("c1"));
        assertEquals(1, s.of("c2"));
        assertEquals(32, s.max());
        assertEquals(1, s.of("not-a-custodian"));
    }

    @Test
    void load_withAnInvalidCount_isRefusedNamingTheKey() {
        for (String bad : List.of("0", "257", "-1", "eight", "1.5", "")) {
            ConfigurationException e = assertThrows(ConfigurationException.class,
                    () -> load(Map.of("escrow.hsm.token.c2.sessions", bad), Map.of()), bad);
            assertTrue(e.getMessage().contains("escrow.hsm.token.c2.sessions"), e.getMessage());
        }
    }
}
