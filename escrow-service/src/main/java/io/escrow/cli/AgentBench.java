package io.escrow.cli;

import io.escrow.agent.CustodianAgentCore;
import io.escrow.agent.LogEvidence;
import io.escrow.agent.PageEvidence;
import io.escrow.agent.PartialRequest;
import io.escrow.agent.RecordEvidence;
import io.escrow.audit.AuditLeaves;
import io.escrow.audit.SubjectHasher;
import io.escrow.audit.SignedTreeHead;
import io.escrow.cms.CertificateIssuer;
import io.escrow.cms.CmsSigner;
import io.escrow.cms.TrustAnchors;
import io.escrow.consent.AgentShareToken;
import io.escrow.consent.ConsentStatement;
import io.escrow.hpke.Hpke;
import io.escrow.hpke.HpkeSuite;
import io.escrow.merkle.MemoryNodes;
import io.escrow.merkle.MerkleTree;
import io.escrow.threshold.KeyRecord;
import io.escrow.threshold.ShareToken;
import io.escrow.threshold.ThresholdDecryptor;
import io.escrow.transport.AgentServer;
import io.escrow.transport.GrpcAgentLink;
import io.escrow.warrant.SignedBytes;
import io.escrow.warrant.WarrantPolicy;
import io.escrow.warrant.WarrantSpec;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.KeyPair;
import java.security.KeyPairGenerator;
import java.security.SecureRandom;
import java.security.Signature;
import java.security.spec.ECGenParameterSpec;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.SortedMap;
import java.util.TreeMap;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;

/**
 * The agents phase of {@code escrowctl bench}: the same t tokens as the direct measurement, each
 * behind its own custodian agent on loopback gRPC, asked for pages of RecoveryService.PAGE partials with full
 * evidence (warrant approvals checked at consent; per record, deposit and release leaves proven
 * in a signed checkpoint; counts journaled and forced to disk), the next page asked for while the
 * current one is combined, as the service does. Throwaway PKI, warrant and log, made here.
 */
final class AgentBench {
    /** The page the service asks agents for. */
    static final int PAGE = io.escrow.recovery.RecoveryService.PAGE;

    private AgentBench() {}

    /** Records per second opened through agents, over {@code seconds} after a one-second warm-up. */
    static double measure(KeyRecord key, List<? extends ShareToken> tokens, List<Hpke.Sealed> sealed, byte[] info, String subject,
                          int seconds) throws Exception {
        return measure(key, tokens, sealed, info, subject, seconds, 1);
    }

    /** As above, each agent deriving a page on {@code sessions} token sessions at once. */
    static double measure(KeyRecord key, List<? extends ShareToken> tokens, List<Hpke.Sealed> sealed, byte[] info, String subject,
                          int seconds, int sessions) throws Exception {
        Path dir = Files.createTempDirectory("escrow-agent-bench-");
        Instant now = Instant.now();
        CertificateIssuer.Issued courtCa = CertificateIssuer.selfSignedCa("CN=Bench court CA", now.minusSeconds(3600),
                now.plus(Duration.ofDays(1)));
        CertificateIssuer.Issued court = CertificateIssuer.issue(courtCa, "CN=Bench judge", now.minusSeconds(3600),
                now.plus(Duration.ofDays(1)), false);
        TrustAnchors authorities = new TrustAnchors(Map.of("court", List.of(courtCa.certificate())));
        WarrantSpec spec = new WarrantSpec("BENCH", "bench", List.of(subject), 0, 1, now.getEpochSecond() - 60,
                now.getEpochSecond() + 3600, ConsentStatement.MAX_USES, Hpke.generateKeyPair(new SecureRandom()).publicKeyBytes(),
                new byte[16]);
        String warrantId = "w-bench";
        byte[] signedBytes = SignedBytes.encode(warrantId, spec);
        SortedMap<String, byte[]> approvals = new TreeMap<>(Map.of("court",
                CmsSigner.signDetached(signedBytes, court.privateKey(), null, List.of(court.certificate()))));

        Log log = new Log();
        List<PartialRequest> all = log.recordsFor(warrantId, spec, key, sealed, subject,
                tokens.stream().map(ShareToken::custodianId).toList());
        List<AutoCloseable> open = new ArrayList<>();
        List<GrpcAgentLink> links = new ArrayList<>();
        ExecutorService pool = Executors.newFixedThreadPool(tokens.size());
        try {
            for (ShareToken token : tokens) {
                String id = token.custodianId();
                CertificateIssuer.Issued ca = CertificateIssuer.selfSignedCa("CN=Bench " + id + " CA", now.minusSeconds(3600),
                        now.plus(Duration.ofDays(1)));
                CertificateIssuer.Issued signer = CertificateIssuer.issue(ca, "CN=Bench " + id, now.minusSeconds(3600),
                        now.plus(Duration.ofDays(1)), false);
                CustodianAgentCore agent = new CustodianAgentCore(id, token, authorities, WarrantPolicy.of(null, authorities.names()),
                        new TrustAnchors(Map.of(id, List.of(ca.certificate()))), log.pinned(), Optional.empty(),
                        dir.resolve(id).resolve("journal"),
                        Clock.systemUTC(), sessions);
                open.add(agent);
                byte[] statement = ConsentStatement.of(id, warrantId, signedBytes, approvals, ConsentStatement.MAX_USES,
                        now.plusSeconds(3600)).encode();
                agent.activate(warrantId, signedBytes, approvals, statement,
                        CmsSigner.signDetached(statement, signer.privateKey(), null, List.of(signer.certificate())));
                AgentServer server = AgentServer.start(agent, "127.0.0.1", 0, Optional.empty());
                open.add(0, server);
                GrpcAgentLink link = new GrpcAgentLink(id, "127.0.0.1:" + server.port(), Optional.empty(), Duration.ofSeconds(30),
                        new SimpleMeterRegistry());
                links.add(link);
                open.add(0, link);
            }
            ThresholdDecryptor decryptor = new ThresholdDecryptor(HpkeSuite.P256_SHA256_AES256GCM);
            PageEvidence evidence = log.page();
            int pages = all.size() / PAGE;
            long warmEnd = System.nanoTime() + 1_000_000_000L;
            long end = warmEnd + seconds * 1_000_000_000L;
            long counted = 0;
            int p = 0;
            CompletableFuture<List<ShareToken>> next = ask(links, warrantId, page(all, p), evidence, pool);
            while (System.nanoTime() < end) {
                List<ShareToken> answered = next.join();
                List<PartialRequest> current = page(all, p);
                p = (p + 1) % pages;
                next = ask(links, warrantId, page(all, p), evidence, pool);
                for (PartialRequest r : current) {
                    Hpke.Sealed s = sealed.get(Integer.parseInt(r.recordId().substring(2)));
                    byte[] pt = decryptor.open(key, answered, s.enc(), info, aadOf(subject), s.ciphertext()).plaintext();
                    java.util.Arrays.fill(pt, (byte) 0);
                }
                if (System.nanoTime() >= warmEnd) {
                    counted += current.size();
                }
            }
            next.join();
            return counted / (double) seconds;
        } finally {
            pool.shutdownNow();
            for (AutoCloseable c : open) {
                c.close();
            }
        }
    }

    static byte[] aadOf(String subject) {
        return (subject + "\n0\n1").getBytes(java.nio.charset.StandardCharsets.UTF_8);
    }

    private static List<PartialRequest> page(List<PartialRequest> all, int p) {
        return all.subList(p * PAGE, (p + 1) * PAGE);
    }

    /** Each agent asked for the page's partials at once, as the service's recovery asks them. */
    private static CompletableFuture<List<ShareToken>> ask(List<GrpcAgentLink> links, String warrantId, List<PartialRequest> page,
                                                          PageEvidence evidence, ExecutorService pool) {
        List<CompletableFuture<ShareToken>> asks = new ArrayList<>();
        for (GrpcAgentLink link : links) {
            asks.add(CompletableFuture.supplyAsync(() -> {
                AgentShareToken token = new AgentShareToken(link);
                token.prepare(warrantId, page, evidence);
                return token;
            }, pool));
        }
        return CompletableFuture.allOf(asks.toArray(CompletableFuture[]::new))
                .thenApply(v -> asks.stream().map(CompletableFuture::join).toList());
    }

    /** A throwaway audit log in memory: one deposit and one release leaf per record, and one signed checkpoint. */
    private static final class Log {
        private final MemoryNodes nodes = new MemoryNodes();
        private final byte[] salt = new byte[32];
        private final KeyPair key;

        Log() throws Exception {
            new SecureRandom().nextBytes(salt);
            KeyPairGenerator g = KeyPairGenerator.getInstance("EC");
            g.initialize(new ECGenParameterSpec("secp256r1"));
            key = g.generateKeyPair();
        }

        LogEvidence pinned() {
            return new LogEvidence(key.getPublic(), Optional.of("bench"), 0);
        }

        List<PartialRequest> recordsFor(String warrantId, WarrantSpec spec, KeyRecord key, List<Hpke.Sealed> sealed, String subject,
                                        List<String> custodians) throws Exception {
            List<byte[]> depositLeaves = new ArrayList<>();
            List<byte[]> releaseLeaves = new ArrayList<>();
            int n = sealed.size() / PAGE * PAGE;
            byte[] subjectHash = SubjectHasher.of(salt).hash(subject);
            for (int i = 0; i < n; i++) {
                depositLeaves.add(AuditLeaves.deposit(Instant.now(), "bench", "r-" + i, subjectHash, key.keyId(), 0, 1,
                        AuditLeaves.payloadSha256(sealed.get(i).enc(), sealed.get(i).ciphertext())).encode());
                nodes.appendLeaf(depositLeaves.get(i));
            }
            for (int i = 0; i < n; i++) {
                releaseLeaves.add(AuditLeaves.release(false, Instant.now(), "bench", warrantId, "r-" + i, key.keyId(), custodians,
                        subjectHash, ConsentStatement.sha256(spec.recipientPublicKey())).encode());
                nodes.appendLeaf(releaseLeaves.get(i));
            }
            List<PartialRequest> out = new ArrayList<>();
            for (int i = 0; i < n; i++) {
                out.add(new PartialRequest("r-" + i, subject, key.keyId(), 0, 1, sealed.get(i).enc(), new RecordEvidence(
                        sealed.get(i).ciphertext(), i, depositLeaves.get(i), MerkleTree.inclusionProof(nodes, i, nodes.size()),
                        n + i, releaseLeaves.get(i), MerkleTree.inclusionProof(nodes, n + i, nodes.size()))));
            }
            return out;
        }

        PageEvidence page() throws Exception {
            byte[] body = SignedTreeHead.checkpointBody("bench", nodes.size(), nodes.root());
            Signature s = Signature.getInstance("SHA256withECDSA");
            s.initSign(key.getPrivate());
            s.update(body);
            return new PageEvidence(body, s.sign(), salt, new byte[0]);
        }
    }
}
