package io.escrow.agent;

import io.escrow.audit.AuditEntry;
import io.escrow.audit.AuditLeaves;
import io.escrow.audit.SubjectHasher;
import io.escrow.audit.SignedTreeHead;
import io.escrow.merkle.MemoryNodes;
import io.escrow.merkle.MerkleTree;
import java.security.KeyPair;
import java.security.KeyPairGenerator;
import java.security.SecureRandom;
import java.security.Signature;
import java.security.spec.ECGenParameterSpec;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * An audit log for agent tests, built with the same leaf format and RFC 9162 math as the
 * service's, with its own software P-256 tree-head key: deposits, releases, signed checkpoints
 * and inclusion proofs, so an agent can be shown true evidence and every kind of false one.
 */
final class TestLog {
    static final String ORIGIN = "test-log/audit/v1";
    private final MemoryNodes nodes = new MemoryNodes();
    private final KeyPair key;
    private final byte[] salt = new byte[32];

    TestLog() {
        try {
            KeyPairGenerator g = KeyPairGenerator.getInstance("EC");
            g.initialize(new ECGenParameterSpec("secp256r1"));
            key = g.generateKeyPair();
        } catch (Exception e) {
            throw new IllegalStateException(e);
        }
        new SecureRandom().nextBytes(salt);
    }

    LogEvidence pinned() {
        return new LogEvidence(key.getPublic(), Optional.of(ORIGIN), 0);
    }

    byte[] salt() {
        return salt.clone();
    }

    private long append(AuditEntry e) {
        return append(e.encode());
    }

    long deposit(PartialRequest r, byte[] ciphertext, String subjectInLeaf) {
        return append(AuditLeaves.deposit(Instant.now(), "acme", r.recordId(), SubjectHasher.of(salt).hash(subjectInLeaf),
                r.keyId(), r.coversFrom(), r.coversUntil(), AuditLeaves.payloadSha256(r.enc(), ciphertext)));
    }

    AuditEntry release(String warrantId, String recordId, String subject, byte[] recipient, String custodians) {
        return AuditLeaves.release(false, Instant.now(), "agency", warrantId, recordId, "k", List.of(custodians.split(",")),
                SubjectHasher.of(salt).hash(subject), io.escrow.consent.ConsentStatement.sha256(recipient));
    }

    long append(byte[] leaf) {
        long index = nodes.size();
        nodes.appendLeaf(leaf);
        leaves.put(index, leaf.clone());
        return index;
    }

    /** Evidence for a deposit and a release leaf, proven in the tree as it is now. */
    RecordEvidence evidence(byte[] ciphertext, long depositIndex, long releaseIndex, byte[] releaseLeaf) {
        long size = nodes.size();
        return new RecordEvidence(ciphertext, depositIndex, leafAt(depositIndex), MerkleTree.inclusionProof(nodes, depositIndex, size),
                releaseIndex, releaseLeaf, MerkleTree.inclusionProof(nodes, releaseIndex, size));
    }

    private final Map<Long, byte[]> leaves = new java.util.HashMap<>();

    private byte[] leafAt(long index) {
        return leaves.get(index);
    }

    /** A checkpoint of the tree as it is now, signed with this log's key (or {@code by}). */
    PageEvidence page(KeyPair by) {
        byte[] body = SignedTreeHead.checkpointBody(ORIGIN, nodes.size(), nodes.root());
        try {
            Signature s = Signature.getInstance("SHA256withECDSA");
            s.initSign((by == null ? key : by).getPrivate());
            s.update(body);
            return new PageEvidence(body, s.sign(), salt, new byte[0]);
        } catch (Exception e) {
            throw new IllegalStateException(e);
        }
    }

    PageEvidence page() {
        return page(null);
    }
}
