package io.escrow.config;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.escrow.hsm.PinSource;
import java.nio.file.Path;
import java.util.Map;
import java.util.Optional;
import org.junit.jupiter.api.Test;

class EscrowSettingsTest {
    private static EscrowSettings load(Map<String, String> props) {
        return EscrowSettings.load(k -> Optional.ofNullable(props.get(k)));
    }

    @Test
    void load_withNothingSet_givesEmbeddedThreeCustodiansTwoOfThree() {
        EscrowSettings s = load(Map.of("escrow.data-dir", "/tmp/escrow-x"));
        assertEquals(EscrowSettings.HsmMode.EMBEDDED, s.hsmMode());
        assertEquals(3, s.custodians().size());
        assertEquals("custodian-2", s.custodians().get(1).label());
        assertEquals(PinSource.file(Path.of("/tmp/escrow-x/hsm/pins/custodian-2.pin")), s.custodians().get(1).pin());
        assertEquals(2, s.thresholdParameters().threshold());
        assertEquals("audit", s.auditToken().label());
        assertTrue(s.initialKeyId().matches("ek-\\d{4}-01"));
    }

    @Test
    void load_inPkcs11Mode_resolvesLabelsLibrariesAndPinSources() {
        EscrowSettings s = load(Map.of(
                "escrow.hsm.mode", "pkcs11",
                "escrow.hsm.library", "/opt/hsm/lib.so",
                "escrow.hsm.custodians", "court-hsm, ministry-hsm ,ops-hsm",
                "escrow.hsm.token.court-hsm.label", "CUST-A",
                "escrow.hsm.token.court-hsm.pin-env", "COURT_PIN",
                "escrow.hsm.token.ministry-hsm.pin-file", "/run/secrets/ministry",
                "escrow.hsm.token.ministry-hsm.library", "/opt/other/lib.so",
                "escrow.hsm.token.ops-hsm.pin-file", "/run/secrets/ops",
                "escrow.hsm.token.audit.pin-file", "/run/secrets/audit",
                "escrow.custodian.consent", "standing-pins"));
        assertEquals("CUST-A", s.custodians().get(0).label());
        assertTrue(s.custodians().get(0).pin() instanceof PinSource.EnvPin);
        assertEquals(Path.of("/opt/hsm/lib.so"), s.custodians().get(0).library());
        assertEquals(Path.of("/opt/other/lib.so"), s.custodians().get(1).library());
        assertEquals("ministry-hsm", s.custodians().get(1).label());
    }

    @Test
    void load_inPkcs11ModeWithoutCustodiansOrPins_failsNamingTheKey() {
        var e = assertThrows(ConfigurationException.class, () -> load(Map.of("escrow.hsm.mode", "pkcs11")));
        assertTrue(e.getMessage().contains("escrow.hsm.custodians"), e.getMessage());
        var pin = assertThrows(ConfigurationException.class, () -> load(Map.of("escrow.hsm.mode", "pkcs11", "escrow.hsm.custodians", "a,b",
                "escrow.custodian.consent", "standing-pins")));
        assertTrue(pin.getMessage().contains("escrow.hsm.token.a.pin-file"), pin.getMessage());
    }

    @Test
    void load_inPkcs11Mode_requiresConsent_andRefusesCustodianPins() {
        EscrowSettings s = load(Map.of("escrow.hsm.mode", "pkcs11", "escrow.hsm.custodians", "a,b",
                "escrow.hsm.token.audit.pin-file", "/run/secrets/audit"));
        assertEquals(EscrowSettings.Consent.REQUIRED, s.consent());
        assertTrue(s.custodians().get(0).pin() instanceof PinSource.Withheld);
        var held = assertThrows(ConfigurationException.class, () -> load(Map.of("escrow.hsm.mode", "pkcs11",
                "escrow.hsm.custodians", "a,b", "escrow.hsm.token.a.pin-file", "/run/secrets/a",
                "escrow.hsm.token.audit.pin-file", "/run/secrets/audit")));
        assertTrue(held.getMessage().contains("holds no custodian PIN"), held.getMessage());
        assertEquals(EscrowSettings.Consent.REQUIRED, load(Map.of()).consent(), "the embedded default requires consent too");
        assertTrue(load(Map.of()).custodians().get(0).pin() instanceof PinSource.FilePin, "embedded: PIN files for the ceremony and demo");
        assertThrows(ConfigurationException.class, () -> load(Map.of("escrow.custodian.consent", "maybe")));
    }

    @Test
    void load_withBadValues_failsNamingTheKey() {
        assertTrue(assertThrows(ConfigurationException.class, () -> load(Map.of("escrow.hsm.mode", "cloud")))
                .getMessage().contains("escrow.hsm.mode"));
        assertTrue(assertThrows(ConfigurationException.class, () -> load(Map.of("escrow.key.threshold", "two")))
                .getMessage().contains("escrow.key.threshold"));
        assertTrue(assertThrows(ConfigurationException.class, () -> load(Map.of("escrow.key.threshold", "4")).thresholdParameters())
                .getMessage().contains("t=4 is greater than the custodian count n=3"));
        assertTrue(assertThrows(ConfigurationException.class, () -> load(Map.of("escrow.key.threshold", "1")).thresholdParameters())
                .getMessage().contains("below 2"));
        assertTrue(assertThrows(ConfigurationException.class, () -> load(Map.of("escrow.key.initial-id", "bad id")))
                .getMessage().contains("escrow.key.initial-id"));
        assertTrue(assertThrows(ConfigurationException.class, () -> load(Map.of("escrow.hsm.mode", "pkcs11",
                "escrow.hsm.custodians", "a,a"))).getMessage().contains("twice"));
        assertTrue(assertThrows(ConfigurationException.class, () -> load(Map.of("escrow.hsm.mode", "pkcs11",
                "escrow.hsm.custodians", "a,b", "escrow.hsm.token.a.pin-file", "/x", "escrow.hsm.token.a.pin-env", "Y",
                "escrow.custodian.consent", "standing-pins"))).getMessage().contains("only one of"));
    }
}
