package io.escrow.threshold;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import io.escrow.testing.Vectors;
import java.math.BigInteger;
import org.bouncycastle.math.ec.ECPoint;
import org.bouncycastle.util.encoders.Hex;
import org.junit.jupiter.api.Test;

/** Project Wycheproof's P-256 ECDH point cases against the single point validator. */
class P256WycheproofTest {
    private static final JsonNode TESTS = Vectors.load("ecdh_secp256r1_ecpoint_test.json").get("testGroups").get(0).get("tests");

    @Test
    void decodeUncompressed_rejectsEveryInvalidCase() {
        int checked = 0;
        for (JsonNode t : TESTS) {
            if (t.get("result").asText().equals("invalid")) {
                byte[] pub = Hex.decode(t.get("public").asText());
                assertThrows(InvalidPointException.class, () -> P256.decodeUncompressed("enc", pub),
                        "tcId " + t.get("tcId") + ": " + t.get("comment"));
                checked++;
            }
        }
        assertTrue(checked >= 24, "expected all invalid cases, saw " + checked);
    }

    @Test
    void decodeUncompressed_acceptsValidUncompressedCases_andEcdhMatches() {
        int checked = 0;
        for (JsonNode t : TESTS) {
            byte[] pub = Hex.decode(t.get("public").asText());
            if (!t.get("result").asText().equals("valid") || pub.length != 65) {
                continue;
            }
            ECPoint p = P256.decodeUncompressed("enc", pub);
            BigInteger d = new BigInteger(1, Hex.decode(t.get("private").asText()));
            byte[] shared = P256.xBytes(p.multiply(d.mod(P256.ORDER)).normalize());
            assertArrayEquals(Hex.decode(t.get("shared").asText()), shared, "tcId " + t.get("tcId"));
            checked++;
        }
        assertTrue(checked > 300, "expected the valid uncompressed cases, saw " + checked);
    }

    @Test
    void decodeUncompressed_rejectsCompressedEncoding() {
        byte[] compressed = P256.G.getEncoded(true);
        assertThrows(InvalidPointException.class, () -> P256.decodeUncompressed("enc", compressed));
    }

    @Test
    void decodeUncompressed_rejectsIdentityAndCoordinatesOutsideField() {
        byte[] zero = new byte[65];
        zero[0] = 4;
        var e = assertThrows(InvalidPointException.class, () -> P256.decodeUncompressed("enc", zero));
        assertTrue(e.getMessage().startsWith("enc: "), e.getMessage());
        byte[] big = P256.encodeUncompressed(P256.G);
        byte[] p = org.bouncycastle.util.BigIntegers.asUnsignedByteArray(32, P256.FIELD_PRIME.add(P256.G.getAffineXCoord().toBigInteger()).mod(BigInteger.ONE.shiftLeft(256)));
        System.arraycopy(p, 0, big, 1, 32);
        assertThrows(InvalidPointException.class, () -> P256.decodeUncompressed("enc", big));
        assertThrows(InvalidPointException.class, () -> P256.decodeUncompressed("enc", new byte[0]));
        assertThrows(InvalidPointException.class, () -> P256.decodeUncompressed("enc", null));
    }

    @Test
    void liftX_recoversPointUpToSign() {
        ECPoint p = P256.G.multiply(BigInteger.valueOf(123456789)).normalize();
        ECPoint lifted = P256.liftX(P256.xBytes(p));
        assertTrue(lifted.equals(p) || lifted.equals(p.negate()));
    }
}
