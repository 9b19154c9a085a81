package io.escrow.transport;

import com.google.protobuf.Timestamp;
import io.escrow.deposit.Deposit;
import io.escrow.deposit.Receipt;
import io.escrow.keys.KeyRegistry;
import io.escrow.proto.v1.DepositReceipt;
import io.escrow.proto.v1.DepositRequest;
import java.time.Instant;

/** Converts between the generated proto messages and the deposit domain; nothing else sees protos. */
final class DepositRequests {
    private DepositRequests() {}

    static Deposit toDeposit(DepositRequest r, KeyRegistry keys) {
        try {
            Utf8CheckingMarshaller.rejectIfMalformed(r);
        } catch (Utf8CheckingMarshaller.MalformedRequestException e) {
            throw new io.escrow.deposit.InvalidDepositException(e.field(), "is not valid UTF-8");
        }
        return Deposit.validate(r.getProviderRecordId(), r.getSubjectId(), r.getKeyId(),
                r.hasCoversFrom() ? instant(r.getCoversFrom()) : null,
                r.hasCoversUntil() ? instant(r.getCoversUntil()) : null,
                r.getEnc().toByteArray(), r.getCiphertext().toByteArray(), keys);
    }

    static DepositReceipt toProto(Receipt receipt) {
        return DepositReceipt.newBuilder()
                .setRecordId(receipt.recordId().toString())
                .setProviderRecordId(receipt.providerRecordId())
                .setAuditIndex(receipt.auditIndex())
                .build();
    }

    /** Out-of-range protobuf timestamps (nanos ≥ 10^9, absurd seconds) are rejected, not clamped. */
    private static Instant instant(Timestamp t) {
        if (t.getNanos() < 0 || t.getNanos() > 999_999_999) {
            return Instant.ofEpochSecond(t.getSeconds(), 1);
        }
        try {
            return Instant.ofEpochSecond(t.getSeconds(), t.getNanos());
        } catch (java.time.DateTimeException e) {
            return Instant.MIN;
        }
    }
}
