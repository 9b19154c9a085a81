package io.escrow.fuzz;

import com.google.protobuf.InvalidProtocolBufferException;
import io.escrow.audit.AuditEntry;
import io.escrow.cms.CmsSignatureVerifier;
import io.escrow.cms.RevocationLists;
import io.escrow.cms.TrustAnchors;
import io.escrow.config.ConfigurationException;
import io.escrow.error.EscrowException;
import io.escrow.keys.FileKeyRegistry;
import io.escrow.keys.KeyRegistry;
import io.escrow.note.Checkpoint;
import io.escrow.note.NoteFormatException;
import io.escrow.note.SignedNote;
import io.escrow.note.VerifierKey;
import io.escrow.proto.v1.DepositRequest;
import io.escrow.threshold.CustodianShare;
import io.escrow.threshold.InvalidPointException;
import io.escrow.threshold.KeyRecord;
import io.escrow.threshold.P256;
import io.escrow.threshold.SecretScalar;
import io.escrow.threshold.Shamir;
import io.escrow.threshold.ThresholdParameters;
import io.escrow.transport.DepositRequests;
import io.escrow.warrant.SignedBytes;
import io.escrow.witness.AddCheckpointRequest;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.math.BigInteger;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.SecureRandom;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.atomic.AtomicLongArray;
import org.bouncycastle.math.ec.ECPoint;

/**
 * The untrusted-input parsers, each run on arbitrary bytes. A typed refusal is the expected
 * answer to garbage; any other exception, or an accepted input that does not encode back to the
 * same bytes where the format is canonical, is a finding (it propagates to Jazzer).
 */
final class ParserTargets {
    static final String[] NAMES = {"cms", "deposit", "audit_leaf", "signed_bytes", "crl", "p256_point", "note"};
    static final AtomicLongArray EXECUTIONS = new AtomicLongArray(NAMES.length);

    private ParserTargets() {}

    static void run(int target, byte[] input) {
        EXECUTIONS.incrementAndGet(target);
        switch (target) {
            case 0 -> cms(input);
            case 1 -> deposit(input);
            case 2 -> auditLeaf(input);
            case 3 -> signedBytes(input);
            case 4 -> crl(input);
            case 5 -> p256Point(input);
            case 6 -> note(input);
            default -> throw new IllegalArgumentException("no target " + target);
        }
    }

    /** CMS approval parsing and verification, against a real trust anchor. */
    static void cms(byte[] input) {
        try {
            CmsSignatureVerifier.verify(input, "escrow/v1/warrant".getBytes(StandardCharsets.UTF_8), Fixtures.ANCHORS,
                    Instant.EPOCH, Instant.now());
        } catch (EscrowException expected) {
            // refused with a typed error
        }
    }

    /** A DepositRequest from wire bytes through the transport's validation, with a real key record. */
    static void deposit(byte[] input) {
        DepositRequest r;
        try {
            r = DepositRequest.parseFrom(input);
        } catch (InvalidProtocolBufferException expected) {
            return;
        }
        try {
            DepositRequests.toDeposit(r, Fixtures.KEYS);
        } catch (EscrowException expected) {
            // refused with a typed error
        }
    }

    /** Audit leaf decoding; a leaf that decodes must encode to the same bytes. */
    static void auditLeaf(byte[] input) {
        AuditEntry e;
        try {
            e = AuditEntry.decode(input);
        } catch (IllegalArgumentException expected) {
            return;
        }
        if (!Arrays.equals(input, e.encode())) {
            throw new AssertionError("an audit leaf decoded but does not encode to the same bytes");
        }
    }

    /** signed_bytes decoding; what decodes must encode to the same bytes (authorities sign these exact bytes). */
    static void signedBytes(byte[] input) {
        SignedBytes.Decoded d;
        try {
            d = SignedBytes.decode("signed_bytes", input);
        } catch (EscrowException expected) {
            return;
        }
        if (!Arrays.equals(input, SignedBytes.encode(d.warrantId(), d.spec()))) {
            throw new AssertionError("signed bytes decoded but do not encode to the same bytes");
        }
    }

    static void crl(byte[] input) {
        try {
            RevocationLists.parse("fuzz", "input", new ByteArrayInputStream(input));
        } catch (ConfigurationException expected) {
            // refused with a typed error
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** P-256 point decoding; a point that decodes must encode to the same bytes. */
    static void p256Point(byte[] input) {
        ECPoint p;
        try {
            p = P256.decodeUncompressed("enc", input);
        } catch (InvalidPointException expected) {
            return;
        }
        if (!Arrays.equals(input, P256.encodeUncompressed(p))) {
            throw new AssertionError("a point decoded but does not encode to the same bytes");
        }
        if (input.length >= 33) {
            ECPoint lifted = P256.liftX(Arrays.copyOfRange(input, 1, 33));
            if (lifted == null || !lifted.normalize().getAffineXCoord().equals(p.getAffineXCoord())) {
                throw new AssertionError("the x of a valid point does not lift to a point with that x");
            }
        }
    }

    /** Signed notes, checkpoints, verifier keys and add-checkpoint requests; notes encode back to the same bytes. */
    static void note(byte[] input) {
        try {
            SignedNote n = SignedNote.parse(input);
            if (!Arrays.equals(input, n.encode())) {
                throw new AssertionError("a note parsed but does not encode to the same bytes");
            }
            Checkpoint.parse(n);
        } catch (NoteFormatException expected) {
            // refused with a typed error
        }
        try {
            AddCheckpointRequest r = AddCheckpointRequest.parse(input);
            if (!Arrays.equals(input, r.encode())) {
                throw new AssertionError("an add-checkpoint request parsed but does not encode to the same bytes: they differ at "
                        + Arrays.mismatch(input, r.encode()) + " of " + input.length);
            }
        } catch (NoteFormatException expected) {
            // refused with a typed error
        }
        try {
            VerifierKey k = VerifierKey.parse(new String(input, StandardCharsets.UTF_8));
            if (!k.encode().equals(new String(input, StandardCharsets.UTF_8).strip())) {
                throw new AssertionError("a verifier key parsed but does not encode to the same text");
            }
        } catch (NoteFormatException expected) {
            // refused with a typed error
        }
    }

    /** What the targets check against: a real CA, and a real 2-of-3 key record in a file registry. */
    static final class Fixtures {
        static final TrustAnchors ANCHORS;
        static final KeyRegistry KEYS;

        static {
            try {
                ANCHORS = new TrustAnchors(java.util.Map.of("court", List.of(io.escrow.cms.CertificateIssuer.selfSignedCa(
                        "CN=fuzz court CA", Instant.now().minusSeconds(3600), Instant.now().plusSeconds(86400)).certificate())));
                Path dir = Files.createTempDirectory("fuzz-keys-");
                FileKeyRegistry keys = new FileKeyRegistry(dir);
                keys.add(keyRecord("ek-fuzz-01"));
                KEYS = keys;
            } catch (Exception e) {
                throw new IllegalStateException(e);
            }
        }

        private static KeyRecord keyRecord(String keyId) {
            SecureRandom rng = new SecureRandom();
            ThresholdParameters params = new ThresholdParameters(2, 3);
            BigInteger secret = Shamir.randomNonZeroScalar(rng);
            Shamir.Sharing sharing = Shamir.split(SecretScalar.of(secret), params, rng);
            List<CustodianShare> shares = new ArrayList<>();
            for (var s : sharing.shares()) {
                shares.add(new CustodianShare("custodian-" + s.index(), s.index(), P256.G.multiply(s.value().toBigInteger())));
            }
            ECPoint publicKey = P256.G.multiply(secret.multiply(params.shareScale()).mod(P256.ORDER));
            return new KeyRecord(keyId, publicKey, params, params.shareScale(), sharing.commitments(), shares, Instant.now());
        }
    }
}
