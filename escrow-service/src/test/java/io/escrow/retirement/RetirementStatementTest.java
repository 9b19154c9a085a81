package io.escrow.retirement;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.escrow.error.InvalidArgumentException;
import io.escrow.threshold.P256;
import java.math.BigInteger;
import java.nio.charset.StandardCharsets;
import org.bouncycastle.util.encoders.Hex;
import org.junit.jupiter.api.Test;

/** The retirement and share-destroyed statements: one canonical encoding each, and every malformed one refused. */
class RetirementStatementTest {
    private static final byte[] PUBLIC_KEY = P256.encodeUncompressed(P256.G.multiply(BigInteger.valueOf(7)).normalize());
    private static final String PK = Hex.toHexString(PUBLIC_KEY);

    @Test
    void retirement_encodesAsDocumented_andDecodesBack() {
        RetirementStatement s = new RetirementStatement("custodian-1", "ek-2026-01", PUBLIC_KEY);
        String text = "escrow/v1/key-retirement\ncustodian_id=custodian-1\nkey_id=ek-2026-01\npublic_key=" + PK + "\n";
        assertEquals(text, new String(s.encode(), StandardCharsets.UTF_8));
        assertEquals(s, RetirementStatement.decode(text.getBytes(StandardCharsets.UTF_8)));
    }

    @Test
    void retirement_malformed_isRefused() {
        String good = "escrow/v1/key-retirement\ncustodian_id=custodian-1\nkey_id=ek-2026-01\npublic_key=" + PK + "\n";
        for (String bad : new String[] {
                "",
                good.replace("escrow/v1/key-retirement", "escrow/v1/consent"),
                good.substring(0, good.length() - 1),
                good + "extra=1\n",
                good.replace("custodian_id=", "custodian="),
                good.replace("key_id=ek-2026-01", "key_id=ek 2026"),
                good.replace("key_id=ek-2026-01", "key_id=-ek"),
                good.replace(PK, PK.toUpperCase()),
                good.replace(PK, PK.substring(2)),
                good.replace(PK, "02" + PK.substring(2)),
                good.replace("\n", "\r\n"),
        }) {
            assertThrows(InvalidArgumentException.class, () -> RetirementStatement.decode(bad.getBytes(StandardCharsets.UTF_8)),
                    () -> "accepted: " + bad);
        }
        assertThrows(InvalidArgumentException.class, () -> RetirementStatement.decode(new byte[] {(byte) 0xc3, 0x28}));
        assertThrows(InvalidArgumentException.class, () -> RetirementStatement.decode(new byte[4097]));
    }

    @Test
    void shareDestroyed_roundTrips_andBindsTheConsent() {
        RetirementStatement consent = new RetirementStatement("custodian-2", "ek-1", PUBLIC_KEY);
        ShareDestroyedStatement s = ShareDestroyedStatement.of(consent, consent.encode(), java.time.Instant.ofEpochSecond(1_767_229_200L));
        String text = new String(s.encode(), StandardCharsets.UTF_8);
        assertTrue(text.startsWith("escrow/v1/share-destroyed\ncustodian_id=custodian-2\nkey_id=ek-1\npublic_key=" + PK
                + "\nretirement_sha256="), text);
        assertTrue(text.endsWith("\ndestroyed_at=1767229200\n"), text);
        ShareDestroyedStatement back = ShareDestroyedStatement.decode(s.encode());
        assertEquals(s, back);
        assertArrayEquals(io.escrow.consent.ConsentStatement.sha256(consent.encode()), back.retirementSha256());
    }

    @Test
    void shareDestroyed_malformed_isRefused() {
        RetirementStatement consent = new RetirementStatement("custodian-2", "ek-1", PUBLIC_KEY);
        String good = new String(ShareDestroyedStatement.of(consent, consent.encode(), java.time.Instant.ofEpochSecond(5)).encode(),
                StandardCharsets.UTF_8);
        for (String bad : new String[] {
                good.replace("destroyed_at=5", "destroyed_at=05"),
                good.replace("destroyed_at=5", "destroyed_at=-5"),
                good.replace("destroyed_at=5", "destroyed_at=0"),
                good.replace("retirement_sha256=", "retirement_sha256=00"),
                good.replace("escrow/v1/share-destroyed", "escrow/v1/key-retirement"),
        }) {
            assertThrows(InvalidArgumentException.class, () -> ShareDestroyedStatement.decode(bad.getBytes(StandardCharsets.UTF_8)),
                    () -> "accepted: " + bad);
        }
    }
}
