package io.escrow.agent;

import io.escrow.audit.AuditEntry;
import io.escrow.audit.AuditLeaves;
import io.escrow.audit.SubjectHasher;
import io.escrow.audit.SignedTreeHead;
import io.escrow.consent.ConsentStatement;
import io.escrow.merkle.MerkleHash;
import io.escrow.merkle.MerkleTree;
import io.escrow.warrant.WarrantSpec;
import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.security.PublicKey;
import java.security.Signature;
import java.util.Arrays;
import java.util.Optional;

/**
 * A custodian agent's check that each record it is asked about is what the service says: a
 * deposit in the audit log whose leaf commits to this record's bytes, subject, window and key,
 * and whose release under this warrant, naming this custodian, is already in the log. Both are
 * proven by inclusion in a checkpoint signed by the log key the agent pins, so neither a database
 * writer nor the service process can make the agent work on anything else.
 *
 * @param logKey              the audit log's tree-head key (ECDSA P-256), pinned by the custodian
 * @param origin              the checkpoint origin the agent expects, when it pins one
 * @param legacyDepositsBelow deposit leaves below this index, written before leaves carried
 *                            payload_sha256, are accepted on their other fields (0: none)
 * @param witnesses           the cosignatures a page's checkpoint must carry (NONE: none)
 */
public record LogEvidence(PublicKey logKey, Optional<String> origin, long legacyDepositsBelow, WitnessPolicy witnesses) {

    public LogEvidence(PublicKey logKey, Optional<String> origin, long legacyDepositsBelow) {
        this(logKey, origin, legacyDepositsBelow, WitnessPolicy.NONE);
    }

    /** A log key as DER SubjectPublicKeyInfo (GetTreeHead's public_key), or PEM "PUBLIC KEY" text. */
    public static PublicKey readKey(byte[] derOrPem) {
        byte[] der = derOrPem;
        String text = new String(derOrPem, StandardCharsets.US_ASCII);
        if (text.contains("-----BEGIN PUBLIC KEY-----")) {
            String body = text.substring(text.indexOf("-----BEGIN PUBLIC KEY-----") + 26, text.indexOf("-----END PUBLIC KEY-----"));
            der = java.util.Base64.getMimeDecoder().decode(body);
        }
        try {
            PublicKey key = java.security.KeyFactory.getInstance("EC").generatePublic(new java.security.spec.X509EncodedKeySpec(der));
            if (!(key instanceof java.security.interfaces.ECPublicKey ec) || ec.getParams().getCurve().getField().getFieldSize() != 256) {
                throw new IllegalArgumentException("not a P-256 key");
            }
            return key;
        } catch (GeneralSecurityException | IllegalArgumentException e) {
            throw new io.escrow.config.ConfigurationException("the audit log key is not a P-256 SubjectPublicKeyInfo (DER or PEM): "
                    + e.getMessage());
        }
    }

    /** The page's checkpoint, once its signature verifies under the pinned key. */
    public SignedTreeHead.Parsed checkpoint(PageEvidence page) {
        try {
            Signature ecdsa = Signature.getInstance("SHA256withECDSA");
            ecdsa.initVerify(logKey);
            ecdsa.update(page.checkpoint());
            if (!ecdsa.verify(page.checkpointSignature())) {
                throw new AgentRefusedException("the page's checkpoint is not signed by the audit log key this agent pins");
            }
        } catch (GeneralSecurityException | RuntimeException e) {
            if (e instanceof AgentRefusedException r) {
                throw r;
            }
            throw new AgentRefusedException("the page's checkpoint signature does not verify: " + e.getMessage());
        }
        SignedTreeHead.Parsed head;
        try {
            head = SignedTreeHead.parse(page.checkpoint());
        } catch (RuntimeException e) {
            throw new AgentRefusedException("the page's checkpoint is malformed: " + e.getMessage());
        }
        if (origin.isPresent() && !origin.get().equals(head.origin())) {
            throw new AgentRefusedException("the checkpoint is of log '" + head.origin() + "', not '" + origin.get() + "'");
        }
        String unwitnessed = witnesses.problem(page.checkpoint(), page.checkpointNote());
        if (unwitnessed != null) {
            throw new AgentRefusedException("the page's checkpoint is not witnessed as this agent requires: " + unwitnessed);
        }
        return head;
    }

    /**
     * Checks one record against the checkpoint; throws {@link AgentRefusedException} naming what
     * does not hold.
     */
    public void check(String custodianId, String warrantId, WarrantSpec spec, PartialRequest r, SignedTreeHead.Parsed head,
                      byte[] subjectSalt, String where) {
        RecordEvidence e = r.evidence();
        if (e == null) {
            throw new AgentRefusedException(where + " comes without log evidence");
        }
        byte[] subjectHash;
        try {
            subjectHash = SubjectHasher.of(subjectSalt).hash(r.subjectId());
        } catch (IllegalArgumentException badSalt) {
            throw new AgentRefusedException("the page's subject-hash salt is unusable: " + badSalt.getMessage());
        }
        AuditEntry deposit = leaf(e.depositLeaf(), where + "'s deposit leaf");
        require(deposit.type().equals(AuditLeaves.DEPOSIT), where + "'s deposit leaf is a '" + deposit.type() + "' leaf");
        require(field(deposit, "record_id").equals(r.recordId()), where + "'s deposit leaf is of another record");
        require(field(deposit, "key_id").equals(r.keyId()), where + "'s deposit leaf names another key");
        require(field(deposit, "covers_from").equals(Long.toString(r.coversFrom()))
                && field(deposit, "covers_until").equals(Long.toString(r.coversUntil())),
                where + "'s deposit leaf names another covers window");
        require(Arrays.equals(deposit.fields().get("subject_hash"), subjectHash), where + "'s deposit leaf is of another subject");
        byte[] payload = deposit.fields().get("payload_sha256");
        if (payload != null) {
            require(Arrays.equals(payload, AuditLeaves.payloadSha256(r.enc(), e.ciphertext())),
                    where + "'s enc and ciphertext are not the bytes its deposit leaf commits to");
        } else {
            require(e.depositIndex() < legacyDepositsBelow, where + "'s deposit leaf does not commit to the deposit's bytes "
                    + "(no payload_sha256), and this agent accepts such leaves only below index " + legacyDepositsBelow);
        }
        require(included(e.depositLeaf(), e.depositIndex(), e.depositProof(), head), where + "'s deposit leaf is not in the log "
                + "at index " + e.depositIndex() + " of the signed checkpoint of size " + head.size());

        AuditEntry release = leaf(e.releaseLeaf(), where + "'s release leaf");
        require(release.type().equals(AuditLeaves.RELEASE) || release.type().equals(AuditLeaves.RE_RELEASE),
                where + "'s release leaf is a '" + release.type() + "' leaf");
        require(field(release, "warrant_id").equals(warrantId) && field(release, "record_id").equals(r.recordId()),
                where + "'s release leaf is of another warrant or record");
        require(Arrays.asList(field(release, "custodians").split(",")).contains(custodianId),
                where + "'s release leaf does not name " + custodianId);
        require(Arrays.equals(release.fields().get("subject_hash"), subjectHash), where + "'s release leaf is of another subject");
        require(Arrays.equals(release.fields().get("recipient_sha256"), ConsentStatement.sha256(spec.recipientPublicKey())),
                where + "'s release leaf names another recipient key than the signed warrant");
        require(e.releaseIndex() > e.depositIndex(), where + "'s release leaf comes before its deposit");
        require(included(e.releaseLeaf(), e.releaseIndex(), e.releaseProof(), head), where + "'s release leaf is not in the log "
                + "at index " + e.releaseIndex() + " of the signed checkpoint of size " + head.size());
    }

    private static boolean included(byte[] leaf, long index, java.util.List<byte[]> proof, SignedTreeHead.Parsed head) {
        return index >= 0 && index < head.size() && MerkleTree.verifyInclusion(MerkleHash.leaf(leaf), index, head.size(), proof,
                head.root());
    }

    private static AuditEntry leaf(byte[] bytes, String what) {
        try {
            return AuditEntry.decode(bytes);
        } catch (IllegalArgumentException e) {
            throw new AgentRefusedException(what + " is malformed: " + e.getMessage());
        }
    }

    private static String field(AuditEntry e, String name) {
        return e.text(name).orElse("");
    }

    private static void require(boolean ok, String problem) {
        if (!ok) {
            throw new AgentRefusedException(problem);
        }
    }

}
