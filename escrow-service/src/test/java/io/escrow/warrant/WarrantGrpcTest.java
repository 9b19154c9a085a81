package io.escrow.warrant;

import static io.escrow.testing.Warrants.ts;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.google.protobuf.ByteString;
import io.escrow.cms.CertificateIssuer.Issued;
import io.escrow.proto.v1.ApproveWarrantRequest;
import io.escrow.proto.v1.FileWarrantRequest;
import io.escrow.proto.v1.GetWarrantRequest;
import io.escrow.proto.v1.RevokeWarrantRequest;
import io.escrow.proto.v1.Warrant;
import io.escrow.proto.v1.WarrantServiceGrpc;
import io.escrow.proto.v1.WarrantSpec;
import io.escrow.storage.Database;
import io.escrow.testing.AuditProbe;
import io.escrow.testing.TestAuthorities;
import io.escrow.testing.Warrants;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.quarkus.grpc.GrpcClient;
import io.quarkus.test.common.QuarkusTestResource;
import io.quarkus.test.junit.QuarkusTest;
import jakarta.inject.Inject;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.function.UnaryOperator;
import org.bouncycastle.cms.CMSProcessableByteArray;
import org.bouncycastle.cms.CMSSignedDataGenerator;
import org.bouncycastle.cms.jcajce.JcaSignerInfoGeneratorBuilder;
import org.bouncycastle.cert.jcajce.JcaCertStore;
import org.bouncycastle.operator.jcajce.JcaContentSignerBuilder;
import org.bouncycastle.operator.jcajce.JcaDigestCalculatorProviderBuilder;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** WarrantService through a real gRPC client, with throwaway court and ministry PKIs. */
@QuarkusTest
@QuarkusTestResource(TestAuthorities.class)
class WarrantGrpcTest {
    @GrpcClient("escrow")
    WarrantServiceGrpc.WarrantServiceBlockingStub warrants;

    @Inject
    Database db;

    private AuditProbe audit;
    private long mark;

    @BeforeEach
    void probe() {
        audit = new AuditProbe(db);
        mark = audit.mark();
    }

    private static WarrantSpec.Builder validSpec() {
        return Warrants.spec(Warrants.recipient(), 1_700_000_000L, 1_800_000_000L, 10, "alice@example", "bob@example");
    }

    private Warrant file(WarrantSpec.Builder spec) {
        return warrants.fileWarrant(FileWarrantRequest.newBuilder().setSpec(spec).build());
    }

    private Warrant approve(Warrant w, ByteString cms) {
        return warrants.approveWarrant(ApproveWarrantRequest.newBuilder().setWarrantId(w.getWarrantId()).setCmsSignature(cms).build());
    }

    private static StatusRuntimeException fails(Status.Code code, Runnable call) {
        StatusRuntimeException e = assertThrows(StatusRuntimeException.class, call::run);
        assertEquals(code, e.getStatus().getCode(), e.getStatus().toString());
        return e;
    }

    @Test
    void file_withValidSpec_isPendingAndSignedBytesShowTheSpec() {
        WarrantSpec.Builder spec = validSpec();
        Warrant w = file(spec);
        assertTrue(w.getWarrantId().startsWith("w-"));
        assertEquals(Warrant.WarrantState.PENDING, w.getState());
        assertEquals(spec.build(), w.getSpec());
        String text = w.getSignedBytes().toStringUtf8();
        assertTrue(text.startsWith("escrow/v1/warrant\nwarrant_id=" + w.getWarrantId() + "\n"), text);
        assertTrue(text.contains("\nsubject_id=alice@example\nsubject_id=bob@example\n"), text);
        assertTrue(text.contains("\ncovers_from=1700000000 (2023-11-14T22:13:20Z)\n"), text);
        assertEquals(w, warrants.getWarrant(GetWarrantRequest.newBuilder().setWarrantId(w.getWarrantId()).build()));
        assertEquals(1, audit.find(mark, "warrant_filed", w.getWarrantId()).size());
    }

    @Test
    void file_withInvalidFields_isRejectedNamingTheFieldAndAudited() {
        long now = Instant.now().getEpochSecond();
        List<Object[]> cases = List.<Object[]>of(
                new Object[] {"spec.subject_ids", (UnaryOperator<WarrantSpec.Builder>) s -> s.clearSubjectIds()},
                new Object[] {"spec.subject_ids[1]", (UnaryOperator<WarrantSpec.Builder>) s -> s.setSubjectIds(1, "alice@example")},
                new Object[] {"spec.subject_ids[0]", (UnaryOperator<WarrantSpec.Builder>) s -> s.setSubjectIds(0, "line\nbreak")},
                new Object[] {"spec.case_reference", (UnaryOperator<WarrantSpec.Builder>) s -> s.clearCaseReference()},
                new Object[] {"spec.covers_until", (UnaryOperator<WarrantSpec.Builder>) s -> s.setCoversUntil(ts(1_600_000_000L))},
                new Object[] {"spec.covers_from", (UnaryOperator<WarrantSpec.Builder>) s -> s.clearCoversFrom()},
                new Object[] {"spec.not_after", (UnaryOperator<WarrantSpec.Builder>) s -> s.setNotAfter(s.getNotBefore())},
                new Object[] {"spec.not_after", (UnaryOperator<WarrantSpec.Builder>) s -> s.setNotAfter(ts(now + 31 * 86_400L))},
                new Object[] {"spec.not_after", (UnaryOperator<WarrantSpec.Builder>) s -> s.setNotBefore(ts(now - 7200)).setNotAfter(ts(now - 3600))},
                new Object[] {"spec.not_before", (UnaryOperator<WarrantSpec.Builder>) s -> s.setNotBefore(s.getNotBefore().toBuilder().setNanos(5))},
                new Object[] {"spec.max_records", (UnaryOperator<WarrantSpec.Builder>) s -> s.setMaxRecords(0)},
                new Object[] {"spec.max_records", (UnaryOperator<WarrantSpec.Builder>) s -> s.setMaxRecords(100_001)},
                new Object[] {"spec.recipient_public_key", (UnaryOperator<WarrantSpec.Builder>) s -> s.setRecipientPublicKey(
                        ByteString.copyFrom(new byte[65]))},
                new Object[] {"spec.recipient_public_key", (UnaryOperator<WarrantSpec.Builder>) s -> s.setRecipientPublicKey(
                        s.getRecipientPublicKey().substring(0, 33))},
                new Object[] {"spec.nonce", (UnaryOperator<WarrantSpec.Builder>) s -> s.setNonce(ByteString.copyFrom(new byte[15]))});
        for (Object[] c : cases) {
            @SuppressWarnings("unchecked")
            WarrantSpec.Builder spec = ((UnaryOperator<WarrantSpec.Builder>) c[1]).apply(validSpec());
            StatusRuntimeException e = fails(Status.Code.INVALID_ARGUMENT, () -> file(spec));
            assertTrue(e.getStatus().getDescription().startsWith(c[0] + ": "), c[0] + " -> " + e.getStatus());
        }
        assertEquals(cases.size(), audit.find(mark, "warrant_filing_rejected", "INVALID_ARGUMENT").size());
    }

    @Test
    void file_withReusedNonce_isRejected() {
        WarrantSpec.Builder spec = validSpec();
        file(spec);
        StatusRuntimeException e = fails(Status.Code.INVALID_ARGUMENT, () -> file(spec));
        assertTrue(e.getStatus().getDescription().startsWith("spec.nonce: was already used"), e.getStatus().toString());
        assertEquals(1, audit.find(mark, "warrant_filing_rejected", "spec.nonce").size());
    }

    @Test
    void approve_byCourtThenMinistry_activatesOnlyWhenBothSigned() {
        Warrant w = file(validSpec());
        Warrant afterCourt = approve(w, sign(w.getSignedBytes(), "court"));
        assertEquals(Warrant.WarrantState.PENDING, afterCourt.getState());
        assertEquals("court", afterCourt.getApprovals(0).getAuthority());
        assertEquals("CN=Test court judge", afterCourt.getApprovals(0).getSigner());
        Warrant active = approve(w, sign(w.getSignedBytes(), "ministry"));
        assertEquals(Warrant.WarrantState.ACTIVE, active.getState());
        assertEquals(2, active.getApprovalsCount());
        assertEquals(2, audit.find(mark, "warrant_approved", w.getWarrantId()).size());
    }

    @Test
    void approve_beforeNotBefore_staysPending() {
        long now = Instant.now().getEpochSecond();
        Warrant w = file(validSpec().setNotBefore(ts(now + 3600)).setNotAfter(ts(now + 7200)));
        approve(w, sign(w.getSignedBytes(), "court"));
        assertEquals(Warrant.WarrantState.PENDING, approve(w, sign(w.getSignedBytes(), "ministry")).getState());
    }

    @Test
    void approve_madeByOpensslCmsSign_isAccepted() throws Exception {
        Warrant w = file(validSpec());
        Path dir = Files.createTempDirectory("openssl-cms");
        Path in = Files.write(dir.resolve("signed.bin"), w.getSignedBytes().toByteArray());
        Path out = dir.resolve("approval.der");
        Process p = new ProcessBuilder("openssl", "cms", "-sign", "-binary", "-in", in.toString(),
                "-signer", TestAuthorities.signerCertificateFile("court").toString(),
                "-inkey", TestAuthorities.signerKeyFile("court").toString(), "-outform", "DER", "-out", out.toString())
                .redirectErrorStream(true).start();
        String output = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertTrue(p.waitFor(30, TimeUnit.SECONDS));
        assertEquals(0, p.exitValue(), output);
        Warrant approved = approve(w, ByteString.copyFrom(Files.readAllBytes(out)));
        assertEquals("court", approved.getApprovals(0).getAuthority());
    }

    @Test
    void approve_byUntrustedCa_isRejected() {
        Warrant w = file(validSpec());
        StatusRuntimeException e = fails(Status.Code.INVALID_ARGUMENT,
                () -> approve(w, sign(w.getSignedBytes().toByteArray(), TestAuthorities.signer("rogue"))));
        assertTrue(e.getStatus().getDescription().contains("does not chain to any configured trust anchor"), e.getStatus().toString());
        assertRejectionAudited(w, "approval_rejected");
    }

    @Test
    void approve_withValidSignatureOverOtherBytes_isRejected() {
        Warrant w = file(validSpec());
        Warrant other = file(validSpec());
        StatusRuntimeException e = fails(Status.Code.INVALID_ARGUMENT, () -> approve(w, sign(other.getSignedBytes(), "court")));
        assertTrue(e.getStatus().getDescription().contains("signs other bytes"), e.getStatus().toString());
        assertRejectionAudited(w, "approval_rejected");
    }

    @Test
    void approve_withExpiredOrNotYetValidCertificate_isRejected() {
        Warrant w = file(validSpec());
        Instant now = Instant.now();
        Issued expired = TestAuthorities.issueSigner("court", "expired judge", now.minus(Duration.ofDays(10)), now.minus(Duration.ofDays(1)));
        Issued future = TestAuthorities.issueSigner("court", "future judge", now.plus(Duration.ofDays(1)), now.plus(Duration.ofDays(10)));
        for (Issued signer : List.of(expired, future)) {
            StatusRuntimeException e = fails(Status.Code.INVALID_ARGUMENT, () -> approve(w, sign(w.getSignedBytes().toByteArray(), signer)));
            assertTrue(e.getStatus().getDescription().contains("was not valid at signing time"), e.getStatus().toString());
        }
        assertEquals(2, audit.find(mark, "approval_rejected", w.getWarrantId()).size());
    }

    @Test
    void approve_withAttachedOrGarbageCms_isRejected() throws Exception {
        Warrant w = file(validSpec());
        Issued court = TestAuthorities.signer("court");
        CMSSignedDataGenerator gen = new CMSSignedDataGenerator();
        gen.addSignerInfoGenerator(new JcaSignerInfoGeneratorBuilder(new JcaDigestCalculatorProviderBuilder().build())
                .build(new JcaContentSignerBuilder("SHA256withECDSA").build(court.privateKey()), court.certificate()));
        gen.addCertificates(new JcaCertStore(List.of(court.certificate())));
        byte[] attached = gen.generate(new CMSProcessableByteArray(w.getSignedBytes().toByteArray()), true).getEncoded();
        StatusRuntimeException e = fails(Status.Code.INVALID_ARGUMENT, () -> approve(w, ByteString.copyFrom(attached)));
        assertTrue(e.getStatus().getDescription().contains("must be a detached signature"), e.getStatus().toString());

        byte[] detached = sign(w.getSignedBytes(), "court").toByteArray();
        byte[] trailing = java.util.Arrays.copyOf(detached, detached.length + 1);
        for (byte[] garbage : List.of("not a cms blob".getBytes(StandardCharsets.UTF_8), java.util.Arrays.copyOf(detached, 40), trailing)) {
            StatusRuntimeException g = fails(Status.Code.INVALID_ARGUMENT, () -> approve(w, ByteString.copyFrom(garbage)));
            assertTrue(g.getStatus().getDescription().startsWith("cms_signature: is not a DER CMS SignedData"), g.getStatus().toString());
        }
        fails(Status.Code.INVALID_ARGUMENT, () -> approve(w, ByteString.EMPTY));
        assertEquals(5, audit.find(mark, "approval_rejected", w.getWarrantId()).size());
    }

    @Test
    void approve_bySameAuthorityTwice_countsOnce() {
        Warrant w = file(validSpec());
        approve(w, sign(w.getSignedBytes(), "court"));
        Issued secondJudge = TestAuthorities.issueSigner("court", "second judge", Instant.now().minus(Duration.ofHours(1)),
                Instant.now().plus(Duration.ofDays(1)));
        StatusRuntimeException e = fails(Status.Code.ALREADY_EXISTS, () -> approve(w, sign(w.getSignedBytes().toByteArray(), secondJudge)));
        assertTrue(e.getStatus().getDescription().contains("'court' has already approved"), e.getStatus().toString());
        Warrant now = warrants.getWarrant(GetWarrantRequest.newBuilder().setWarrantId(w.getWarrantId()).build());
        assertEquals(1, now.getApprovalsCount());
        assertEquals(Warrant.WarrantState.PENDING, now.getState());
        assertRejectionAudited(w, "approval_rejected");
    }

    @Test
    void revoke_thenApprove_isRejected() {
        Warrant w = file(validSpec());
        approve(w, sign(w.getSignedBytes(), "court"));
        Warrant revoked = revoke(w, sign(SignedBytes.revocation(w.getWarrantId()), TestAuthorities.signer("ministry")));
        assertEquals(Warrant.WarrantState.REVOKED, revoked.getState());
        assertEquals(1, audit.find(mark, "warrant_revoked", w.getWarrantId()).size());
        StatusRuntimeException e = fails(Status.Code.FAILED_PRECONDITION, () -> approve(w, sign(w.getSignedBytes(), "ministry")));
        assertTrue(e.getStatus().getDescription().contains("REVOKED"), e.getStatus().toString());
        assertRejectionAudited(w, "approval_rejected");
    }

    @Test
    void revoke_withSignatureOverWarrantBytesOrByRogue_isRejected() {
        Warrant w = file(validSpec());
        fails(Status.Code.INVALID_ARGUMENT, () -> revoke(w, sign(w.getSignedBytes(), "court")));
        fails(Status.Code.INVALID_ARGUMENT, () -> revoke(w, sign(SignedBytes.revocation(w.getWarrantId()), TestAuthorities.signer("rogue"))));
        assertEquals(2, audit.find(mark, "revocation_rejected", w.getWarrantId()).size());
        assertEquals(Warrant.WarrantState.PENDING,
                warrants.getWarrant(GetWarrantRequest.newBuilder().setWarrantId(w.getWarrantId()).build()).getState());
    }

    @Test
    void approve_afterExpiry_isRejectedAndExpiryIsAudited() throws InterruptedException {
        long now = Instant.now().getEpochSecond();
        Warrant w = file(validSpec().setNotBefore(ts(now - 10)).setNotAfter(ts(now + 2)));
        Thread.sleep(Duration.ofSeconds(now + 3 - Instant.now().getEpochSecond()).toMillis() + 100);
        StatusRuntimeException e = fails(Status.Code.FAILED_PRECONDITION, () -> approve(w, sign(w.getSignedBytes(), "court")));
        assertTrue(e.getStatus().getDescription().contains("EXPIRED"), e.getStatus().toString());
        assertEquals(1, audit.find(mark, "warrant_expired", w.getWarrantId()).size());
        assertRejectionAudited(w, "approval_rejected");
    }

    @Test
    void get_unknownOrMalformedId_isNotFound() {
        fails(Status.Code.NOT_FOUND, () -> warrants.getWarrant(GetWarrantRequest.newBuilder()
                .setWarrantId("w-00000000-0000-0000-0000-000000000000").build()));
        fails(Status.Code.NOT_FOUND, () -> warrants.getWarrant(GetWarrantRequest.newBuilder().setWarrantId("nope").build()));
        fails(Status.Code.INVALID_ARGUMENT, () -> warrants.getWarrant(GetWarrantRequest.getDefaultInstance()));
        Warrant missing = Warrant.newBuilder().setWarrantId("w-00000000-0000-0000-0000-000000000000").build();
        fails(Status.Code.NOT_FOUND, () -> approve(missing, ByteString.copyFromUtf8("x")));
        assertRejectionAudited(missing, "approval_rejected");
    }

    @Test
    void listWarrants_pagesInFilingOrder_withTheirApprovals() {
        Warrant first = file(validSpec());
        Warrant filed = file(validSpec());
        Warrant second = approve(filed, Warrants.sign(filed.getSignedBytes(), "court"));
        java.util.List<String> seen = new java.util.ArrayList<>();
        java.util.Map<String, Warrant> byId = new java.util.HashMap<>();
        String token = "";
        do {
            var page = warrants.listWarrants(io.escrow.proto.v1.ListWarrantsRequest.newBuilder().setPageSize(2).setPageToken(token).build());
            assertTrue(page.getWarrantsCount() <= 2);
            page.getWarrantsList().forEach(w -> {
                seen.add(w.getWarrantId());
                byId.put(w.getWarrantId(), w);
            });
            token = page.getNextPageToken();
        } while (!token.isEmpty());
        assertEquals(new java.util.HashSet<>(seen).size(), seen.size(), "no warrant twice");
        assertTrue(seen.indexOf(first.getWarrantId()) >= 0 && seen.indexOf(first.getWarrantId()) < seen.indexOf(second.getWarrantId()),
                "filing order");
        assertEquals(second, byId.get(second.getWarrantId()), "as GetWarrant gives it, approvals included");
        assertEquals(1, byId.get(second.getWarrantId()).getApprovalsCount());
    }

    @Test
    void listWarrants_withAForeignTokenOrTooLargeAPage_isInvalidArgument() {
        for (String token : List.of("w-1", "after:-5", "after:x", "before:3")) {
            StatusRuntimeException e = fails(Status.Code.INVALID_ARGUMENT, () -> warrants.listWarrants(
                    io.escrow.proto.v1.ListWarrantsRequest.newBuilder().setPageToken(token).build()));
            assertTrue(e.getStatus().getDescription().startsWith("page_token"), e.getStatus().toString());
        }
        fails(Status.Code.INVALID_ARGUMENT, () -> warrants.listWarrants(io.escrow.proto.v1.ListWarrantsRequest.newBuilder()
                .setPageSize(WarrantService.MAX_PAGE + 1).build()));
    }

    private Warrant revoke(Warrant w, ByteString cms) {
        return warrants.revokeWarrant(RevokeWarrantRequest.newBuilder().setWarrantId(w.getWarrantId()).setCmsSignature(cms).build());
    }

    @Test
    void approve_byASignerTheMinistrysCrlRevoked_isRejected_andAudited_untilACrlNoLongerListsIt() {
        Warrant w = file(validSpec());
        Issued revoked = TestAuthorities.issueSigner("ministry", "revoked minister", Instant.now().minus(Duration.ofHours(1)),
                Instant.now().plus(Duration.ofDays(1)));
        ByteString cms = sign(w.getSignedBytes().toByteArray(), revoked);
        TestAuthorities.publishCrl("ministry", Instant.now().plus(Duration.ofDays(7)), revoked.certificate());
        try {
            StatusRuntimeException e = fails(Status.Code.INVALID_ARGUMENT, () -> approve(w, cms));
            assertTrue(e.getStatus().getDescription().startsWith("cms_signature: certificate 'CN=revoked minister' was revoked by"),
                    e.getStatus().toString());
            assertRejectionAudited(w, "approval_rejected");
        } finally {
            TestAuthorities.publishCrl("ministry", Instant.now().plus(Duration.ofDays(7)));
        }
        // The CRL file is read again when it changes: no restart is needed either way.
        assertEquals(1, approve(w, cms).getApprovalsCount());
    }

    @Test
    void approve_whileTheMinistrysCrlIsOutOfDate_failsClosed_withFailedPrecondition() {
        Warrant w = file(validSpec());
        TestAuthorities.publishCrl("ministry", Instant.now().minus(Duration.ofMinutes(10)));
        try {
            StatusRuntimeException e = fails(Status.Code.FAILED_PRECONDITION, () -> approve(w, sign(w.getSignedBytes(), "ministry")));
            assertTrue(e.getStatus().getDescription().contains("is not current"), e.getStatus().toString());
            assertRejectionAudited(w, "approval_rejected");
        } finally {
            TestAuthorities.publishCrl("ministry", Instant.now().plus(Duration.ofDays(7)));
        }
        assertEquals(1, approve(w, sign(w.getSignedBytes(), "ministry")).getApprovalsCount());
    }

    @io.quarkus.test.common.http.TestHTTPResource("/q/metrics")
    java.net.URI metrics;

    @Test
    void metrics_sayWhenTheMinistrysCrlGoesStale_andNothingForTheCourtWithoutOne() throws Exception {
        String body = java.net.http.HttpClient.newHttpClient().send(java.net.http.HttpRequest.newBuilder(metrics).build(),
                java.net.http.HttpResponse.BodyHandlers.ofString()).body();
        java.util.regex.Matcher m = java.util.regex.Pattern.compile(
                "(?m)^escrow_crl_stale_at_seconds\\{kind=\"authority\",name=\"ministry\"\\} (\\S+)$").matcher(body);
        assertTrue(m.find(), body);
        double staleAt = Double.parseDouble(m.group(1));
        long now = Instant.now().getEpochSecond();
        assertTrue(staleAt > now && staleAt <= now + Duration.ofDays(7).toSeconds(), m.group());
        assertFalse(body.contains("escrow_crl_stale_at_seconds{kind=\"authority\",name=\"court\"}"), body);
    }

    private static ByteString sign(ByteString content, String authority) {
        return Warrants.sign(content.toByteArray(), TestAuthorities.signer(authority));
    }

    private static ByteString sign(byte[] content, String authority) {
        return Warrants.sign(content, TestAuthorities.signer(authority));
    }

    private static ByteString sign(byte[] content, Issued signer) {
        return Warrants.sign(content, signer);
    }

    private void assertRejectionAudited(Warrant w, String type) {
        assertFalse(audit.find(mark, type, w.getWarrantId()).isEmpty(), "no " + type + " leaf for " + w.getWarrantId());
    }
}
