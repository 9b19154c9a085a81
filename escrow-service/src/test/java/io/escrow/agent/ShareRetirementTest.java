package io.escrow.agent;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.escrow.cms.CmsSignatureVerifier;
import io.escrow.cms.TrustAnchors;
import io.escrow.consent.ConsentStatement;
import io.escrow.error.InvalidArgumentException;
import io.escrow.hsm.PinSource;
import io.escrow.hsm.Pkcs11ShareToken;
import io.escrow.hsm.TokenConfig;
import io.escrow.keys.KeyRecordJson;
import io.escrow.retirement.RetirementStatement;
import io.escrow.retirement.ShareDestroyedStatement;
import io.escrow.retirement.ShareStatus;
import io.escrow.testing.TestAuthorities;
import io.escrow.testing.TestTokens;
import io.escrow.testing.Warrants;
import io.escrow.threshold.KeyCeremony;
import io.escrow.threshold.KeyRecord;
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
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A custodian agent's part in retiring a key, on real SoftHSM tokens: a share is destroyed only on
 * its own custodian's signed consent, the token then no longer holds it, the agent signs that it
 * is gone, and both facts survive a restart.
 */
class ShareRetirementTest {
    private static final SecureRandom RNG = new SecureRandom();
    private static List<Pkcs11ShareToken> tokens;

    @TempDir
    Path state;

    private KeyRecord key;
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

    @BeforeEach
    void ceremony() {
        key = new KeyCeremony(RNG, Clock.systemUTC(), m -> {}).run("kretire-" + Long.toHexString(RNG.nextLong() >>> 1),
                new ThresholdParameters(2, 3), tokens);
    }

    @AfterEach
    void closeAgents() {
        agents.forEach(CustodianAgentCore::close);
    }

    private CustodianAgentCore agent(int i, boolean withAttestationKey) {
        String id = "custodian-" + i;
        TrustAnchors authorities = new TrustAnchors(Map.of("court", List.of(TestAuthorities.ca("court").certificate())));
        CustodianAgentCore a = new CustodianAgentCore(id, tokens.get(i - 1), authorities, WarrantPolicy.of(null, authorities.names()),
                new TrustAnchors(Map.of(id, List.of(TestAuthorities.ca(id).certificate()))), log.pinned(),
                withAttestationKey ? Optional.of(new KeyAttestor.Signer(TestAuthorities.signer(id).privateKey(),
                        List.of(TestAuthorities.signer(id).certificate()))) : Optional.empty(),
                state.resolve(id + ".journal"), Clock.systemUTC());
        agents.add(a);
        return a;
    }

    private ShareStatus consent(CustodianAgentCore agent, String named, String signer) {
        byte[] statement = RetirementStatement.of(named, key).encode();
        return agent.consentRetirement(KeyRecordJson.write(key), statement,
                Warrants.sign(statement, TestAuthorities.signer(signer)).toByteArray());
    }

    @Test
    void destroyShare_withoutItsCustodiansConsent_isRefused_andTheShareStays() {
        CustodianAgentCore agent = agent(1, true);
        AgentRefusedException e = assertThrows(AgentRefusedException.class, () -> agent.destroyShare(key.keyId()));
        assertTrue(e.getMessage().contains("has not consented"), e.getMessage());
        assertTrue(tokens.get(0).hasShare(key.keyId()));
    }

    @Test
    void destroyShare_afterConsent_removesItFromTheToken_signsThat_andSurvivesARestart() throws Exception {
        CustodianAgentCore agent = agent(2, true);
        ShareStatus consented = consent(agent, "custodian-2", "custodian-2");
        assertTrue(consented.consented());
        assertTrue(tokens.get(1).hasShare(key.keyId()), "a consent alone destroys nothing");

        ShareStatus destroyed = agent.destroyShare(key.keyId());
        assertFalse(tokens.get(1).hasShare(key.keyId()));
        ShareStatus.Destruction d = destroyed.destroyed().orElseThrow();
        ShareDestroyedStatement s = ShareDestroyedStatement.decode(d.statement());
        assertEquals("custodian-2", s.custodianId());
        assertArrayEquals(key.publicKeyBytes(), s.publicKey());
        assertArrayEquals(ConsentStatement.sha256(RetirementStatement.of("custodian-2", key).encode()), s.retirementSha256());
        CmsSignatureVerifier.verify(d.cms(), d.statement(), new TrustAnchors(Map.of("custodian-2",
                List.of(TestAuthorities.ca("custodian-2").certificate()))), Instant.EPOCH, Instant.now());

        agent.close();
        agents.clear();
        CustodianAgentCore restarted = agent(2, true);
        ShareStatus after = restarted.retirement(key.keyId());
        assertTrue(after.consented());
        assertArrayEquals(d.statement(), after.destroyed().orElseThrow().statement(), "the journal keeps the signed statement");
        assertArrayEquals(d.statement(), restarted.destroyShare(key.keyId()).destroyed().orElseThrow().statement(),
                "asked again, the agent answers what it did");
    }

    @Test
    void destroyShare_withoutAnAttestationKey_isRefused_beforeDestroyingAnything() {
        CustodianAgentCore agent = agent(3, false);
        consent(agent, "custodian-3", "custodian-3");
        AgentRefusedException e = assertThrows(AgentRefusedException.class, () -> agent.destroyShare(key.keyId()));
        assertTrue(e.getMessage().contains("no attestation key"), e.getMessage());
        assertTrue(tokens.get(2).hasShare(key.keyId()));
    }

    @Test
    void consent_signedByAnotherCustodian_isRefused() {
        CustodianAgentCore agent = agent(1, true);
        InvalidArgumentException e = assertThrows(InvalidArgumentException.class, () -> consent(agent, "custodian-1", "custodian-2"));
        assertEquals("signature", e.field());
        assertFalse(agent.retirement(key.keyId()).consented());
    }

    @Test
    void consent_namingAnotherCustodian_isRefused() {
        CustodianAgentCore agent = agent(1, true);
        InvalidArgumentException e = assertThrows(InvalidArgumentException.class, () -> consent(agent, "custodian-2", "custodian-1"));
        assertEquals("statement", e.field());
        assertTrue(e.getMessage().contains("names custodian custodian-2"), e.getMessage());
    }

    @Test
    void consent_withAMalformedKeyRecord_isRefused() {
        CustodianAgentCore agent = agent(1, true);
        byte[] statement = RetirementStatement.of("custodian-1", key).encode();
        InvalidArgumentException e = assertThrows(InvalidArgumentException.class, () -> agent.consentRetirement("{}".getBytes(),
                statement, Warrants.sign(statement, TestAuthorities.signer("custodian-1")).toByteArray()));
        assertEquals("key_record", e.field());
    }
}
