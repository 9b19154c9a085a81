package io.escrow.agent;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.escrow.cms.TrustAnchors;
import io.escrow.consent.ConsentStatement;
import io.escrow.error.EscrowException;
import io.escrow.hpke.ContractLabels;
import io.escrow.hpke.Hpke;
import io.escrow.hpke.HpkeSuite;
import io.escrow.hsm.PinSource;
import io.escrow.hsm.Pkcs11ShareToken;
import io.escrow.hsm.TokenConfig;
import io.escrow.testing.TestAuthorities;
import io.escrow.testing.TestTokens;
import io.escrow.testing.Warrants;
import io.escrow.threshold.KeyCeremony;
import io.escrow.threshold.KeyRecord;
import io.escrow.threshold.ShareToken;
import io.escrow.threshold.ThresholdDecryptor;
import io.escrow.threshold.ThresholdParameters;
import io.escrow.warrant.SignedBytes;
import io.escrow.warrant.WarrantPolicy;
import io.escrow.warrant.WarrantSpec;
import java.nio.file.Files;
import java.security.KeyPairGenerator;
import java.nio.file.Path;
import java.security.SecureRandom;
import java.time.Clock;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.SortedMap;
import java.util.TreeMap;
import java.util.UUID;
import org.bouncycastle.math.ec.ECPoint;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Custodian agents on real SoftHSM tokens, against a throwaway PKI: partials only on evidence the
 * agent checks itself, and counts that survive a restart.
 */
class CustodianAgentCoreTest {
    private static final SecureRandom RNG = new SecureRandom();
    private static final Hpke HPKE = new Hpke(HpkeSuite.P256_SHA256_AES256GCM);
    private static List<Pkcs11ShareToken> tokens;
    private static KeyRecord key;

    @TempDir
    Path state;

    private final List<CustodianAgentCore> agents = new ArrayList<>();
    private final TestLog log = new TestLog();
    private final Map<String, Long> depositIndexes = new java.util.HashMap<>();

    @BeforeAll
    static void ceremony() {
        new TestAuthorities().start();
        tokens = new ArrayList<>();
        for (int i = 1; i <= 3; i++) {
            tokens.add(Pkcs11ShareToken.open(new TokenConfig("custodian-" + i, TestTokens.LIBRARY, "agent-" + i,
                    PinSource.file(TestTokens.pinFile("agent-" + i)))));
        }
        key = new KeyCeremony(RNG, Clock.systemUTC(), m -> {}).run("kagent", new ThresholdParameters(2, 3), tokens);
    }

    private static TrustAnchors anchors(Map<String, String> nameToCa) {
        Map<String, List<java.security.cert.X509Certificate>> m = new TreeMap<>();
        nameToCa.forEach((name, ca) -> m.put(name, List.of(TestAuthorities.ca(ca).certificate())));
        return new TrustAnchors(m);
    }

    private static final TrustAnchors AUTHORITIES = anchors(Map.of("court", "court", "ministry", "ministry"));

    private CustodianAgentCore agent(int i, TrustAnchors authorities) {
        CustodianAgentCore a = new CustodianAgentCore("custodian-" + i, tokens.get(i - 1), authorities,
                WarrantPolicy.of(null, authorities.names()), anchors(Map.of("custodian-" + i, "custodian-" + i)), log.pinned(),
                java.util.Optional.of(new KeyAttestor.Signer(TestAuthorities.signer("custodian-" + i).privateKey(),
                        List.of(TestAuthorities.signer("custodian-" + i).certificate()))),
                state.resolve("custodian-" + i + ".journal"), Clock.systemUTC());
        agents.add(a);
        return a;
    }

    @AfterEach
    void closeAgents() {
        agents.forEach(CustodianAgentCore::close);
    }

    /** A filed warrant as the authorities signed it. */
    private record Signed(String id, WarrantSpec spec, byte[] bytes, SortedMap<String, byte[]> approvals) {}

    private static Signed warrant(String subject, int maxRecords, long notBefore, String... approvers) {
        long now = Instant.now().getEpochSecond();
        WarrantSpec spec = new WarrantSpec("CASE-" + subject, "Agency", List.of(subject), 0, 1000, notBefore, now + 3600,
                maxRecords, Warrants.recipient().publicKeyBytes(), UUID.randomUUID().toString().getBytes());
        String id = "w-" + UUID.randomUUID();
        byte[] bytes = SignedBytes.encode(id, spec);
        SortedMap<String, byte[]> approvals = new TreeMap<>();
        for (String a : approvers) {
            approvals.put(a.equals("rogue-as-ministry") ? "ministry" : a, Warrants.sign(bytes,
                    TestAuthorities.signer(a.equals("rogue-as-ministry") ? "rogue" : a)).toByteArray());
        }
        return new Signed(id, spec, bytes, approvals);
    }

    private static Signed warrant(String subject, int maxRecords) {
        return warrant(subject, maxRecords, Instant.now().getEpochSecond() - 60, "court", "ministry");
    }

    private static ConsentStatement consent(int custodian, Signed w, int uses) {
        byte[] nonce = new byte[16];
        RNG.nextBytes(nonce);
        return new ConsentStatement("custodian-" + custodian, w.id(), ConsentStatement.sha256(w.bytes()),
                ConsentStatement.approvalsDigest(w.approvals()), uses, Instant.now().getEpochSecond() + 600, nonce);
    }

    private static AgentConsent activate(CustodianAgentCore agent, int custodian, Signed w, ConsentStatement c) {
        byte[] statement = c.encode();
        return agent.activate(w.id(), w.bytes(), w.approvals(), statement,
                Warrants.sign(statement, TestAuthorities.signer("custodian-" + custodian)).toByteArray());
    }

    /** A deposit sealed to the agents' key, as a provider would make it. */
    private record Deposit(PartialRequest request, byte[] ciphertext, byte[] sessionKey) {}

    private static Deposit deposit(String subject, long from, long until) {
        byte[] sessionKey = new byte[32];
        RNG.nextBytes(sessionKey);
        Hpke.Sealed s = HPKE.seal(new Hpke.Recipient(key.publicKeyBytes()), ContractLabels.depositInfo(key.keyId()),
                ContractLabels.depositAad(subject, from, until), sessionKey, RNG);
        return new Deposit(new PartialRequest(UUID.randomUUID().toString(), subject, key.keyId(), from, until, s.enc(), null),
                s.ciphertext(), sessionKey);
    }

    /** A page as the service would send it: each deposit logged once, a release leaf per record, then one signed checkpoint. */
    private record Page(List<PartialRequest> records, PageEvidence evidence) {}

    private Page page(Signed w, String custodians, Deposit... deposits) {
        List<Long> releaseIndexes = new ArrayList<>();
        List<byte[]> releaseLeaves = new ArrayList<>();
        for (Deposit d : deposits) {
            depositIndexes.computeIfAbsent(d.request().recordId(), id -> log.deposit(d.request(), d.ciphertext(), d.request().subjectId()));
        }
        for (Deposit d : deposits) {
            byte[] leaf = log.release(w.id(), d.request().recordId(), d.request().subjectId(), w.spec().recipientPublicKey(), custodians)
                    .encode();
            releaseIndexes.add(log.append(leaf));
            releaseLeaves.add(leaf);
        }
        List<PartialRequest> out = new ArrayList<>();
        for (int i = 0; i < deposits.length; i++) {
            PartialRequest r = deposits[i].request();
            out.add(new PartialRequest(r.recordId(), r.subjectId(), r.keyId(), r.coversFrom(), r.coversUntil(), r.enc(),
                    log.evidence(deposits[i].ciphertext(), depositIndexes.get(r.recordId()), releaseIndexes.get(i),
                            releaseLeaves.get(i))));
        }
        return new Page(out, log.page());
    }

    private List<byte[]> partials(CustodianAgentCore agent, Signed w, Deposit... deposits) {
        Page p = page(w, "custodian-1,custodian-2,custodian-3", deposits);
        return agent.computePartials(w.id(), p.records(), p.evidence());
    }

    /** A share token whose every ECDH is one ComputePartials call to an agent. */
    private ShareToken remote(CustodianAgentCore agent, Signed w, Deposit d) {
        return new ShareToken() {
            public String custodianId() { return agent.custodianId(); }
            public boolean hasShare(String keyId) { return true; }
            public void importShare(String keyId, io.escrow.threshold.SecretScalar s, ECPoint p) { throw new UnsupportedOperationException(); }
            public void deleteShare(String keyId) { throw new UnsupportedOperationException(); }
            public byte[] deriveX(String keyId, ECPoint point) { return partials(agent, w, d).get(0); }
        };
    }

    private EscrowException refused(Class<? extends EscrowException> type, String text, Runnable r) {
        EscrowException e = assertThrows(type, r::run);
        assertTrue(e.getMessage().contains(text), e.getMessage());
        return e;
    }

    @Test
    void computePartials_ofTwoConsentingAgents_openTheDeposit() {
        Signed w = warrant("alice-" + UUID.randomUUID(), 5);
        CustodianAgentCore a1 = agent(1, AUTHORITIES);
        CustodianAgentCore a3 = agent(3, AUTHORITIES);
        activate(a1, 1, w, consent(1, w, 10));
        activate(a3, 3, w, consent(3, w, 10));
        Deposit d = deposit(w.spec().subjectIds().get(0), 10, 20);
        var opening = new ThresholdDecryptor(HpkeSuite.P256_SHA256_AES256GCM).open(key,
                List.of(remote(a1, w, d), remote(a3, w, d)), d.request().enc(),
                ContractLabels.depositInfo(key.keyId()), ContractLabels.depositAad(d.request().subjectId(), 10, 20), d.ciphertext());
        assertArrayEquals(d.sessionKey(), opening.plaintext());
        AgentConsent after = a1.list(w.id()).get(0);
        assertEquals(AgentConsent.State.ACTIVE, after.state());
        assertEquals(9, after.usesLeft());
        assertEquals(1, after.recordsOpened());
    }

    @Test
    void computePartials_forRecordsOutsideTheSignedScope_isRefused() {
        Signed w = warrant("bob-" + UUID.randomUUID(), 5);
        CustodianAgentCore a = agent(1, AUTHORITIES);
        activate(a, 1, w, consent(1, w, 10));
        Deposit otherSubject = deposit("someone-else", 10, 20);
        refused(AgentRefusedException.class, "outside warrant", () -> partials(a, w, otherSubject));
        Deposit otherWindow = deposit(w.spec().subjectIds().get(0), 5000, 6000);
        refused(AgentRefusedException.class, "outside warrant", () -> partials(a, w, otherWindow));
        assertEquals(10, a.list(w.id()).get(0).usesLeft(), "a refused page costs nothing");
    }

    @Test
    void computePartials_pastMaxRecordsOrUses_isRefused_butRepeatsCountOnlyAsUses() {
        String subject = "carol-" + UUID.randomUUID();
        Signed w = warrant(subject, 3);
        CustodianAgentCore a = agent(1, AUTHORITIES);
        activate(a, 1, w, consent(1, w, 4));
        Deposit r1 = deposit(subject, 1, 2);
        Deposit r2 = deposit(subject, 1, 2);
        Deposit r3 = deposit(subject, 1, 2);
        Deposit r4 = deposit(subject, 1, 2);
        partials(a, w, r1, r2);
        refused(AgentRefusedException.class, "to 4 records; it allows 3", () -> partials(a, w, r3, r4));
        partials(a, w, r1);
        refused(AgentRefusedException.class, "has 1 uses left", () -> partials(a, w, r2, r3));
        partials(a, w, r2);
        AgentConsent spent = a.list(w.id()).get(0);
        assertEquals(AgentConsent.State.EXHAUSTED, spent.state());
        assertEquals(2, spent.recordsOpened(), "a repeat is a use, not another record");
        refused(AgentRefusedException.class, "is EXHAUSTED", () -> partials(a, w, r3));
    }

    /** What the agent refuses however the service dresses it up: every record must be a logged deposit with a logged release. */
    @Test
    void computePartials_withoutTrueLogEvidence_isRefused() throws Exception {
        String subject = "ivy-" + UUID.randomUUID();
        Signed w = warrant(subject, 10);
        CustodianAgentCore a = agent(1, AUTHORITIES);
        activate(a, 1, w, consent(1, w, 10));

        // A checkpoint signed by another key than the one the agent pins.
        Page good = page(w, "custodian-1,custodian-3", deposit(subject, 1, 2));
        KeyPairGenerator g = KeyPairGenerator.getInstance("EC");
        g.initialize(new java.security.spec.ECGenParameterSpec("secp256r1"));
        PageEvidence forged = log.page(g.generateKeyPair());
        refused(AgentRefusedException.class, "not signed by the audit log key", () -> a.computePartials(w.id(), good.records(), forged));

        // Another record's enc under this record's leaves: the leaf commits to other bytes.
        Deposit victim = deposit(subject, 1, 2);
        Page p = page(w, "custodian-1", deposit(subject, 1, 2));
        PartialRequest r = p.records().get(0);
        PartialRequest swapped = new PartialRequest(r.recordId(), r.subjectId(), r.keyId(), r.coversFrom(), r.coversUntil(),
                victim.request().enc(), r.evidence());
        refused(AgentRefusedException.class, "are not the bytes its deposit leaf commits to",
                () -> a.computePartials(w.id(), List.of(swapped), p.evidence()));

        // A deposit of another subject, claimed to be of the named one.
        Deposit outsider = deposit("outsider-" + UUID.randomUUID(), 1, 2);
        long idx = log.deposit(outsider.request(), outsider.ciphertext(), outsider.request().subjectId());
        byte[] rel = log.release(w.id(), outsider.request().recordId(), subject, w.spec().recipientPublicKey(), "custodian-1").encode();
        long relIdx = log.append(rel);
        PartialRequest claimed = new PartialRequest(outsider.request().recordId(), subject, key.keyId(), 1, 2,
                outsider.request().enc(), log.evidence(outsider.ciphertext(), idx, relIdx, rel));
        refused(AgentRefusedException.class, "deposit leaf is of another subject",
                () -> a.computePartials(w.id(), List.of(claimed), log.page()));

        // A deposit that is not in the log: a leaf made up, with the proof of another leaf.
        Deposit madeUp = deposit(subject, 1, 2);
        Page real = page(w, "custodian-1", deposit(subject, 1, 2));
        PartialRequest template = real.records().get(0);
        java.util.Map<String, Object> f = new java.util.LinkedHashMap<>();
        f.put("record_id", madeUp.request().recordId());
        f.put("provider", "acme");
        f.put("subject_hash", io.escrow.audit.SubjectHasher.of(log.salt()).hash(subject));
        f.put("key_id", key.keyId());
        f.put("covers_from", 1L);
        f.put("covers_until", 2L);
        f.put("payload_sha256", io.escrow.audit.AuditLeaves.payloadSha256(madeUp.request().enc(), madeUp.ciphertext()));
        byte[] fakeLeaf = io.escrow.audit.AuditEntry.of("deposit", Instant.now(), "acme", f).encode();
        RecordEvidence e = template.evidence();
        PartialRequest notLogged = new PartialRequest(madeUp.request().recordId(), subject, key.keyId(), 1, 2, madeUp.request().enc(),
                new RecordEvidence(madeUp.ciphertext(), e.depositIndex(), fakeLeaf, e.depositProof(), e.releaseIndex(),
                        log.release(w.id(), madeUp.request().recordId(), subject, w.spec().recipientPublicKey(), "custodian-1").encode(),
                        e.releaseProof()));
        refused(AgentRefusedException.class, "deposit leaf is not in the log",
                () -> a.computePartials(w.id(), List.of(notLogged), real.evidence()));

        // A release that is not logged, or names neither this warrant nor this custodian.
        Page otherWarrant = page(warrant(subject, 10), "custodian-1", deposit(subject, 1, 2));
        refused(AgentRefusedException.class, "release leaf is of another warrant or record",
                () -> a.computePartials(w.id(), otherWarrant.records(), otherWarrant.evidence()));
        Page otherCustodians = page(w, "custodian-2,custodian-3", deposit(subject, 1, 2));
        refused(AgentRefusedException.class, "release leaf does not name custodian-1",
                () -> a.computePartials(w.id(), otherCustodians.records(), otherCustodians.evidence()));
        PartialRequest noRelease = new PartialRequest(template.recordId(), subject, key.keyId(), 1, 2, template.enc(),
                new RecordEvidence(e.ciphertext(), e.depositIndex(), e.depositLeaf(), e.depositProof(), e.depositIndex() + 1,
                        e.releaseLeaf(), e.depositProof()));
        refused(AgentRefusedException.class, "release leaf is not in the log",
                () -> a.computePartials(w.id(), List.of(noRelease), real.evidence()));
        assertEquals(10, a.list(w.id()).get(0).usesLeft(), "no refused page cost a use");
    }

    @Test
    void attestKey_ofTheKeyItsTokenHolds_isSigned_butAKeyItDoesNotHoldIsRefused() throws Exception {
        CustodianAgentCore a = agent(2, AUTHORITIES);
        KeyAttestor.Attestation att = a.attestKey(io.escrow.keys.KeyRecordJson.write(key));
        String statement = new String(att.statement(), java.nio.charset.StandardCharsets.UTF_8);
        assertTrue(statement.startsWith("escrow/v1/key-attestation\ncustodian_id=custodian-2\nkey_id=" + key.keyId()), statement);
        io.escrow.cms.CmsSignatureVerifier.verify(att.cms(), att.statement(), anchors(Map.of("custodian-2", "custodian-2")),
                Instant.EPOCH, Instant.now());
        List<ShareToken> memory = new ArrayList<>();
        for (int i = 1; i <= 3; i++) {
            String id = "custodian-" + i;
            java.util.Map<String, java.math.BigInteger> held = new java.util.HashMap<>();
            memory.add(new ShareToken() {
                public String custodianId() { return id; }
                public boolean hasShare(String keyId) { return held.containsKey(keyId); }
                public void importShare(String keyId, io.escrow.threshold.SecretScalar s, ECPoint p) { held.put(keyId, s.toBigInteger()); }
                public void deleteShare(String keyId) { held.remove(keyId); }
                public byte[] deriveX(String keyId, ECPoint p) { return io.escrow.threshold.P256.xBytes(p.multiply(held.get(keyId)).normalize()); }
            });
        }
        KeyRecord rogue = new KeyCeremony(RNG, Clock.systemUTC(), m -> {}).run("krogue", new ThresholdParameters(2, 3), memory);
        refused(AgentRefusedException.class, "holds no share of key krogue", () -> a.attestKey(io.escrow.keys.KeyRecordJson.write(rogue)));
        refused(io.escrow.error.InvalidArgumentException.class, "key_record", () -> a.attestKey("{}".getBytes()));
    }

    @Test
    void activate_withAConsentToOtherBytesOrOtherApprovals_isRefused() {
        Signed w = warrant("dave-" + UUID.randomUUID(), 5);
        Signed other = warrant("dave-other-" + UUID.randomUUID(), 5);
        CustodianAgentCore a = agent(2, AUTHORITIES);
        ConsentStatement good = consent(2, w, 10);
        ConsentStatement otherBytes = new ConsentStatement("custodian-2", w.id(), ConsentStatement.sha256(other.bytes()),
                good.approvalsSha256(), 10, good.notAfter(), good.nonce());
        refused(io.escrow.error.InvalidArgumentException.class, "other signed bytes", () -> activate(a, 2, w, otherBytes));
        SortedMap<String, byte[]> reSigned = new TreeMap<>(w.approvals());
        reSigned.put("court", Warrants.sign(w.bytes(), TestAuthorities.signer("court")).toByteArray());
        Signed sameBytesOtherApprovals = new Signed(w.id(), w.spec(), w.bytes(), reSigned);
        refused(io.escrow.error.InvalidArgumentException.class, "other approvals",
                () -> activate(a, 2, sameBytesOtherApprovals, good));
        // Signed by another custodian's certificate.
        byte[] statement = good.encode();
        refused(io.escrow.error.InvalidArgumentException.class, "consent_signature", () -> a.activate(w.id(), w.bytes(),
                w.approvals(), statement, Warrants.sign(statement, TestAuthorities.signer("custodian-1")).toByteArray()));
        // An authority's approval over the warrant is not a consent.
        refused(io.escrow.error.InvalidArgumentException.class, "consent_statement",
                () -> a.activate(w.id(), w.bytes(), w.approvals(), w.bytes(), w.approvals().get("court")));
        assertEquals(List.of(), a.list(w.id()));
    }

    @Test
    void activate_withAnApprovalFromACaTheAgentDoesNotTrust_isRefused_whateverTheServiceTrusts() {
        Signed w = warrant("erin-" + UUID.randomUUID(), 5, Instant.now().getEpochSecond() - 60, "court", "rogue-as-ministry");
        CustodianAgentCore a = agent(1, AUTHORITIES);
        refused(io.escrow.error.InvalidArgumentException.class, "does not verify against this agent's anchor for ministry",
                () -> activate(a, 1, w, consent(1, w, 10)));
        Signed courtOnly = warrant("erin2-" + UUID.randomUUID(), 5, Instant.now().getEpochSecond() - 60, "court");
        refused(AgentRefusedException.class, "lacks approvals this agent requires, from ministry",
                () -> activate(a, 1, courtOnly, consent(1, courtOnly, 10)));
        Signed notYet = warrant("erin3-" + UUID.randomUUID(), 5, Instant.now().getEpochSecond() + 600, "court", "ministry");
        refused(AgentRefusedException.class, "is not valid before", () -> activate(a, 1, notYet, consent(1, notYet, 10)));
    }

    @Test
    void revoke_endsTheConsent_andLaterActivationsAreRefused() {
        Signed w = warrant("frank-" + UUID.randomUUID(), 5);
        CustodianAgentCore a = agent(1, AUTHORITIES);
        activate(a, 1, w, consent(1, w, 10));
        Deposit r = deposit(w.spec().subjectIds().get(0), 1, 2);
        refused(io.escrow.error.InvalidArgumentException.class, "cms_signature",
                () -> a.revoke(w.id(), Warrants.sign(SignedBytes.revocation(w.id()), TestAuthorities.signer("rogue")).toByteArray()));
        a.revoke(w.id(), Warrants.sign(SignedBytes.revocation(w.id()), TestAuthorities.signer("court")).toByteArray());
        assertEquals(AgentConsent.State.REVOKED, a.list(w.id()).get(0).state());
        refused(AgentRefusedException.class, "is REVOKED", () -> partials(a, w, r));
        refused(AgentRefusedException.class, "is revoked", () -> activate(a, 1, w, consent(1, w, 10)));
    }

    @Test
    void deactivate_thenTheSameStatementAgain_isRefused_butANewOneActivates() {
        Signed w = warrant("gina-" + UUID.randomUUID(), 5);
        CustodianAgentCore a = agent(1, AUTHORITIES);
        ConsentStatement c = consent(1, w, 10);
        activate(a, 1, w, c);
        refused(AgentRefusedException.class, "already has a live consent", () -> activate(a, 1, w, consent(1, w, 10)));
        assertEquals(AgentConsent.State.DEACTIVATED, a.deactivate(w.id()).state());
        refused(CustodianAgentCore.AgentNotFoundException.class, "no live consent", () -> a.deactivate(w.id()));
        refused(AgentRefusedException.class, "already used", () -> activate(a, 1, w, c));
        assertEquals(AgentConsent.State.ACTIVE, activate(a, 1, w, consent(1, w, 3)).state());
    }

    @Test
    void restart_keepsTheCounts_andDropsATornLastLine() throws Exception {
        String subject = "hal-" + UUID.randomUUID();
        Signed w = warrant(subject, 3);
        CustodianAgentCore a = agent(1, AUTHORITIES);
        activate(a, 1, w, consent(1, w, 5));
        partials(a, w, deposit(subject, 1, 2), deposit(subject, 1, 2));
        a.close();
        agents.remove(a);
        Path journal = state.resolve("custodian-1.journal");
        Files.writeString(journal, "{\"warrant_id\":\"" + w.id() + "\",\"type\":\"opened\",\"rec",
                java.nio.file.StandardOpenOption.APPEND);
        CustodianAgentCore again = agent(1, AUTHORITIES);
        AgentConsent c = again.list(w.id()).get(0);
        assertEquals(3, c.usesLeft());
        assertEquals(2, c.recordsOpened());
        refused(AgentRefusedException.class, "it allows 3", () -> partials(again, w, deposit(subject, 1, 2), deposit(subject, 1, 2)));
        IllegalStateException busy = assertThrows(IllegalStateException.class, () -> agent(1, AUTHORITIES));
        assertTrue(busy.getMessage().contains("in use by another agent"), busy.getMessage());
    }
}
