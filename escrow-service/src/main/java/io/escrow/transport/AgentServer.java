package io.escrow.transport;

import io.escrow.agent.CustodianAgentCore;
import io.escrow.config.ConfigurationException;
import io.grpc.InsecureServerCredentials;
import io.grpc.Server;
import io.grpc.ServerCredentials;
import io.grpc.TlsServerCredentials;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.UnknownHostException;
import java.nio.file.Path;
import java.util.Optional;
import java.util.concurrent.TimeUnit;

/**
 * Serves one custodian agent over gRPC: mutual TLS (the caller must present a certificate from
 * the configured client CA), or plaintext on a loopback address only, for development.
 */
public final class AgentServer implements AutoCloseable {
    /**
     * The agent's certificate and key, the CA its callers' certificates must chain to, and the
     * subjects of the service's replicas and of the custodian's own tools ({@link AgentCallers}).
     */
    public record Tls(Path certificate, Path key, Path clientCa, java.util.Set<javax.security.auth.x500.X500Principal> serviceSubjects,
                      java.util.Set<javax.security.auth.x500.X500Principal> custodianSubjects) {}

    private final Server server;

    private AgentServer(Server server) {
        this.server = server;
    }

    /** The address to listen on; without TLS only a loopback one is allowed. */
    public static InetAddress listenAddress(String host, boolean tls) {
        InetAddress address;
        try {
            address = InetAddress.getByName(host);
        } catch (UnknownHostException e) {
            throw new ConfigurationException("cannot resolve listen address " + host);
        }
        if (!tls && !address.isLoopbackAddress()) {
            throw new ConfigurationException("a custodian agent serves plaintext only on a loopback address; "
                    + "give --tls-cert, --tls-key and --tls-client-ca to listen on " + host);
        }
        return address;
    }

    public static AgentServer start(CustodianAgentCore agent, String host, int port, Optional<Tls> tls) {
        InetAddress address = listenAddress(host, tls.isPresent());
        ServerCredentials credentials;
        if (tls.isPresent()) {
            try {
                credentials = TlsServerCredentials.newBuilder().keyManager(tls.get().certificate().toFile(), tls.get().key().toFile())
                        .trustManager(tls.get().clientCa().toFile())
                        .clientAuth(TlsServerCredentials.ClientAuth.REQUIRE).build();
            } catch (IOException e) {
                throw new UncheckedIOException("cannot read the agent's TLS files: " + e.getMessage(), e);
            }
        } else {
            credentials = InsecureServerCredentials.create();
        }
        var service = new CustodianAgentEndpoint(agent).bindService();
        Server server = io.grpc.netty.NettyServerBuilder.forAddress(new InetSocketAddress(address, port), credentials)
                .addService(tls.isEmpty() ? service : io.grpc.ServerInterceptors.intercept(service,
                        new AgentCallers(tls.get().serviceSubjects(), tls.get().custodianSubjects()))).build();
        try {
            server.start();
        } catch (IOException e) {
            throw new UncheckedIOException("cannot listen on " + host + ":" + port + ": " + e.getMessage(), e);
        }
        return new AgentServer(server);
    }

    public int port() {
        return server.getPort();
    }

    public void awaitTermination() throws InterruptedException {
        server.awaitTermination();
    }

    @Override
    public void close() {
        server.shutdown();
        try {
            if (!server.awaitTermination(5, TimeUnit.SECONDS)) {
                server.shutdownNow();
            }
        } catch (InterruptedException e) {
            server.shutdownNow();
            Thread.currentThread().interrupt();
        }
    }
}
