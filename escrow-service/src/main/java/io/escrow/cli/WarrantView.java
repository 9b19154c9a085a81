package io.escrow.cli;

import io.escrow.proto.v1.Approval;
import io.escrow.proto.v1.Warrant;
import io.escrow.proto.v1.WarrantSpec;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.bouncycastle.util.encoders.Hex;

/** A warrant as people read it (text, scope in plain words) and as scripts read it (a JSON map). */
final class WarrantView {
    private WarrantView() {}

    static Map<String, Object> json(Warrant w) {
        WarrantSpec s = w.getSpec();
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("warrant_id", w.getWarrantId());
        m.put("state", w.getState().name());
        m.put("case_reference", s.getCaseReference());
        m.put("requesting_agency", s.getRequestingAgency());
        m.put("subject_ids", s.getSubjectIdsList());
        m.put("covers_from", instant(s.getCoversFrom().getSeconds()));
        m.put("covers_until", instant(s.getCoversUntil().getSeconds()));
        m.put("not_before", instant(s.getNotBefore().getSeconds()));
        m.put("not_after", instant(s.getNotAfter().getSeconds()));
        m.put("max_records", Integer.toUnsignedLong(s.getMaxRecords()));
        m.put("records_released", Integer.toUnsignedLong(w.getRecordsReleased()));
        m.put("recipient_public_key", Hex.toHexString(s.getRecipientPublicKey().toByteArray()));
        m.put("recipient_public_key_sha256", sha256Hex(s.getRecipientPublicKey().toByteArray()));
        List<Map<String, Object>> approvals = new ArrayList<>();
        for (Approval a : w.getApprovalsList()) {
            Map<String, Object> am = new LinkedHashMap<>();
            am.put("authority", a.getAuthority());
            am.put("signer", a.getSigner());
            am.put("approved_at", instant(a.getApprovedAt().getSeconds()));
            approvals.add(am);
        }
        m.put("approvals", approvals);
        m.put("signed_bytes", w.getSignedBytes().toString(StandardCharsets.UTF_8));
        return m;
    }

    /** One line, for lists. */
    static String line(Warrant w) {
        WarrantSpec s = w.getSpec();
        return String.format("%-38s %-9s %-20s %3d subject(s)  %d/%d released  approvals: %s", w.getWarrantId(), w.getState(),
                s.getCaseReference(), s.getSubjectIdsCount(), w.getRecordsReleased(), s.getMaxRecords(),
                w.getApprovalsCount() == 0 ? "none" : String.join(", ", w.getApprovalsList().stream().map(Approval::getAuthority).toList()));
    }

    /** The warrant and its scope in plain words. */
    static void print(Warrant w, PrintStream out) {
        WarrantSpec s = w.getSpec();
        out.printf("warrant %s is %s%n", w.getWarrantId(), w.getState());
        out.printf("  case %s, requested by %s%n", s.getCaseReference(), s.getRequestingAgency());
        printScope(s, out);
        out.printf("  released so far: %d of at most %d%n", w.getRecordsReleased(), s.getMaxRecords());
        if (w.getApprovalsCount() == 0) {
            out.println("  approvals: none yet");
        }
        for (Approval a : w.getApprovalsList()) {
            out.printf("  approved by %s: %s, at %s%n", a.getAuthority(), a.getSigner(), instant(a.getApprovedAt().getSeconds()));
        }
    }

    /**
     * The spec as the signed bytes state it: what an authority signs and a custodian consents to
     * is those bytes, so the scope shown is decoded from them, and the service's own fields must
     * agree, or the warrant is refused.
     */
    static WarrantSpec signedSpec(Warrant w) {
        io.escrow.warrant.SignedBytes.Decoded d;
        try {
            d = io.escrow.warrant.SignedBytes.decode("signed_bytes", w.getSignedBytes().toByteArray());
        } catch (io.escrow.error.EscrowException e) {
            throw CliException.refused("warrant " + w.getWarrantId() + ": its signed_bytes do not decode: " + e.getMessage());
        }
        io.escrow.warrant.WarrantSpec s = d.spec();
        WarrantSpec signed = WarrantSpec.newBuilder().setCaseReference(s.caseReference()).setRequestingAgency(s.requestingAgency())
                .addAllSubjectIds(s.subjectIds()).setCoversFrom(ts(s.coversFrom())).setCoversUntil(ts(s.coversUntil()))
                .setNotBefore(ts(s.notBefore())).setNotAfter(ts(s.notAfter())).setMaxRecords(s.maxRecords())
                .setRecipientPublicKey(com.google.protobuf.ByteString.copyFrom(s.recipientPublicKey()))
                .setNonce(com.google.protobuf.ByteString.copyFrom(s.nonce())).build();
        if (!d.warrantId().equals(w.getWarrantId()) || !signed.equals(w.getSpec())) {
            throw CliException.refused("warrant " + w.getWarrantId() + ": the service's fields differ from the signed_bytes it "
                    + "serves (which name warrant " + d.warrantId() + "); do not sign or consent");
        }
        return signed;
    }

    private static com.google.protobuf.Timestamp ts(long s) {
        return com.google.protobuf.Timestamp.newBuilder().setSeconds(s).build();
    }

    /** What the warrant allows, as a sentence per limit. */
    static void printScope(WarrantSpec s, PrintStream out) {
        out.printf("  it allows the session keys of %s%n", subjects(s.getSubjectIdsList()));
        out.printf("  for conversations between %s and %s,%n", instant(s.getCoversFrom().getSeconds()),
                instant(s.getCoversUntil().getSeconds()));
        out.printf("  at most %d record(s), recovered between %s and %s,%n", s.getMaxRecords(),
                instant(s.getNotBefore().getSeconds()), instant(s.getNotAfter().getSeconds()));
        out.printf("  each re-sealed to the recipient key with SHA-256 %s%n", sha256Hex(s.getRecipientPublicKey().toByteArray()));
    }

    private static String subjects(List<String> ids) {
        if (ids.size() == 1) {
            return "one subject, " + ids.get(0);
        }
        return ids.size() + " subjects: " + String.join(", ", ids);
    }

    static String instant(long epochSecond) {
        return Instant.ofEpochSecond(epochSecond).toString();
    }

    static String sha256Hex(byte[] b) {
        return Hex.toHexString(io.escrow.consent.ConsentStatement.sha256(b));
    }
}
