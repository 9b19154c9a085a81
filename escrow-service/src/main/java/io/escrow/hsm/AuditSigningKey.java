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
 *
 * <p>When the token fails (a network HSM unreachable, its objects gone), signing throws and the
 * next attempt, at most once a second, opens the token again. The reopened token must hold the
 * same two public keys; it never generates new ones.
 */
public final class AuditSigningKey implements AutoCloseable {
    public static final String ALIAS = "tree-head-signing";
    public static final String ED25519_LABEL = "tree-head-ed25519";
    /** How often a token that failed is tried again: signing is retried by the publisher every tick. */
    static final long REOPEN_INTERVAL_NANOS = 1_000_000_000L;

    /** The keys as found in one opening of the token; replaced as a whole when the token comes back. */
    private static final class Opened {
        final Provider provider;
        final PrivateKey key;
        final PublicKey publicKey;
        final ThreadLocal<Signature> signers;
        final Pkcs11Ed25519Key ed25519;

        Opened(String label, Provider provider, PrivateKey key, PublicKey publicKey, Pkcs11Ed25519Key ed25519) {
            this.provider = provider;
            this.key = key;
            this.publicKey = publicKey;
            this.ed25519 = ed25519;
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
    }

    private final TokenConfig config;
    private final byte[] spki;
    private final byte[] ed25519PublicKey;
    /** Null while the token is away; guarded by this for reopening. */
    private volatile Opened opened;
    private long nextReopen;

    private AuditSigningKey(TokenConfig config, Opened opened) {
        this.config = config;
        this.opened = opened;
        this.spki = opened.publicKey.getEncoded();
        this.ed25519PublicKey = opened.ed25519.publicKey();
    }

    /** Logs in to the audit token and returns its signing key, generating it inside the token if absent. */
    public static AuditSigningKey openOrCreate(TokenConfig config) {
        Pkcs11Ed25519Key ed25519 = Pkcs11Ed25519Key.open(config, ED25519_LABEL, true);
        return new AuditSigningKey(config, open(config, newProvider(config), ed25519, true));
    }

    /**
     * A SunPKCS11 provider of its own for the audit token. A token that comes back after an
     * outage gets a new one: the old provider's pooled sessions died with the outage.
     */
    private static Provider newProvider(TokenConfig config) {
        String id = config.custodianId();
        long slot = Pkcs11Slots.slotOf(id, config.library(), config.label());
        String providerConfig = "name = audit-" + id.replaceAll("[^A-Za-z0-9_-]", "_") + "\nlibrary = " + config.library()
                + "\nslot = " + slot + "\n"
                + "attributes(generate, CKO_PRIVATE_KEY, CKK_EC) = {\n  CKA_TOKEN = true\n  CKA_PRIVATE = true\n"
                + "  CKA_SENSITIVE = true\n  CKA_EXTRACTABLE = false\n  CKA_SIGN = true\n  CKA_DERIVE = false\n}\n"
                + "attributes(generate, CKO_PUBLIC_KEY, CKK_EC) = {\n  CKA_TOKEN = true\n  CKA_VERIFY = true\n}\n";
        return Security.getProvider("SunPKCS11").configure("--" + providerConfig);
    }

    /**
     * Finds both keys in the token (generating them first when {@code create} is set). Only the
     * first opening may create: a token that comes back without its keys must not silently
     * become a new log identity.
     */
    private static Opened open(TokenConfig config, Provider provider, Pkcs11Ed25519Key ed25519, boolean create) {
        String id = config.custodianId();
        char[] pin = config.pin().read(id);
        try {
            KeyStore ks = KeyStore.getInstance("PKCS11", provider);
            ks.load(null, pin);
            if (!ks.containsAlias(ALIAS) && create) {
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
            return new Opened(config.label(), provider, key, cert.getPublicKey(), ed25519);
        } catch (IOException | GeneralSecurityException | java.security.ProviderException e) {
            ed25519.close();
            throw new HsmException(id, "cannot open the tree-head signing key in token '" + config.label() + "': "
                    + e.getMessage(), e);
        } finally {
            Arrays.fill(pin, '\0');
        }
    }

    /**
     * The keys to sign with: after a failure, the token is opened again (at most once a second)
     * and used only if it still holds the very same two keys.
     */
    private Opened current() {
        Opened o = opened;
        if (o != null) {
            return o;
        }
        synchronized (this) {
            if (opened != null) {
                return opened;
            }
            long now = System.nanoTime();
            if (now - nextReopen < 0) {
                throw new HsmException(config.label(), "the audit token is unavailable; trying it again shortly");
            }
            nextReopen = now + REOPEN_INTERVAL_NANOS;
            // Probe with one new session first, so that no provider is made while the token is still away.
            Pkcs11Ed25519Key ed25519 = Pkcs11Ed25519Key.open(config, ED25519_LABEL, false);
            if (!Arrays.equals(ed25519.publicKey(), ed25519PublicKey)) {
                ed25519.close();
                throw differentKeys();
            }
            Opened fresh = open(config, newProvider(config), ed25519, false);
            if (!Arrays.equals(fresh.publicKey.getEncoded(), spki)) {
                fresh.ed25519.close();
                throw differentKeys();
            }
            opened = fresh;
            return fresh;
        }
    }

    private HsmException differentKeys() {
        return new HsmException(config.label(), "the audit token came back with different tree-head keys; "
                + "refusing to sign with them (the log's keys are fixed)");
    }

    /** Drops the keys after a failure, so that the next signature opens the token again. */
    private synchronized void failed(Opened o) {
        if (opened == o) {
            opened = null;
            o.ed25519.close();
            logout(o.provider);
        }
    }

    private static void logout(Provider provider) {
        if (provider instanceof java.security.AuthProvider auth) {
            try {
                auth.logout();
            } catch (javax.security.auth.login.LoginException | RuntimeException ignored) {
                // A token that has gone away needs no logout.
            }
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
        Opened o = current();
        try {
            Signature s = o.signers.get();
            s.update(data);
            return s.sign();
        } catch (GeneralSecurityException | java.security.ProviderException | HsmException e) {
            failed(o);
            throw new HsmException(config.label(), "the audit token failed to sign: " + e.getMessage(), e);
        }
    }

    /** An Ed25519 signature over {@code data}, made inside the token. */
    public byte[] signEd25519(byte[] data) {
        Opened o = current();
        try {
            return o.ed25519.sign(data);
        } catch (HsmException e) {
            failed(o);
            throw e;
        }
    }

    /** The 32-byte public key of the Ed25519 signing key. */
    public byte[] ed25519PublicKey() {
        return ed25519PublicKey.clone();
    }

    /** DER SubjectPublicKeyInfo of the signing key. */
    public byte[] publicKeySpki() {
        return spki.clone();
    }

    @Override
    public synchronized void close() {
        if (opened != null) {
            opened.ed25519.close();
            logout(opened.provider);
            opened = null;
        }
    }

    @Override
    public String toString() {
        return "AuditSigningKey[token " + config.label() + ", key in token]";
    }
}
