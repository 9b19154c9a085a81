package io.escrow.agent;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.escrow.ceremony.CeremonyShares;
import io.escrow.ceremony.CeremonyStatement;
import io.escrow.ceremony.CeremonyStatus;
import io.escrow.ceremony.TransportKeyStatement;
import io.escrow.cms.CmsSignatureVerifier;
import io.escrow.cms.TrustAnchors;
import io.escrow.consent.KeyAttestations;
import io.escrow.error.InvalidArgumentException;
import io.escrow.hpke.Hpke;
import io.escrow.hsm.PinSource;
import io.escrow.hsm.Pkcs11ShareToken;
import io.escrow.hsm.TokenConfig;
import io.escrow.keys.KeyRecordJson;
import io.escrow.testing.TestAuthorities;
import io.escrow.testing.TestTokens;
import io.escrow.testing.Warrants;
import io.escrow.threshold.KeyCeremony;
import io.escrow.threshold.P256;
import io.escrow.threshold.ThresholdParameters;
import io.escrow.warrant.WarrantPolicy;
import java.nio.file.Path;
import java.security.SecureRandom;
import java.time.Clock;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A custodian agent's part in a new key's ceremony, on real SoftHSM tokens: a share is taken only
 * on its own custodian's consent, only for a key record with the consented terms, only sealed to
 * the agent's own transport key, and only when it is the record's Feldman-committed share; the
 * agent then attests it, and a restart keeps what it took.
 */
class ShareCeremonyTest {
    private static final SecureRandom RNG = new SecureRandom();
    private static final List<String> CUSTODIANS = List.of("custodian-1", "custodian-2", "custodian-3");
    private static List<Pkcs11ShareToken> tokens;

    @TempDir
    Path state;

    private final String keyId = "kcer-" + Long.toHexString(RNG.nextLong() >>> 1);
    private final List<CustodianAgentCore> agents = new ArrayList<>();
    private final TestLog log = new TestLog();

    @BeforeAll
    static void tokens() {
        new TestAuthorities().start();
        tokens = new ArrayList<>();
        for (int i = 1; i <= 3; i++) {
            tokens.add(Pkcs11ShareToken.open(new TokenConfig("custodian-" + i, TestTokens.LIBRARY, "agent-" + i,
                    PinSource.file(TestTokens.pinFile("agent-" + i)))));
        }
    }

    @AfterEach
    void closeAgents() {
        agents.forEach(CustodianAgentCore::close);
    }

    private CustodianAgentCore agent(int i, boolean withAttestationKey) {
        String id = "custodian-" + i;
        TrustAnchors authorities = new TrustAnchors(Map.of("court", List.of(TestAuthorities.ca("court").certificate())));
        CustodianAgentCore a = new CustodianAgentCore(id, tokens.get(i - 1), authorities, WarrantPolicy.of(null, authorities.names()),
                anchor(id), log.pinned(),
                withAttestationKey ? Optional.of(new KeyAttestor.Signer(TestAuthorities.signer(id).privateKey(),
                        List.of(TestAuthorities.signer(id).certificate()))) : Optional.empty(),
                state.resolve(id + ".journal"), Clock.systemUTC());
        agents.add(a);
        return a;
    }

    private static TrustAnchors anchor(String id) {
        return new TrustAnchors(Map.of(id, List.of(TestAuthorities.ca(id).certificate())));
    }

    private CeremonyStatus consent(CustodianAgentCore agent, CeremonyStatement s, String signer) {
        byte[] statement = s.encode();
        return agent.consentCeremony(statement, Warrants.sign(statement, TestAuthorities.signer(signer)).toByteArray());
    }

    private CeremonyStatement terms(String custodianId, int t) {
        return new CeremonyStatement(custodianId, keyId, t, CUSTODIANS);
    }

    private KeyCeremony.Dealing deal(int t) {
        return new KeyCeremony(RNG, Clock.systemUTC(), m -> {}).deal(keyId, new ThresholdParameters(t, 3), CUSTODIANS);
    }

    /** The share of custodian {@code shareOf} (1-based) in {@code d}, sealed to the transport key in {@code to}. */
    private static Hpke.Sealed seal(CeremonyStatus to, KeyCeremony.Dealing d, int shareOf) {
        return CeremonyShares.seal(TransportKeyStatement.decode(to.transportKey().orElseThrow().statement()),
                KeyRecordJson.write(d.record()), d.shares().get(shareOf - 1).value(), RNG);
    }

    @Test
    void receive_afterConsent_importsTheShare_attestsIt_andSurvivesARestart() {
        CustodianAgentCore agent = agent(1, true);
        assertTrue(consent(agent, terms("custodian-1", 2), "custodian-1").consent().isPresent());
        CeremonyStatus withKey = agent.ceremonyTransportKey(keyId);
        CeremonyStatus.SignedStatement transport = withKey.transportKey().orElseThrow();
        assertTrue(TransportKeyStatement.decode(transport.statement()).isUnder(terms("custodian-1", 2)));
        CmsSignatureVerifier.verify(transport.cms(), transport.statement(), anchor("custodian-1"), Instant.EPOCH, Instant.now());
        assertFalse(tokens.get(0).hasShare(keyId), "a consent alone imports nothing");

        try (KeyCeremony.Dealing d = deal(2)) {
            byte[] json = KeyRecordJson.write(d.record());
            Hpke.Sealed sealed = seal(withKey, d, 1);
            KeyAttestor.Attestation a = agent.receiveShare(json, sealed.enc(), sealed.ciphertext());
            assertTrue(agent.ceremonyTransportKey(keyId).transportKey().isEmpty(), "the transport key is gone once used");
            assertNull(KeyAttestations.problem(d.record(), json, a, anchor("custodian-1"), Instant.now()));
            assertArrayEquals(P256.xBytes(d.record().shareOf("custodian-1").orElseThrow().publicShare()),
                    tokens.get(0).deriveX(keyId, P256.G), "the token computes with the share");

            agent.close();
            agents.clear();
            CustodianAgentCore restarted = agent(1, true);
            assertTrue(restarted.ceremonyTransportKey(keyId).shareReceived());
            KeyAttestor.Attestation again = restarted.receiveShare(json, sealed.enc(), sealed.ciphertext());
            assertArrayEquals(a.statement(), again.statement(), "asked again for the same record, it attests again");
            try (KeyCeremony.Dealing other = deal(2)) {
                AgentRefusedException e = assertThrows(AgentRefusedException.class, () -> restarted.receiveShare(
                        KeyRecordJson.write(other.record()), sealed.enc(), sealed.ciphertext()));
                assertTrue(e.getMessage().contains("for another key record"), e.getMessage());
            }
        }
    }

    @Test
    void receive_withoutConsent_isRefused_andImportsNothing() {
        CustodianAgentCore agent = agent(2, true);
        try (KeyCeremony.Dealing d = deal(2)) {
            AgentRefusedException e = assertThrows(AgentRefusedException.class,
                    () -> agent.receiveShare(KeyRecordJson.write(d.record()), new byte[65], new byte[48]));
            assertTrue(e.getMessage().contains("has not consented"), e.getMessage());
        }
        AgentRefusedException e = assertThrows(AgentRefusedException.class, () -> agent.ceremonyTransportKey(keyId));
        assertTrue(e.getMessage().contains("has not consented"), e.getMessage());
        assertFalse(tokens.get(1).hasShare(keyId));
    }

    @Test
    void receive_ofAKeyWithOtherTermsThanConsented_isRefused() {
        CustodianAgentCore agent = agent(2, true);
        CeremonyStatus to = consent(agent, terms("custodian-2", 2), "custodian-2");
        to = agent.ceremonyTransportKey(keyId);
        try (KeyCeremony.Dealing d = deal(3)) {
            Hpke.Sealed sealed = seal(to, d, 2);
            InvalidArgumentException e = assertThrows(InvalidArgumentException.class,
                    () -> agent.receiveShare(KeyRecordJson.write(d.record()), sealed.enc(), sealed.ciphertext()));
            assertEquals("key_record", e.field());
            assertTrue(e.getMessage().contains("3 of 3, the consent 2 of 3"), e.getMessage());
        }
        assertFalse(tokens.get(1).hasShare(keyId));
    }

    @Test
    void receive_ofATamperedShare_isRefused_andImportsNothing() {
        CustodianAgentCore agent = agent(3, true);
        consent(agent, terms("custodian-3", 2), "custodian-3");
        CeremonyStatus to = agent.ceremonyTransportKey(keyId);
        try (KeyCeremony.Dealing d = deal(2)) {
            Hpke.Sealed sealed = seal(to, d, 3);
            byte[] ct = sealed.ciphertext();
            ct[3] ^= 1;
            InvalidArgumentException e = assertThrows(InvalidArgumentException.class,
                    () -> agent.receiveShare(KeyRecordJson.write(d.record()), sealed.enc(), ct));
            assertEquals("sealed_share", e.field());
        }
        assertFalse(tokens.get(2).hasShare(keyId));
    }

    @Test
    void receive_ofAnotherCustodiansShare_isRefused_byTheFeldmanCommittedPublicShare() {
        CustodianAgentCore agent = agent(3, true);
        consent(agent, terms("custodian-3", 2), "custodian-3");
        CeremonyStatus to = agent.ceremonyTransportKey(keyId);
        try (KeyCeremony.Dealing d = deal(2)) {
            Hpke.Sealed sealed = seal(to, d, 1);
            InvalidArgumentException e = assertThrows(InvalidArgumentException.class,
                    () -> agent.receiveShare(KeyRecordJson.write(d.record()), sealed.enc(), sealed.ciphertext()));
            assertTrue(e.getMessage().contains("another share than the key record's public share"), e.getMessage());
        }
        assertFalse(tokens.get(2).hasShare(keyId));
    }

    @Test
    void receive_afterARestartLostTheTransportKey_isRefused_untilANewOneIsMade() {
        CustodianAgentCore agent = agent(1, true);
        consent(agent, terms("custodian-1", 2), "custodian-1");
        CeremonyStatus old = agent.ceremonyTransportKey(keyId);
        agent.close();
        agents.clear();
        CustodianAgentCore restarted = agent(1, true);
        try (KeyCeremony.Dealing d = deal(2)) {
            byte[] json = KeyRecordJson.write(d.record());
            Hpke.Sealed stale = seal(old, d, 1);
            AgentRefusedException e = assertThrows(AgentRefusedException.class,
                    () -> restarted.receiveShare(json, stale.enc(), stale.ciphertext()));
            assertTrue(e.getMessage().contains("restarted"), e.getMessage());
            CeremonyStatus fresh = restarted.ceremonyTransportKey(keyId);
            assertFalse(java.util.Arrays.equals(old.transportKey().orElseThrow().statement(), fresh.transportKey().orElseThrow().statement()));
            Hpke.Sealed sealed = seal(fresh, d, 1);
            restarted.receiveShare(json, sealed.enc(), sealed.ciphertext());
            assertTrue(tokens.get(0).hasShare(keyId));
        }
    }

    @Test
    void transportKey_withoutAnAttestationKey_isRefused() {
        CustodianAgentCore agent = agent(2, false);
        consent(agent, terms("custodian-2", 2), "custodian-2");
        AgentRefusedException e = assertThrows(AgentRefusedException.class, () -> agent.ceremonyTransportKey(keyId));
        assertTrue(e.getMessage().contains("no attestation key"), e.getMessage());
    }

    @Test
    void consent_signedByAnotherCustodian_isRefused() {
        CustodianAgentCore agent = agent(1, true);
        InvalidArgumentException e = assertThrows(InvalidArgumentException.class,
                () -> consent(agent, terms("custodian-1", 2), "custodian-2"));
        assertEquals("signature", e.field());
        assertThrows(AgentRefusedException.class, () -> agent.ceremonyTransportKey(keyId));
    }

    @Test
    void consent_namingAnotherCustodian_isRefused() {
        CustodianAgentCore agent = agent(1, true);
        InvalidArgumentException e = assertThrows(InvalidArgumentException.class,
                () -> consent(agent, terms("custodian-2", 2), "custodian-1"));
        assertEquals("statement", e.field());
        assertTrue(e.getMessage().contains("names custodian custodian-2"), e.getMessage());
    }

    @Test
    void consent_onOtherTermsForTheSameKeyId_isRefused() {
        CustodianAgentCore agent = agent(1, true);
        consent(agent, terms("custodian-1", 2), "custodian-1");
        consent(agent, terms("custodian-1", 2), "custodian-1");
        AgentRefusedException e = assertThrows(AgentRefusedException.class,
                () -> consent(agent, terms("custodian-1", 3), "custodian-1"));
        assertTrue(e.getMessage().contains("on other terms"), e.getMessage());
    }
}
