package io.escrow.client;

import io.grpc.ManagedChannel;
import io.grpc.netty.GrpcSslContexts;
import io.grpc.netty.NettyChannelBuilder;
import io.netty.handler.ssl.SslContext;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.cert.CertificateException;
import java.security.cert.CertificateFactory;
import java.security.cert.X509Certificate;
import java.time.Clock;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Objects;

/**
 * Configures an {@link EscrowClient}. Required: the target, either {@link #mutualTls} or (for
 * development only) {@link #plaintext}, and at least one pinned custodian certificate. Every
 * setting is checked when set, and the combination when built.
 */
public final class EscrowClientBuilder {
    private String host;
    private int port;
    private Path serverCa;
    private Path clientCert;
    private Path clientKey;
    private boolean plaintext;
    private final Map<String, X509Certificate> pins = new LinkedHashMap<>();
    private int streams = 2;
    private int maxInFlight = 8_192;
    private EscrowClient.WhenFull whenFull = EscrowClient.WhenFull.BLOCK;
    private RetryPolicy retry = RetryPolicy.defaults();
    private Duration keyRefresh = Duration.ofMinutes(5);
    private Duration closeTimeout = Duration.ofSeconds(30);
    private ClientMetrics metrics = ClientMetrics.NONE;

    EscrowClientBuilder() {}

    /** The service's gRPC address, {@code host:port}. */
    public EscrowClientBuilder target(String hostAndPort) {
        Objects.requireNonNull(hostAndPort, "target");
        int colon = hostAndPort.lastIndexOf(':');
        if (colon < 1) {
            throw new IllegalArgumentException("target must be host:port, got '" + hostAndPort + "'");
        }
        try {
            port = Integer.parseInt(hostAndPort.substring(colon + 1));
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException("target must be host:port, got '" + hostAndPort + "'");
        }
        if (port < 1 || port > 65535) {
            throw new IllegalArgumentException("target port must be 1..65535, got " + port);
        }
        host = hostAndPort.substring(0, colon);
        return this;
    }

    /** TLS with a client certificate: the service's CA (PEM), and this provider's certificate chain and PKCS#8 key (PEM). */
    public EscrowClientBuilder mutualTls(Path serverCaPem, Path clientCertPem, Path clientKeyPem) {
        serverCa = readable("server CA", serverCaPem);
        clientCert = readable("client certificate", clientCertPem);
        clientKey = readable("client key", clientKeyPem);
        return this;
    }

    /** No TLS: for a development service on loopback only; the service then takes every caller as the demo provider. */
    public EscrowClientBuilder plaintext() {
        plaintext = true;
        return this;
    }

    /** Pins a custodian's certificate (its CA, or its agent's attestation certificate), PEM. */
    public EscrowClientBuilder pinCustodian(String custodianId, Path certificatePem) {
        readable("custodian certificate", certificatePem);
        try (InputStream in = Files.newInputStream(certificatePem)) {
            return pinCustodian(custodianId, (X509Certificate) CertificateFactory.getInstance("X.509").generateCertificate(in));
        } catch (IOException | CertificateException e) {
            throw new IllegalArgumentException("cannot read the certificate pinned for " + custodianId + " from " + certificatePem
                    + ": " + e.getMessage(), e);
        }
    }

    public EscrowClientBuilder pinCustodian(String custodianId, X509Certificate certificate) {
        if (custodianId == null || custodianId.isEmpty()) {
            throw new IllegalArgumentException("custodianId must not be empty");
        }
        pins.put(custodianId, Objects.requireNonNull(certificate, "certificate"));
        return this;
    }

    /** Long-lived DepositStreams to spread deposits over (1..8; the service allows 8 per caller). Default 2. */
    public EscrowClientBuilder streams(int n) {
        if (n < 1 || n > 8) {
            throw new IllegalArgumentException("streams must be 1..8, got " + n);
        }
        streams = n;
        return this;
    }

    /** Deposits awaiting receipts at most, and what a deposit beyond them does. Default 8,192, {@code BLOCK}. */
    public EscrowClientBuilder maxInFlight(int n, EscrowClient.WhenFull whenFull) {
        if (n < 1) {
            throw new IllegalArgumentException("maxInFlight must be at least 1, got " + n);
        }
        maxInFlight = n;
        this.whenFull = Objects.requireNonNull(whenFull, "whenFull");
        return this;
    }

    public EscrowClientBuilder retry(RetryPolicy policy) {
        retry = Objects.requireNonNull(policy, "retry");
        return this;
    }

    /** How often the current key is fetched again (it is also fetched when the service reports a key it does not serve). Default 5 min. */
    public EscrowClientBuilder keyRefresh(Duration every) {
        if (every == null || every.toMillis() < 1) {
            throw new IllegalArgumentException("keyRefresh must be at least 1 ms, got " + every);
        }
        keyRefresh = every;
        return this;
    }

    /** How long {@link EscrowClient#close()} waits for outstanding receipts. Default 30 s. */
    public EscrowClientBuilder closeTimeout(Duration timeout) {
        if (timeout == null || timeout.isNegative()) {
            throw new IllegalArgumentException("closeTimeout must not be negative, got " + timeout);
        }
        closeTimeout = timeout;
        return this;
    }

    public EscrowClientBuilder metrics(ClientMetrics hooks) {
        metrics = Objects.requireNonNull(hooks, "metrics");
        return this;
    }

    public EscrowClient build() {
        if (host == null) {
            throw new IllegalStateException("set the target (host:port)");
        }
        if (plaintext == (serverCa != null)) {
            throw new IllegalStateException(plaintext ? "choose mutualTls or plaintext, not both"
                    : "set mutualTls(serverCa, clientCert, clientKey), or plaintext() for a development service");
        }
        AttestedKeys attested = new AttestedKeys(pins);
        NettyChannelBuilder channel = NettyChannelBuilder.forAddress(host, port).maxInboundMessageSize(4 << 20);
        if (plaintext) {
            channel.usePlaintext();
        } else {
            try {
                SslContext tls = GrpcSslContexts.forClient().trustManager(serverCa.toFile())
                        .keyManager(clientCert.toFile(), clientKey.toFile()).build();
                channel.sslContext(tls);
            } catch (IOException | IllegalArgumentException e) {
                throw new IllegalArgumentException("cannot use the TLS files (" + serverCa + ", " + clientCert + ", " + clientKey
                        + "): " + e.getMessage(), e);
            }
        }
        ManagedChannel built = channel.build();
        return new EscrowClient(built, attested, streams, maxInFlight, whenFull, retry, keyRefresh, closeTimeout, metrics,
                Clock.systemUTC());
    }

    private static Path readable(String what, Path file) {
        Objects.requireNonNull(file, what);
        if (!Files.isReadable(file)) {
            throw new IllegalArgumentException("the " + what + " " + file + " is not a readable file");
        }
        return file;
    }
}
