package io.escrow.transport;

import io.escrow.deposit.Deposit;
import io.escrow.deposit.Receipt;
import io.escrow.keys.KeyRegistry;
import io.escrow.proto.v1.DepositReceipt;
import io.escrow.proto.v1.DepositRequest;

/** Converts between the generated proto messages and the deposit domain; nothing else sees protos. */
public final class DepositRequests {
    private DepositRequests() {}

    public static Deposit toDeposit(DepositRequest r, KeyRegistry keys) {
        MalformedRequests.reject(r);
        return Deposit.validate(r.getProviderRecordId(), r.getSubjectId(), r.getKeyId(),
                r.hasCoversFrom() ? ProtoTime.instant(r.getCoversFrom()) : null,
                r.hasCoversUntil() ? ProtoTime.instant(r.getCoversUntil()) : null,
                r.getEnc().toByteArray(), r.getCiphertext().toByteArray(), keys);
    }

    static DepositReceipt toProto(Receipt receipt) {
        return DepositReceipt.newBuilder()
                .setRecordId(receipt.recordId().toString())
                .setProviderRecordId(receipt.providerRecordId())
                .setAuditIndex(receipt.auditIndex())
                .build();
    }
}
