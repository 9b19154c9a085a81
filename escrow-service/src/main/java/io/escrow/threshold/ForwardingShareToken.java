package io.escrow.threshold;

import org.bouncycastle.math.ec.ECPoint;

/**
 * A token that passes every call to another: decorators (metrics, a benchmark's simulated
 * latency) extend it and override only what they change.
 */
public abstract class ForwardingShareToken implements ShareToken {
    protected final ShareToken token;

    protected ForwardingShareToken(ShareToken token) {
        this.token = java.util.Objects.requireNonNull(token, "token");
    }

    @Override
    public String custodianId() {
        return token.custodianId();
    }

    @Override
    public boolean hasShare(String keyId) {
        return token.hasShare(keyId);
    }

    @Override
    public void importShare(String keyId, SecretScalar share, ECPoint publicShare) {
        token.importShare(keyId, share, publicShare);
    }

    @Override
    public void deleteShare(String keyId) {
        token.deleteShare(keyId);
    }

    @Override
    public byte[] deriveX(String keyId, ECPoint point) {
        return token.deriveX(keyId, point);
    }

    @Override
    public String toString() {
        return token.toString();
    }
}
