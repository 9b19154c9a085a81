package io.escrow.hsm;

import java.io.IOException;
import java.math.BigInteger;
import java.security.GeneralSecurityException;
import java.security.KeyPair;
import java.security.KeyPairGenerator;
import java.security.KeyStore;
import java.security.PrivateKey;
import java.security.Provider;
import java.security.PublicKey;
import java.security.Security;
import java.security.Signature;
import java.security.cert.Certificate;
import java.security.cert.X509Certificate;
import java.security.spec.ECGenParameterSpec;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.Arrays;
import java.util.Date;
import javax.security.auth.x500.X500Principal;
import org.bouncycastle.cert.jcajce.JcaX509CertificateConverter;
import org.bouncycastle.cert.jcajce.JcaX509v3CertificateBuilder;
import org.bouncycastle.operator.jcajce.JcaContentSignerBuilder;

/**
 * The tree-head signing keys, both generated inside the {@code audit} PKCS#11 token (sensitive,
 * not extractable, sign-only) on first use and found afterwards: an ECDSA P-256 key, which signs
 * the contract's {@code SignedTreeHead.signature} and is a note signer of type 0x02, and an
 * Ed25519 key, a note signer of type 0x01, which witnesses that accept only Ed25519 log keys
 * (litewitness, the public witness network) verify. Callers must serialise first use across
 * replicas (the service holds a database lock).
 */
public final class AuditSigningKey implements AutoCloseable {
    public static final String ALIAS = "tree-head-signing";
    public static final String ED25519_LABEL = "tree-head-ed25519";

    private final String label;
    private final Provider provider;
    private final PrivateKey key;
    private final PublicKey publicKey;
    private final ThreadLocal<Signature> signers;
    private final Pkcs11Ed25519Key ed25519;

    private AuditSigningKey(String label, Provider provider, PrivateKey key, PublicKey publicKey, Pkcs11Ed25519Key ed25519) {
        this.label = label;
        this.ed25519 = ed25519;
        this.provider = provider;
        this.key = key;
        this.publicKey = publicKey;
        this.signers = ThreadLocal.withInitial(() -> {
            try {
                Signature s = Signature.getInstance("SHA256withECDSA", provider);
                s.initSign(key);
                return s;
            } catch (GeneralSecurityException e) {
                throw new HsmException(label, "the audit token cannot sign with ECDSA: " + e.getMessage(), e);
            }
        });
    }

    /** Logs in to the audit token and returns its signing key, generating it inside the token if absent. */
    public static AuditSigningKey openOrCreate(TokenConfig config) {
        String id = config.custodianId();
        long slot = Pkcs11Slots.slotOf(id, config.library(), config.label());
        String providerConfig = "name = audit-" + id.replaceAll("[^A-Za-z0-9_-]", "_") + "\nlibrary = " + config.library()
                + "\nslot = " + slot + "\n"
                + "attributes(generate, CKO_PRIVATE_KEY, CKK_EC) = {\n  CKA_TOKEN = true\n  CKA_PRIVATE = true\n"
                + "  CKA_SENSITIVE = true\n  CKA_EXTRACTABLE = false\n  CKA_SIGN = true\n  CKA_DERIVE = false\n}\n"
                + "attributes(generate, CKO_PUBLIC_KEY, CKK_EC) = {\n  CKA_TOKEN = true\n  CKA_VERIFY = true\n}\n";
        Provider provider = Security.getProvider("SunPKCS11").configure("--" + providerConfig);
        char[] pin = config.pin().read(id);
        try {
            KeyStore ks = KeyStore.getInstance("PKCS11", provider);
            ks.load(null, pin);
            if (!ks.containsAlias(ALIAS)) {
                KeyPairGenerator g = KeyPairGenerator.getInstance("EC", provider);
                g.initialize(new ECGenParameterSpec("secp256r1"));
                KeyPair kp = g.generateKeyPair();
                // SunPKCS11 names a key by the certificate stored with it.
                ks.setKeyEntry(ALIAS, kp.getPrivate(), null, new Certificate[] {selfSigned(kp, provider)});
            }
            PrivateKey key = (PrivateKey) ks.getKey(ALIAS, null);
            Certificate cert = ks.getCertificate(ALIAS);
            if (key == null || cert == null) {
                throw new HsmException(id, "token '" + config.label() + "' has no usable key '" + ALIAS + "'");
            }
            return new AuditSigningKey(config.label(), provider, key, cert.getPublicKey(),
                    Pkcs11Ed25519Key.open(config, ED25519_LABEL, true));
        } catch (IOException | GeneralSecurityException e) {
            throw new HsmException(id, "cannot open the tree-head signing key in token '" + config.label() + "': "
                    + e.getMessage(), e);
        } finally {
            Arrays.fill(pin, '\0');
        }
    }

    private static X509Certificate selfSigned(KeyPair kp, Provider provider) throws GeneralSecurityException {
        try {
            X500Principal name = new X500Principal("CN=escrow audit tree-head signing key");
            Instant now = Instant.now().truncatedTo(ChronoUnit.SECONDS);
            return new JcaX509CertificateConverter().getCertificate(new JcaX509v3CertificateBuilder(name, BigInteger.ONE,
                    Date.from(now), Date.from(now.plus(36500, ChronoUnit.DAYS)), name, kp.getPublic())
                    .build(new JcaContentSignerBuilder("SHA256withECDSA").setProvider(provider).build(kp.getPrivate())));
        } catch (org.bouncycastle.operator.OperatorCreationException e) {
            throw new GeneralSecurityException(e);
        }
    }

    /** DER ECDSA P-256/SHA-256 signature over {@code data}, made inside the token. */
    public byte[] sign(byte[] data) {
        try {
            Signature s = signers.get();
            s.update(data);
            return s.sign();
        } catch (GeneralSecurityException e) {
            throw new HsmException(label, "the audit token failed to sign: " + e.getMessage(), e);
        }
    }

    /** An Ed25519 signature over {@code data}, made inside the token. */
    public byte[] signEd25519(byte[] data) {
        return ed25519.sign(data);
    }

    /** The 32-byte public key of the Ed25519 signing key. */
    public byte[] ed25519PublicKey() {
        return ed25519.publicKey();
    }

    /** DER SubjectPublicKeyInfo of the signing key. */
    public byte[] publicKeySpki() {
        return publicKey.getEncoded();
    }

    @Override
    public void close() {
        ed25519.close();
        if (provider instanceof java.security.AuthProvider auth) {
            try {
                auth.logout();
            } catch (javax.security.auth.login.LoginException | RuntimeException ignored) {
                // Shutting down; a token that has gone away needs no logout.
            }
        }
    }

    @Override
    public String toString() {
        return "AuditSigningKey[token " + label + ", key in token]";
    }
}
