package io.escrow.witness;

import io.escrow.hsm.Pkcs11Ed25519Key;

/** A witness key held in a PKCS#11 token: it signs inside the token and never leaves it. */
public final class Pkcs11Cosigner implements Cosigner {
    private final String name;
    private final Pkcs11Ed25519Key key;

    public Pkcs11Cosigner(String name, Pkcs11Ed25519Key key) {
        this.name = name;
        this.key = key;
    }

    @Override
    public String name() {
        return name;
    }

    @Override
    public byte[] publicKey() {
        return key.publicKey();
    }

    @Override
    public byte[] signEd25519(byte[] message) {
        return key.sign(message);
    }

    @Override
    public String toString() {
        return "Pkcs11Cosigner[" + name + ", " + key + "]";
    }
}
