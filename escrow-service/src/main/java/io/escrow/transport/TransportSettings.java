package io.escrow.transport;

import io.escrow.error.AccessDeniedException;
import io.escrow.config.ConfigurationException;
import io.escrow.config.EscrowSettings;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.inject.Inject;
import java.security.cert.X509Certificate;
import java.util.Arrays;
import java.util.HashMap;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import javax.security.auth.x500.X500Principal;
import org.eclipse.microprofile.config.Config;
import org.eclipse.microprofile.config.ConfigProvider;

/**
 * How callers are identified.
 *
 * <ul>
 *   <li>With TLS configured on the gRPC server ({@code quarkus.grpc.server.ssl.certificate}), every
 *       caller must present a client certificate whose subject is listed:
 *       <pre>
 *       escrow.tls.client-names=acme,court-clerk
 *       escrow.tls.client.acme.subject=CN=acme-messaging,O=Acme
 *       escrow.tls.client.acme.role=provider
 *       </pre>
 *       The name (here {@code acme}) is the identity recorded with deposits.</li>
 *   <li>Without TLS, only the embedded development default may run: plaintext, and every caller
 *       is the fixed development identity holding every role.</li>
 * </ul>
 */
@ApplicationScoped
public class TransportSettings {
    private final boolean development;
    private final Map<String, CallerIdentity> bySubject;
    private final Optional<ClientRevocation> clientRevocation;

    @Inject
    public TransportSettings(EscrowSettings settings) {
        this(settings, ConfigProvider.getConfig());
    }

    TransportSettings(EscrowSettings settings, Config config) {
        boolean tls = config.getOptionalValue("quarkus.grpc.server.ssl.certificate", String.class).isPresent();
        boolean plainText = config.getOptionalValue("quarkus.grpc.server.plain-text", Boolean.class).orElse(true);
        if (tls && plainText) {
            throw new ConfigurationException("quarkus.grpc.server.ssl.certificate is set but quarkus.grpc.server.plain-text is not false;"
                    + " set plain-text=false so that gRPC is served over TLS only");
        }
        if (tls && !"REQUIRED".equalsIgnoreCase(config.getOptionalValue("quarkus.grpc.server.ssl.client-auth", String.class).orElse(""))) {
            throw new ConfigurationException("quarkus.grpc.server.ssl.client-auth must be REQUIRED: callers are identified by their certificates");
        }
        if (!tls && settings.hsmMode() != EscrowSettings.HsmMode.EMBEDDED) {
            throw new ConfigurationException("gRPC TLS with client certificates is required outside the embedded development "
                    + "default: set quarkus.grpc.server.ssl.certificate, .key, .trust-store and client-auth=REQUIRED");
        }
        this.development = !tls;
        this.bySubject = tls ? clients(config) : Map.of();
        this.clientRevocation = tls ? ClientRevocation.load(config) : Optional.empty();
        if (!tls && config.getOptionalValue("escrow.tls.client-crl", String.class).isPresent()) {
            throw new ConfigurationException("escrow.tls.client-crl is set, but gRPC is not served over TLS");
        }
    }

    /** The client CRLs, when {@code escrow.tls.client-crl} is set. */
    Optional<ClientRevocation> clientRevocation() {
        return clientRevocation;
    }

    /** The file behind {@link #clientRevocation()}, for the staleness metric. */
    public Optional<io.escrow.cms.RevocationLists> clientCrls() {
        return clientRevocation.map(ClientRevocation::lists);
    }

    private static Map<String, CallerIdentity> clients(Config config) {
        Map<String, CallerIdentity> out = new HashMap<>();
        String names = config.getOptionalValue("escrow.tls.client-names", String.class).orElse("");
        for (String name : Arrays.stream(names.split(",")).map(String::strip).filter(s -> !s.isEmpty()).toList()) {
            String prefix = "escrow.tls.client." + name + ".";
            String subject = config.getOptionalValue(prefix + "subject", String.class)
                    .orElseThrow(() -> new ConfigurationException(prefix + "subject is required"));
            String roleName = config.getOptionalValue(prefix + "role", String.class)
                    .orElseThrow(() -> new ConfigurationException(prefix + "role is required"));
            Role role;
            try {
                role = Role.valueOf(roleName.strip().toUpperCase(Locale.ROOT));
            } catch (IllegalArgumentException e) {
                throw new ConfigurationException(prefix + "role must be one of " + Arrays.toString(Role.values()).toLowerCase(Locale.ROOT));
            }
            String canonical = canonical(subject);
            if (out.putIfAbsent(canonical, new CallerIdentity(name, Set.of(role))) != null) {
                throw new ConfigurationException("two clients share the subject " + subject);
            }
        }
        return Map.copyOf(out);
    }

    /** True only in the embedded development default: plaintext, one identity with every role. */
    public boolean developmentIdentity() {
        return development;
    }

    public CallerIdentity identityOf(X509Certificate clientCertificate) {
        String subject = clientCertificate.getSubjectX500Principal().getName(X500Principal.CANONICAL);
        return Optional.ofNullable(bySubject.get(subject)).orElseThrow(() -> new AccessDeniedException(
                "client certificate " + clientCertificate.getSubjectX500Principal().getName() + " is not mapped to a role"));
    }

    private static String canonical(String dn) {
        try {
            return new X500Principal(dn).getName(X500Principal.CANONICAL);
        } catch (IllegalArgumentException e) {
            throw new ConfigurationException("'" + dn + "' is not an X.500 distinguished name");
        }
    }
}
