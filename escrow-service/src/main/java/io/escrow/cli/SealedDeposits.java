package io.escrow.cli;

import com.google.protobuf.ByteString;
import com.google.protobuf.Timestamp;
import io.escrow.hpke.ContractLabels;
import io.escrow.hpke.Hpke;
import io.escrow.hpke.HpkeSuite;
import io.escrow.proto.v1.DepositRequest;
import io.escrow.proto.v1.EscrowKey;
import java.security.SecureRandom;

/** Deposits sealed as a messaging provider seals them (contract §1), for the demo and the load generator. */
final class SealedDeposits {
    private static final Hpke HPKE = new Hpke(HpkeSuite.P256_SHA256_AES256GCM);

    private SealedDeposits() {}

    /** A deposit of {@code sessionKey} for {@code subject}; the caller sets provider_record_id. */
    static DepositRequest.Builder seal(EscrowKey key, String subject, long from, long until, byte[] sessionKey, SecureRandom rng) {
        Hpke.Sealed s = HPKE.seal(key.getPublicKey().toByteArray(), ContractLabels.depositInfo(key.getKeyId()),
                ContractLabels.depositAad(subject, from, until), sessionKey, rng);
        return DepositRequest.newBuilder().setSubjectId(subject).setKeyId(key.getKeyId())
                .setCoversFrom(Timestamp.newBuilder().setSeconds(from)).setCoversUntil(Timestamp.newBuilder().setSeconds(until))
                .setEnc(ByteString.copyFrom(s.enc())).setCiphertext(ByteString.copyFrom(s.ciphertext()));
    }
}
