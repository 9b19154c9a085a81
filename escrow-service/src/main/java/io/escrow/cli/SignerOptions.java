package io.escrow.cli;

import io.escrow.cms.CmsSigner;
import io.escrow.cms.PemFiles;
import io.escrow.cms.TrustAnchors;
import io.escrow.config.ConfigurationException;
import io.escrow.error.EscrowException;
import io.escrow.hsm.Pkcs11SigningKey;
import java.io.IOException;
import java.nio.file.Path;
import java.security.PrivateKey;
import java.security.cert.X509Certificate;
import java.util.List;
import picocli.CommandLine.Option;

/**
 * The signer's own key, as a PEM pair or in a PKCS#11 token (a smart card or HSM), making
 * detached DER CMS signatures: the same signatures as openssl cms -sign -binary -outform DER.
 */
final class SignerOptions {
    @Option(names = "--cert", description = "The signer's certificate (PEM; intermediates may follow). Optional with a token that holds it.")
    Path cert;

    @Option(names = "--key", description = "The signer's private key (PEM, unencrypted).")
    Path key;

    @Option(names = "--pkcs11-library", description = "The PKCS#11 library of the smart card or HSM that holds the signing key.")
    Path library;

    @Option(names = "--token", description = "The token's label (with --pkcs11-library).")
    String token;

    @Option(names = "--key-alias", description = "The signing key's alias (label) in the token.")
    String alias;

    @Option(names = "--pin-file", description = "A file holding the token's PIN. Without it or --pin-env, the PIN is asked for without echo.")
    Path pinFile;

    @Option(names = "--pin-env", description = "An environment variable holding the token's PIN.")
    String pinEnv;

    /** A signature and who made it. */
    record Signed(byte[] cms, X509Certificate signer) {}

    /** Whether any signing option was given (commands that also accept a ready-made CMS ask this). */
    boolean given() {
        return cert != null || key != null || library != null || token != null || alias != null;
    }

    /** A signing key, opened and ready: its token logged in, its PIN already wiped. */
    record Ready(PrivateKey key, java.security.Provider provider, List<X509Certificate> chain) {
        Signed sign(byte[] content) {
            return new Signed(CmsSigner.signDetached(content, key, provider, chain), chain.get(0));
        }

        X509Certificate signer() {
            return chain.get(0);
        }
    }

    Signed sign(byte[] content) {
        return open().sign(content);
    }

    /** Opens the key, so that every problem with files, PINs and tokens shows before anything is shown or signed. */
    Ready open() {
        boolean pem = key != null && library == null;
        boolean card = library != null && key == null;
        if (!pem && !card) {
            throw CliException.usage("give the signing key: --cert and --key, or --pkcs11-library, --token and --key-alias");
        }
        if (pem) {
            if (cert == null) {
                throw CliException.usage("--key needs --cert");
            }
            CliFiles.requireReadable("--key", key);
            CliFiles.requireReadable("--cert", cert);
            PrivateKey k;
            try {
                k = PemFiles.readPrivateKey(key);
            } catch (IOException | RuntimeException e) {
                throw CliException.usage("--key " + key + ": not a PEM private key: " + e.getMessage());
            }
            return new Ready(k, null, chain(cert));
        }
        if (token == null || alias == null) {
            throw CliException.usage("--pkcs11-library needs --token and --key-alias");
        }
        if (!library.toFile().isFile()) {
            throw CliException.usage("--pkcs11-library " + library + ": no such file");
        }
        List<X509Certificate> given = cert != null ? chain(CliFiles.requireReadable("--cert", cert)) : List.of();
        char[] pin = PinInput.read("token '" + token + "'", pinFile, pinEnv);
        Pkcs11SigningKey k;
        try {
            k = Pkcs11SigningKey.open(library, token, alias, pin);
        } catch (EscrowException e) {
            throw CliException.refused(e.getMessage());
        }
        List<X509Certificate> chain = !given.isEmpty() ? given : k.chain();
        if (chain.isEmpty()) {
            throw CliException.usage("token '" + token + "' holds no certificate for '" + alias + "'; pass --cert");
        }
        return new Ready(k.key(), k.provider(), chain);
    }

    private static List<X509Certificate> chain(Path file) {
        try {
            return TrustAnchors.readCertificates("--cert", file);
        } catch (ConfigurationException e) {
            throw CliException.usage(e.getMessage());
        }
    }
}
