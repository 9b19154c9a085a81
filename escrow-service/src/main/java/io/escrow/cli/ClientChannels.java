package io.escrow.cli;

import io.escrow.cms.TrustAnchors;
import io.grpc.ChannelCredentials;
import io.grpc.Grpc;
import io.grpc.InsecureChannelCredentials;
import io.grpc.ManagedChannel;
import io.grpc.TlsChannelCredentials;
import java.io.IOException;
import java.nio.file.Path;
import java.security.cert.X509Certificate;
import java.time.Instant;
import picocli.CommandLine.Option;

/**
 * How escrowctl reaches the service: plaintext for the embedded development default, or TLS with
 * a client certificate (which decides the caller's role) in production. Each option can also come
 * from the environment (ESCROW_TARGET, ESCROW_TLS_CA, ESCROW_TLS_CERT, ESCROW_TLS_KEY), so that a
 * party sets its identity once per shell.
 */
final class ClientChannels {
    @Option(names = "--target", defaultValue = "${env:ESCROW_TARGET:-localhost:9000}",
            description = "The service's gRPC address, host:port (default: ${DEFAULT-VALUE}; env ESCROW_TARGET).")
    String target;

    @Option(names = "--tls-ca", defaultValue = "${env:ESCROW_TLS_CA}",
            description = "The PEM CA certificate that signed the service's certificate; setting it turns TLS on (env ESCROW_TLS_CA).")
    Path ca;

    @Option(names = "--tls-cert", defaultValue = "${env:ESCROW_TLS_CERT}",
            description = "Your PEM client certificate, which decides your role at the service (env ESCROW_TLS_CERT).")
    Path cert;

    @Option(names = "--tls-key", defaultValue = "${env:ESCROW_TLS_KEY}",
            description = "The PEM PKCS#8 private key of --tls-cert (env ESCROW_TLS_KEY).")
    Path key;

    ManagedChannel open() {
        return open(false);
    }

    /** Runs {@code body} on a channel opened for it, and closes the channel whatever happens. */
    <T> T call(java.util.function.Function<ManagedChannel, T> body) {
        ManagedChannel channel = open();
        try {
            return body.apply(channel);
        } finally {
            channel.shutdownNow();
        }
    }

    /**
     * @param inlineCallbacks run response callbacks on the transport thread: for consumers that
     *                        process each message quickly and must not pay a thread hand-off per message
     */
    ManagedChannel open(boolean inlineCallbacks) {
        ChannelCredentials credentials = InsecureChannelCredentials.create();
        if ((cert == null) != (key == null)) {
            throw CliException.usage("give --tls-cert and --tls-key together");
        }
        if (cert != null && ca == null) {
            throw CliException.usage("--tls-cert needs --tls-ca: a client certificate is only sent over TLS");
        }
        if (ca != null) {
            CliFiles.requireReadable("--tls-ca", ca);
            CliFiles.requireReadable("--tls-cert", cert);
            CliFiles.requireReadable("--tls-key", key);
            if (cert != null) {
                requireCurrent(cert);
            }
            try {
                TlsChannelCredentials.Builder b = TlsChannelCredentials.newBuilder().trustManager(ca.toFile());
                if (cert != null) {
                    b.keyManager(cert.toFile(), key.toFile());
                }
                credentials = b.build();
            } catch (IOException | IllegalArgumentException e) {
                throw CliException.usage("cannot use the TLS files (--tls-ca, --tls-cert, --tls-key): " + e.getMessage());
            }
        }
        var builder = Grpc.newChannelBuilder(target, credentials).maxInboundMessageSize(16 << 20);
        if (inlineCallbacks) {
            builder.directExecutor();
        }
        return builder.build();
    }

    /** The service would refuse an expired or not-yet-valid client certificate; say so here, plainly. */
    private static void requireCurrent(Path certFile) {
        X509Certificate c;
        try {
            c = TrustAnchors.readCertificates("--tls-cert", certFile).get(0);
        } catch (RuntimeException e) {
            throw CliException.usage("--tls-cert " + certFile + ": " + e.getMessage());
        }
        Instant now = Instant.now();
        if (now.isAfter(c.getNotAfter().toInstant())) {
            throw CliException.refused("--tls-cert " + certFile + " (" + c.getSubjectX500Principal().getName() + ") expired on "
                    + c.getNotAfter().toInstant() + "; ask your CA for a new certificate");
        }
        if (now.isBefore(c.getNotBefore().toInstant())) {
            throw CliException.refused("--tls-cert " + certFile + " is not valid before " + c.getNotBefore().toInstant());
        }
    }
}
