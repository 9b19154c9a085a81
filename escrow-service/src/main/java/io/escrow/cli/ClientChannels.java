package io.escrow.cli;

import io.grpc.ChannelCredentials;
import io.grpc.Grpc;
import io.grpc.InsecureChannelCredentials;
import io.grpc.ManagedChannel;
import io.grpc.TlsChannelCredentials;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Path;
import picocli.CommandLine.Option;

/**
 * How escrowctl reaches the service: plaintext for the embedded development default, or TLS with
 * a client certificate (which decides the caller's role) in production.
 */
final class ClientChannels {
    @Option(names = "--target", defaultValue = "localhost:9000", description = "host:port of the gRPC server (default: ${DEFAULT-VALUE})")
    String target;

    @Option(names = "--tls-ca", description = "PEM CA that signed the server certificate; enables TLS")
    Path ca;

    @Option(names = "--tls-cert", description = "PEM client certificate (with --tls-key)")
    Path cert;

    @Option(names = "--tls-key", description = "PEM PKCS#8 client key")
    Path key;

    ManagedChannel open() {
        return open(false);
    }

    /**
     * @param inlineCallbacks run response callbacks on the transport thread: for consumers that
     *                        process each message quickly and must not pay a thread hand-off per message
     */
    ManagedChannel open(boolean inlineCallbacks) {
        ChannelCredentials credentials = InsecureChannelCredentials.create();
        if (ca != null) {
            try {
                TlsChannelCredentials.Builder b = TlsChannelCredentials.newBuilder().trustManager(ca.toFile());
                if (cert != null && key != null) {
                    b.keyManager(cert.toFile(), key.toFile());
                }
                credentials = b.build();
            } catch (IOException e) {
                throw new UncheckedIOException("cannot read TLS files: " + e.getMessage(), e);
            }
        }
        var builder = Grpc.newChannelBuilder(target, credentials).maxInboundMessageSize(16 << 20);
        if (inlineCallbacks) {
            builder.directExecutor();
        }
        return builder.build();
    }
}
