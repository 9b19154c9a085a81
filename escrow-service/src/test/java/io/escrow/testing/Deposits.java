package io.escrow.testing;

import com.google.protobuf.ByteString;
import io.escrow.hpke.Hpke;
import io.escrow.hpke.HpkeSuite;
import io.escrow.proto.v1.DepositRequest;
import io.escrow.proto.v1.EscrowKey;
import java.nio.charset.StandardCharsets;
import java.security.SecureRandom;
import java.util.UUID;

/**
 * Deposits sealed as contract §1 spells them out. The info and aad strings are written here
 * literally, not taken from the service's code, so a mistake there cannot hide in both.
 */
public final class Deposits {
    private static final SecureRandom RANDOM = new SecureRandom();
    private static final Hpke HPKE = new Hpke(HpkeSuite.P256_SHA256_AES256GCM);

    private Deposits() {}

    /** {@code sessionKey} sealed to {@code key} for {@code subject} over [from, until], with a random provider_record_id. */
    public static DepositRequest sealed(EscrowKey key, String subject, long from, long until, byte[] sessionKey) {
        byte[] info = ("escrow/v1/deposit/" + key.getKeyId()).getBytes(StandardCharsets.UTF_8);
        byte[] aad = (subject + "\n" + from + "\n" + until).getBytes(StandardCharsets.UTF_8);
        Hpke.Sealed s = HPKE.seal(key.getPublicKey().toByteArray(), info, aad, sessionKey, RANDOM);
        return DepositRequest.newBuilder().setProviderRecordId(UUID.randomUUID().toString()).setSubjectId(subject)
                .setKeyId(key.getKeyId()).setCoversFrom(Warrants.ts(from)).setCoversUntil(Warrants.ts(until))
                .setEnc(ByteString.copyFrom(s.enc())).setCiphertext(ByteString.copyFrom(s.ciphertext())).build();
    }
}
