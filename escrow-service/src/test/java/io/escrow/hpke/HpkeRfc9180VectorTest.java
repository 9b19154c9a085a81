package io.escrow.hpke;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;

import com.fasterxml.jackson.databind.JsonNode;
import io.escrow.testing.Vectors;
import org.junit.jupiter.api.Test;

/**
 * RFC 9180 Appendix A.3.1: DHKEM(P-256, HKDF-SHA256), HKDF-SHA256, AES-128-GCM, base mode.
 * The contract's suite differs only in the AEAD (AES-256-GCM), so these vectors test the KEM,
 * the labelled HKDF and the key schedule that the contract's suite uses.
 */
class HpkeRfc9180VectorTest {
    private static final JsonNode V = Vectors.load("rfc9180-a3-p256-sha256-base.json");
    private final Hpke hpke = new Hpke(HpkeSuite.P256_SHA256_AES128GCM);

    @Test
    void deriveKeyPair_matchesEphemeralAndRecipientKeys() {
        Hpke.KeyPair e = hpke.deriveKeyPair(Vectors.hex(V, "ikmE"));
        Hpke.KeyPair r = hpke.deriveKeyPair(Vectors.hex(V, "ikmR"));
        assertArrayEquals(Vectors.hex(V, "skEm"), org.bouncycastle.util.BigIntegers.asUnsignedByteArray(32, e.secret()));
        assertArrayEquals(Vectors.hex(V, "pkEm"), e.publicKeyBytes());
        assertArrayEquals(Vectors.hex(V, "skRm"), org.bouncycastle.util.BigIntegers.asUnsignedByteArray(32, r.secret()));
        assertArrayEquals(Vectors.hex(V, "pkRm"), r.publicKeyBytes());
    }

    @Test
    void encapAndKeySchedule_matchVector() {
        Hpke.KeyPair e = hpke.deriveKeyPair(Vectors.hex(V, "ikmE"));
        Hpke.KeyPair r = hpke.deriveKeyPair(Vectors.hex(V, "ikmR"));
        byte[] dh = io.escrow.threshold.P256.xBytes(r.publicKey().multiply(e.secret()).normalize());
        byte[] shared = hpke.sharedSecretFromDh(dh, e.publicKeyBytes(), r.publicKeyBytes());
        assertArrayEquals(Vectors.hex(V, "shared_secret"), shared);
        byte[] info = Vectors.hex(V, "info");
        assertArrayEquals(Vectors.hex(V, "key_schedule_context"), hpke.keyScheduleContext(info));
        assertArrayEquals(Vectors.hex(V, "secret"), hpke.scheduleSecret(shared));
        HpkeContext ctx = hpke.keySchedule(shared, info);
        assertArrayEquals(Vectors.hex(V, "key"), ctx.key());
        assertArrayEquals(Vectors.hex(V, "base_nonce"), ctx.baseNonce());
        assertArrayEquals(Vectors.hex(V, "exporter_secret"), ctx.exporterSecret());
    }

    @Test
    void encryptions_sealAndOpenEverySequenceNumber() {
        Hpke.KeyPair r = hpke.deriveKeyPair(Vectors.hex(V, "ikmR"));
        byte[] enc = Vectors.hex(V, "enc");
        byte[] dh = io.escrow.threshold.P256.xBytes(
                io.escrow.threshold.P256.decodeUncompressed("enc", enc).multiply(r.secret()).normalize());
        byte[] shared = hpke.sharedSecretFromDh(dh, enc, r.publicKeyBytes());
        HpkeContext sender = hpke.keySchedule(shared, Vectors.hex(V, "info"));
        HpkeContext receiver = hpke.keySchedule(shared, Vectors.hex(V, "info"));
        long expectedSeq = 0;
        for (JsonNode enc1 : V.get("encryptions")) {
            // The vector lists selected sequence numbers; advance both contexts to each one.
            while (expectedSeq < enc1.get("seq").asLong()) {
                byte[] ct = sender.seal(new byte[0], new byte[] {1});
                receiver.openOrNull(new byte[0], ct);
                expectedSeq++;
            }
            assertArrayEquals(Vectors.hex(enc1, "nonce"), sender.nonce());
            byte[] ct = sender.seal(Vectors.hex(enc1, "aad"), Vectors.hex(enc1, "pt"));
            assertArrayEquals(Vectors.hex(enc1, "ct"), ct);
            assertArrayEquals(Vectors.hex(enc1, "pt"), receiver.openOrNull(Vectors.hex(enc1, "aad"), ct));
            expectedSeq++;
        }
        assertEquals(V.get("encryptions").size() > 0, true);
    }

    @Test
    void open_withFlippedTagBit_returnsNull() {
        Hpke.KeyPair r = hpke.deriveKeyPair(Vectors.hex(V, "ikmR"));
        JsonNode first = V.get("encryptions").get(0);
        byte[] ct = Vectors.hex(first, "ct");
        ct[ct.length - 1] ^= 1;
        assertNull(hpke.openOrNull(r, Vectors.hex(V, "enc"), Vectors.hex(V, "info"), Vectors.hex(first, "aad"), ct));
    }
}
