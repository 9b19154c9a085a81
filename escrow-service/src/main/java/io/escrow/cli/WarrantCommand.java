package io.escrow.cli;

import io.escrow.cms.CmsSigner;
import io.escrow.cms.PemFiles;
import io.escrow.cms.TrustAnchors;
import io.escrow.hsm.Pkcs11SigningKey;
import io.escrow.warrant.SignedBytes;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.PrivateKey;
import java.security.Provider;
import java.security.cert.X509Certificate;
import java.util.List;
import java.util.concurrent.Callable;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/** escrowctl warrant: what an authority's signer runs on their own machine. */
@Command(name = "warrant", mixinStandardHelpOptions = true, description = "Sign warrant approvals and revocations.",
        subcommands = {WarrantCommand.Sign.class, CommandLine.HelpCommand.class})
final class WarrantCommand implements Runnable {
    @CommandLine.Spec
    CommandLine.Model.CommandSpec spec;

    @Override
    public void run() {
        spec.commandLine().usage(System.out);
    }

    @Command(name = "sign", mixinStandardHelpOptions = true,
            description = {"Make a detached DER CMS approval (contract §1) over a warrant's signed_bytes,",
                    "or, with --revoke, over escrow/v1/revoke/<warrant_id>. Read the bytes before signing:",
                    "they are plain text. Same output as openssl cms -sign -binary -outform DER."})
    static final class Sign implements Callable<Integer> {
        @Option(names = "--in", description = "file holding the warrant's signed_bytes")
        Path in;

        @Option(names = "--revoke", paramLabel = "WARRANT_ID", description = "sign the revocation of this warrant instead")
        String revoke;

        @Option(names = "--out", required = true, description = "where to write the DER CMS signature")
        Path out;

        @Option(names = "--cert", description = "signer certificate (PEM; intermediates may follow). Optional with a token that holds it")
        Path cert;

        @Option(names = "--key", description = "signer private key (PEM, unencrypted)")
        Path key;

        @Option(names = "--pkcs11-library", description = "PKCS#11 library of the smart card or HSM holding the key")
        Path library;

        @Option(names = "--token", description = "token label (with --pkcs11-library)")
        String token;

        @Option(names = "--key-alias", description = "alias (label) of the signing key in the token")
        String alias;

        @Option(names = "--pin-file", description = "file holding the token PIN")
        Path pinFile;

        @Override
        public Integer call() throws Exception {
            if ((in == null) == (revoke == null)) {
                System.err.println("escrowctl: give exactly one of --in SIGNED_BYTES_FILE and --revoke WARRANT_ID");
                return 2;
            }
            byte[] content = in != null ? Files.readAllBytes(in) : SignedBytes.revocation(revoke);
            boolean pem = key != null && cert != null && library == null;
            boolean card = library != null && token != null && alias != null && pinFile != null && key == null;
            if (pem == card) {
                System.err.println("escrowctl: give either --cert and --key, or --pkcs11-library, --token, --key-alias and --pin-file");
                return 2;
            }
            PrivateKey signingKey;
            Provider provider = null;
            List<X509Certificate> chain;
            if (pem) {
                signingKey = PemFiles.readPrivateKey(key);
                chain = TrustAnchors.readCertificates("--cert", cert);
            } else {
                char[] pin = Files.readString(pinFile).strip().toCharArray();
                Pkcs11SigningKey k = Pkcs11SigningKey.open(library, token, alias, pin);
                signingKey = k.key();
                provider = k.provider();
                chain = cert != null ? TrustAnchors.readCertificates("--cert", cert) : k.chain();
                if (chain.isEmpty()) {
                    System.err.println("escrowctl: token '" + token + "' holds no certificate for '" + alias + "'; pass --cert");
                    return 2;
                }
            }
            byte[] cms = CmsSigner.signDetached(content, signingKey, provider, chain);
            Files.write(out, cms);
            System.out.println("signed " + (revoke != null ? "revocation of " + revoke : content.length + " bytes of " + in)
                    + " as " + chain.get(0).getSubjectX500Principal().getName() + " -> " + out + " (" + cms.length + " bytes)");
            return 0;
        }
    }
}
