package io.escrow.hsm;

import java.io.IOException;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.security.Key;
import java.security.KeyStore;
import java.security.PrivateKey;
import java.security.Provider;
import java.security.Security;
import java.security.cert.Certificate;
import java.security.cert.X509Certificate;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.List;

/**
 * A signing key held in a PKCS#11 token (an authority's smart card or HSM), found by token label
 * and key alias. The key never leaves the token; signatures are made through {@link #provider()}.
 */
public record Pkcs11SigningKey(PrivateKey key, Provider provider, List<X509Certificate> chain) {

    public static Pkcs11SigningKey open(Path library, String tokenLabel, String alias, char[] pin) {
        long slot = Pkcs11Slots.slotOf(tokenLabel, library, tokenLabel);
        String config = "name = signer-" + tokenLabel.replaceAll("[^A-Za-z0-9_-]", "_") + "\nlibrary = " + library
                + "\nslot = " + slot + "\n";
        try {
            Provider p = Security.getProvider("SunPKCS11").configure("--" + config);
            KeyStore ks = KeyStore.getInstance("PKCS11", p);
            ks.load(null, pin);
            Key k = ks.getKey(alias, null);
            if (!(k instanceof PrivateKey pk)) {
                throw new HsmException(tokenLabel, "token '" + tokenLabel + "' holds no private key '" + alias
                        + "' (aliases: " + Collections.list(ks.aliases()) + ")");
            }
            List<X509Certificate> chain = new ArrayList<>();
            Certificate[] stored = ks.getCertificateChain(alias);
            if (stored != null) {
                Arrays.stream(stored).forEach(c -> chain.add((X509Certificate) c));
            }
            return new Pkcs11SigningKey(pk, p, chain);
        } catch (IOException | GeneralSecurityException e) {
            throw new HsmException(tokenLabel, "cannot open signing key '" + alias + "' in token '" + tokenLabel + "': "
                    + e.getMessage(), e);
        } finally {
            Arrays.fill(pin, '\0');
        }
    }

    @Override
    public String toString() {
        return "Pkcs11SigningKey[" + provider.getName() + ", key=in token]";
    }
}
