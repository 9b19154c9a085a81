package io.escrow.deposit;

import io.escrow.error.EscrowException;

/** The provider already deposited this provider_record_id with different contents. */
public final class DepositConflictException extends EscrowException {
    public DepositConflictException(String providerRecordId) {
        super(Category.ALREADY_EXISTS, "provider_record_id: '" + providerRecordId
                + "' was already deposited with different contents");
    }
}
