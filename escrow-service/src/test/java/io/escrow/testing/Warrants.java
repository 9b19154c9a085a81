package io.escrow.testing;

import com.google.protobuf.ByteString;
import com.google.protobuf.Timestamp;
import io.escrow.cms.CertificateIssuer.Issued;
import io.escrow.cms.CmsSigner;
import io.escrow.hpke.Hpke;
import io.escrow.proto.v1.WarrantSpec;
import java.security.SecureRandom;
import java.time.Instant;
import java.util.List;

/** Warrant specs and CMS approvals for tests. */
public final class Warrants {
    private static final SecureRandom RANDOM = new SecureRandom();

    private Warrants() {}

    public static Timestamp ts(long seconds) {
        return Timestamp.newBuilder().setSeconds(seconds).build();
    }

    /** A valid spec for {@code subjects}, covering [from, until], valid from a minute ago for a day. */
    public static WarrantSpec.Builder spec(Hpke.KeyPair recipient, long from, long until, int maxRecords, String... subjects) {
        long now = Instant.now().getEpochSecond();
        byte[] nonce = new byte[16];
        RANDOM.nextBytes(nonce);
        return WarrantSpec.newBuilder()
                .setCaseReference("CASE-" + Long.toHexString(RANDOM.nextLong()))
                .setRequestingAgency("Test Agency")
                .addAllSubjectIds(List.of(subjects))
                .setCoversFrom(ts(from))
                .setCoversUntil(ts(until))
                .setNotBefore(ts(now - 60))
                .setNotAfter(ts(now + 86_400))
                .setMaxRecords(maxRecords)
                .setRecipientPublicKey(ByteString.copyFrom(recipient.publicKeyBytes()))
                .setNonce(ByteString.copyFrom(nonce));
    }

    public static Hpke.KeyPair recipient() {
        return Hpke.generateKeyPair(RANDOM);
    }

    public static ByteString sign(byte[] content, Issued signer) {
        return ByteString.copyFrom(CmsSigner.signDetached(content, signer.privateKey(), null, List.of(signer.certificate())));
    }

    public static ByteString sign(ByteString content, String authority) {
        return sign(content.toByteArray(), TestAuthorities.signer(authority));
    }

    /** Files a warrant of {@code spec} and has the court and the ministry approve it: an ACTIVE warrant. */
    public static io.escrow.proto.v1.Warrant fileApproved(io.escrow.proto.v1.WarrantServiceGrpc.WarrantServiceBlockingStub warrants,
                                                          WarrantSpec.Builder spec) {
        io.escrow.proto.v1.Warrant w = warrants.fileWarrant(io.escrow.proto.v1.FileWarrantRequest.newBuilder().setSpec(spec).build());
        for (String authority : TestAuthorities.CONFIGURED) {
            w = warrants.approveWarrant(io.escrow.proto.v1.ApproveWarrantRequest.newBuilder().setWarrantId(w.getWarrantId())
                    .setCmsSignature(sign(w.getSignedBytes(), authority)).build());
        }
        return w;
    }
}
