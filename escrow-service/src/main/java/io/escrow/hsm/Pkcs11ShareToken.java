package io.escrow.hsm;

import io.escrow.threshold.SecretScalar;
import io.escrow.threshold.ShareToken;
import java.io.IOException;
import java.io.InputStream;
import java.math.BigInteger;
import java.nio.charset.StandardCharsets;
import java.security.AuthProvider;
import java.security.GeneralSecurityException;
import java.security.KeyFactory;
import java.security.KeyStore;
import java.security.PrivateKey;
import java.security.Provider;
import java.security.PublicKey;
import java.security.Security;
import java.security.cert.Certificate;
import java.security.cert.X509Certificate;
import java.security.interfaces.ECPrivateKey;
import java.security.spec.ECParameterSpec;
import java.security.spec.ECPrivateKeySpec;
import java.security.spec.ECPublicKeySpec;
import java.time.Duration;
import java.time.Instant;
import java.util.Arrays;
import java.util.Date;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;
import javax.crypto.KeyAgreement;
import javax.security.auth.login.LoginException;
import org.bouncycastle.asn1.x500.X500Name;
import org.bouncycastle.cert.jcajce.JcaX509CertificateConverter;
import org.bouncycastle.cert.jcajce.JcaX509v3CertificateBuilder;
import org.bouncycastle.math.ec.ECPoint;
import org.bouncycastle.operator.OperatorCreationException;
import org.bouncycastle.operator.jcajce.JcaContentSignerBuilder;
import sun.security.pkcs11.wrapper.PKCS11Exception;

/**
 * One custodian's share token, reached through the JDK's SunPKCS11 provider. Shares are stored
 * under their key_id as sensitive, non-extractable, derive-only EC keys (see
 * {@code hsm-config/sunpkcs11-custodian.cfg}). Each thread gets its own {@link KeyAgreement}:
 * SunPKCS11 returns wrong secrets when one instance is shared.
 */
public final class Pkcs11ShareToken implements ShareToken, AutoCloseable {
    private static final String PROVIDER_TEMPLATE = "hsm-config/sunpkcs11-custodian.cfg";
    private static final AtomicInteger INSTANCES = new AtomicInteger();
    /**
     * One SunPKCS11 provider per token (library and slot), reused by every login to it: a
     * provider holds native sessions and is never released, and login state is per process and
     * slot anyway, so a provider per login (one per custodian activation) only leaked them.
     */
    private static final java.util.concurrent.ConcurrentMap<String, Provider> PROVIDERS = new java.util.concurrent.ConcurrentHashMap<>();
    private static final ECParameterSpec P256_SPEC = p256Spec();

    private final TokenConfig config;
    private final Provider provider;
    private final KeyStore keyStore;
    private final Map<String, PrivateKey> shares = new ConcurrentHashMap<>();
    private final ThreadLocal<KeyAgreement> agreements;
    private final ThreadLocal<KeyFactory> keyFactories = ThreadLocal.withInitial(Pkcs11ShareToken::ecKeyFactory);

    private Pkcs11ShareToken(TokenConfig config, Provider provider, KeyStore keyStore) {
        this.config = config;
        this.provider = provider;
        this.keyStore = keyStore;
        this.agreements = ThreadLocal.withInitial(() -> {
            try {
                return KeyAgreement.getInstance("ECDH", provider);
            } catch (GeneralSecurityException e) {
                throw new HsmException(config.custodianId(), "token provider offers no ECDH", e);
            }
        });
    }

    /** Finds the token by label, builds its provider and logs in. */
    public static Pkcs11ShareToken open(TokenConfig config) {
        String id = config.custodianId();
        long slot = Pkcs11Slots.slotOf(id, config.library(), config.label());
        Provider provider;
        try {
            provider = PROVIDERS.computeIfAbsent(config.library() + "#" + slot, k -> Security.getProvider("SunPKCS11")
                    .configure("--" + providerTemplate()
                            .replace("@NAME@", sanitize(id) + "-" + INSTANCES.incrementAndGet())
                            .replace("@LIBRARY@", config.library().toString())
                            .replace("@SLOT@", Long.toString(slot))));
        } catch (RuntimeException e) {
            throw new HsmException(id, "SunPKCS11 rejected the configuration for token '" + config.label() + "': " + e.getMessage(), e);
        }
        char[] pin = config.pin().read(id);
        try {
            KeyStore ks = KeyStore.getInstance("PKCS11", provider);
            ks.load(null, pin);
            return new Pkcs11ShareToken(config, provider, ks);
        } catch (IOException | GeneralSecurityException e) {
            throw loginFailure(config, e);
        } finally {
            Arrays.fill(pin, '\0');
        }
    }

    @Override
    public String custodianId() {
        return config.custodianId();
    }

    /** The provider this token signs and derives through (shared by every login to the same token). */
    Provider provider() {
        return provider;
    }

    public String label() {
        return config.label();
    }

    @Override
    public boolean hasShare(String keyId) {
        try {
            if (shares.containsKey(keyId) || keyStore.containsAlias(keyId)) {
                return true;
            }
            rescan();
            return keyStore.containsAlias(keyId);
        } catch (GeneralSecurityException | RuntimeException e) {
            throw new HsmException(custodianId(), "cannot list keys in token '" + config.label() + "': " + e.getMessage(), e);
        }
    }

    @Override
    public void importShare(String keyId, SecretScalar share, ECPoint publicShare) {
        try {
            KeyFactory kf = ecKeyFactory();
            ECPrivateKey software = (ECPrivateKey) kf.generatePrivate(new ECPrivateKeySpec(share.toBigInteger(), P256_SPEC));
            PublicKey pub = toJavaKey(kf, publicShare);
            X509Certificate cert = selfSigned(keyId, software, pub);
            // SunPKCS11 stores a private key only together with a certificate chain.
            keyStore.setEntry(keyId, new KeyStore.PrivateKeyEntry(software, new Certificate[] {cert}), null);
            shares.remove(keyId);
        } catch (GeneralSecurityException | RuntimeException e) {
            throw new HsmException(custodianId(), "could not import the share of " + keyId + " into token '"
                    + config.label() + "': " + rootMessage(e), e);
        }
    }

    @Override
    public void deleteShare(String keyId) {
        try {
            shares.remove(keyId);
            keyStore.deleteEntry(keyId);
        } catch (GeneralSecurityException e) {
            throw new HsmException(custodianId(), "could not delete the share of " + keyId + ": " + rootMessage(e), e);
        }
    }

    @Override
    public byte[] deriveX(String keyId, ECPoint point) {
        PrivateKey share = share(keyId);
        KeyAgreement ka = agreements.get();
        try {
            ka.init(share);
            ka.doPhase(toJavaKey(keyFactories.get(), point), true);
            return ka.generateSecret();
        } catch (GeneralSecurityException | RuntimeException e) {
            throw new HsmException(custodianId(), "ECDH failed in token '" + config.label() + "': " + rootMessage(e), e);
        }
    }

    private PrivateKey share(String keyId) {
        PrivateKey k = shares.get(keyId);
        if (k != null) {
            return k;
        }
        try {
            Object found = keyStore.getKey(keyId, null);
            if (!(found instanceof PrivateKey)) {
                // SunPKCS11 lists a token's objects when it loads: a share imported since (by a
                // rotation ceremony in another process) appears only after the list is read again.
                rescan();
                found = keyStore.getKey(keyId, null);
            }
            if (!(found instanceof PrivateKey key)) {
                throw new HsmException(custodianId(), "token '" + config.label() + "' holds no share of key " + keyId);
            }
            shares.put(keyId, key);
            return key;
        } catch (GeneralSecurityException | RuntimeException e) {
            if (e instanceof HsmException he) {
                throw he;
            }
            throw new HsmException(custodianId(), "cannot read key " + keyId + " from token '" + config.label() + "': " + rootMessage(e), e);
        }
    }

    /**
     * Reads the token's object list again. The session stays logged in, so no PIN is needed: the
     * key store is reloaded without one.
     */
    private synchronized void rescan() {
        try {
            keyStore.load(null, null);
        } catch (IOException | GeneralSecurityException | RuntimeException e) {
            throw new HsmException(custodianId(), "cannot list the keys of token '" + config.label() + "' again: " + rootMessage(e), e);
        }
    }

    /** Logs out of the token. The provider is never registered globally, so nothing else holds it. */
    @Override
    public void close() {
        shares.clear();
        if (provider instanceof AuthProvider auth) {
            try {
                auth.logout();
            } catch (LoginException | RuntimeException ignored) {
                // Logging out of a token that has gone away cannot fail in a way that matters.
            }
        }
    }

    @Override
    public String toString() {
        return "Pkcs11ShareToken[" + custodianId() + ", label=" + config.label() + "]";
    }

    private static HsmException loginFailure(TokenConfig config, Exception e) {
        for (Throwable t = e; t != null; t = t.getCause()) {
            if (t instanceof PKCS11Exception p) {
                String code = p.getMessage();
                if (code != null && (code.contains("CKR_PIN_INCORRECT") || code.contains("CKR_PIN_LEN_RANGE")
                        || code.contains("CKR_PIN_INVALID") || code.contains("CKR_PIN_LOCKED"))) {
                    throw new HsmException.WrongPin(config.custodianId(), config.label(), code);
                }
            }
            if (t instanceof javax.security.auth.login.FailedLoginException) {
                throw new HsmException.WrongPin(config.custodianId(), config.label(), "login failed");
            }
        }
        return new HsmException(config.custodianId(), "cannot log in to token '" + config.label() + "': " + rootMessage(e), e);
    }

    private static String rootMessage(Throwable e) {
        Throwable root = e;
        while (root.getCause() != null && root.getCause() != root) {
            root = root.getCause();
        }
        String m = root.getMessage();
        return root == e ? String.valueOf(m) : e.getMessage() + " (" + m + ")";
    }

    private static X509Certificate selfSigned(String keyId, PrivateKey key, PublicKey pub) throws GeneralSecurityException {
        X500Name name = new X500Name("CN=escrow share " + keyId);
        Instant now = Instant.now();
        try {
            var builder = new JcaX509v3CertificateBuilder(name, BigInteger.valueOf(now.toEpochMilli()),
                    Date.from(now.minus(Duration.ofMinutes(5))), Date.from(now.plus(Duration.ofDays(3650 * 3))), name, pub);
            var signer = new JcaContentSignerBuilder("SHA256withECDSA").build(key);
            return new JcaX509CertificateConverter().getCertificate(builder.build(signer));
        } catch (OperatorCreationException e) {
            throw new GeneralSecurityException("cannot sign the share's certificate", e);
        }
    }

    private static PublicKey toJavaKey(KeyFactory kf, ECPoint point) {
        ECPoint p = point.normalize();
        var w = new java.security.spec.ECPoint(p.getAffineXCoord().toBigInteger(), p.getAffineYCoord().toBigInteger());
        try {
            return kf.generatePublic(new ECPublicKeySpec(w, P256_SPEC));
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException("SunEC rejected a validated P-256 point", e);
        }
    }

    private static KeyFactory ecKeyFactory() {
        try {
            return KeyFactory.getInstance("EC", "SunEC");
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException("the SunEC provider is missing", e);
        }
    }

    private static ECParameterSpec p256Spec() {
        try {
            var params = java.security.AlgorithmParameters.getInstance("EC", "SunEC");
            params.init(new java.security.spec.ECGenParameterSpec("secp256r1"));
            return params.getParameterSpec(ECParameterSpec.class);
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException("SunEC does not know secp256r1", e);
        }
    }

    private static String providerTemplate() {
        try (InputStream in = Pkcs11ShareToken.class.getClassLoader().getResourceAsStream(PROVIDER_TEMPLATE)) {
            if (in == null) {
                throw new IllegalStateException("resource " + PROVIDER_TEMPLATE + " is missing from the build");
            }
            return new String(in.readAllBytes(), StandardCharsets.UTF_8);
        } catch (IOException e) {
            throw new IllegalStateException("cannot read " + PROVIDER_TEMPLATE, e);
        }
    }

    private static String sanitize(String s) {
        return s.replaceAll("[^A-Za-z0-9_-]", "_");
    }
}
