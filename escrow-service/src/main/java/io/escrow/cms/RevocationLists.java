package io.escrow.cms;

import io.escrow.config.ConfigurationException;
import io.escrow.error.InvalidArgumentException;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.BasicFileAttributes;
import java.security.GeneralSecurityException;
import java.security.cert.CRLReason;
import java.security.cert.CertificateFactory;
import java.security.cert.X509CRL;
import java.security.cert.X509CRLEntry;
import java.security.cert.X509Certificate;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;

/**
 * The certificate revocation lists (RFC 5280 CRLs) of one PKI (an authority's, a custodian's, or
 * the gRPC clients' CAs), read from a PEM or DER file that may hold one CRL per CA of its
 * hierarchy. The file is read again whenever it changes, so publishing a fresh CRL needs no
 * restart.
 *
 * <p>A checked certificate fails closed: it needs a CRL from its issuer, signed by the issuer's
 * key, current at the check ({@code thisUpdate ≤ now ≤ nextUpdate}, with {@link #CLOCK_SKEW}),
 * and must not be listed. A listed certificate is refused whatever its revocation date: a
 * signature or connection is judged when it is presented, and a signing time is only the
 * signer's claim, which a stolen key could backdate to before the revocation.
 */
public final class RevocationLists {
    public static final Duration CLOCK_SKEW = Duration.ofMinutes(5);

    private final String what;
    private final Path file;
    private volatile Loaded loaded;

    /** The CRLs with what identifies the file version they came from. */
    private record Loaded(Object fileKey, Instant modified, long size, List<X509CRL> crls) {
        boolean sameVersion(BasicFileAttributes attrs) {
            return java.util.Objects.equals(fileKey, attrs.fileKey()) && modified.equals(attrs.lastModifiedTime().toInstant())
                    && size == attrs.size();
        }
    }

    private RevocationLists(String what, Path file, Loaded loaded) {
        this.what = what;
        this.file = file;
        this.loaded = loaded;
    }

    /** Reads {@code file} now, so that a bad setting stops the service at startup; {@code what} names the setting. */
    public static RevocationLists fromFile(String what, Path file) {
        return new RevocationLists(what, file, load(what, file));
    }

    public Path file() {
        return file;
    }

    /** Why a certificate path does not pass: one of its certificates is listed, or its status cannot be established. */
    public record Problem(boolean revoked, String message) {}

    /**
     * Checks every certificate of a validated path, leaf first and without its trust anchor,
     * against the CRL of its issuer: the next certificate of the path, or {@code anchor} for the
     * last one. For a CMS signature: a listed certificate is an invalid {@code cms_signature},
     * an unknown status a {@link RevocationUnknownException}.
     */
    public void check(List<X509Certificate> path, X509Certificate anchor, Instant now) {
        Optional<Problem> problem = problem(path, anchor, now);
        if (problem.isPresent()) {
            if (problem.get().revoked()) {
                throw new InvalidArgumentException(CmsSignatureVerifier.FIELD, problem.get().message());
            }
            throw new RevocationUnknownException(problem.get().message());
        }
    }

    /** What {@link #check} finds wrong with the path, if anything; the caller decides what it means. */
    public Optional<Problem> problem(List<X509Certificate> path, X509Certificate anchor, Instant now) {
        List<X509CRL> crls;
        try {
            crls = current();
        } catch (RevocationUnknownException e) {
            return Optional.of(new Problem(false, e.getMessage()));
        }
        for (int i = 0; i < path.size(); i++) {
            X509Certificate issuer = i + 1 < path.size() ? path.get(i + 1) : anchor;
            Optional<Problem> problem = problem(path.get(i), issuer, crls, now);
            if (problem.isPresent()) {
                return problem;
            }
        }
        return Optional.empty();
    }

    private Optional<Problem> problem(X509Certificate cert, X509Certificate issuer, List<X509CRL> crls, Instant now) {
        String subject = cert.getSubjectX500Principal().getName();
        String issuerName = issuer.getSubjectX500Principal().getName();
        List<X509CRL> fromIssuer = crls.stream()
                .filter(crl -> crl.getIssuerX500Principal().equals(issuer.getSubjectX500Principal()) && signedBy(crl, issuer))
                .toList();
        if (fromIssuer.isEmpty()) {
            return Optional.of(new Problem(false, "the revocation of certificate '" + subject + "' cannot be checked: " + file
                    + " (" + what + ") holds no CRL signed by its issuer '" + issuerName + "'"));
        }
        Optional<X509CRL> current = fromIssuer.stream()
                .filter(crl -> !crl.getThisUpdate().toInstant().isAfter(now.plus(CLOCK_SKEW)))
                .filter(crl -> crl.getNextUpdate() == null || !crl.getNextUpdate().toInstant().plus(CLOCK_SKEW).isBefore(now))
                .max(Comparator.comparing(X509CRL::getThisUpdate));
        if (current.isEmpty()) {
            X509CRL newest = fromIssuer.stream().max(Comparator.comparing(X509CRL::getThisUpdate)).orElseThrow();
            return Optional.of(new Problem(false, "the revocation of certificate '" + subject + "' cannot be checked: the CRL of '"
                    + issuerName + "' in " + file + " (" + what + ") is not current (this update "
                    + newest.getThisUpdate().toInstant() + ", next update " + Optional.ofNullable(newest.getNextUpdate())
                    .map(d -> d.toInstant().toString()).orElse("none") + "); publish a fresh CRL there"));
        }
        X509CRLEntry entry = current.get().getRevokedCertificate(cert);
        if (entry != null) {
            CRLReason reason = entry.getRevocationReason();
            return Optional.of(new Problem(true, "certificate '" + subject + "' was revoked by '" + issuerName
                    + "' on " + entry.getRevocationDate().toInstant() + (reason == null ? "" : " (" + reason + ")")));
        }
        return Optional.empty();
    }

    /**
     * When the first issuer's newest CRL in the file passes its nextUpdate, after which signatures
     * under that issuer fail closed until a fresh CRL is published; empty when no CRL has a
     * nextUpdate. For a metric to alert on. Throws {@link RevocationUnknownException} when the
     * file cannot be read.
     */
    public Optional<Instant> staleAt() {
        Map<javax.security.auth.x500.X500Principal, X509CRL> newestByIssuer = new HashMap<>();
        for (X509CRL crl : current()) {
            newestByIssuer.merge(crl.getIssuerX500Principal(), crl,
                    (a, b) -> a.getThisUpdate().after(b.getThisUpdate()) ? a : b);
        }
        return newestByIssuer.values().stream()
                .map(X509CRL::getNextUpdate)
                .filter(java.util.Objects::nonNull)
                .map(java.util.Date::toInstant)
                .min(Comparator.naturalOrder());
    }

    /** {@link #staleAt()} as a metric value: Unix seconds, +Inf without any nextUpdate, NaN when the file cannot be read. */
    public double staleAtSeconds() {
        try {
            return staleAt().map(t -> (double) t.getEpochSecond()).orElse(Double.POSITIVE_INFINITY);
        } catch (RuntimeException e) {
            return Double.NaN;
        }
    }

    private static boolean signedBy(X509CRL crl, X509Certificate issuer) {
        try {
            crl.verify(issuer.getPublicKey());
            return true;
        } catch (GeneralSecurityException | RuntimeException e) {
            return false;
        }
    }

    /** The CRLs as the file holds them now, read again when its inode, size or modification time changed. */
    private List<X509CRL> current() {
        Loaded l = loaded;
        try {
            BasicFileAttributes attrs = Files.readAttributes(file, BasicFileAttributes.class);
            if (l.sameVersion(attrs)) {
                return l.crls();
            }
            l = load(what, file);
            loaded = l;
            return l.crls();
        } catch (IOException | ConfigurationException e) {
            // Failing closed: a CRL that cannot be read now checks nothing.
            throw new RevocationUnknownException("the revocation of signer certificates cannot be checked: " + e.getMessage());
        }
    }

    private static Loaded load(String what, Path file) {
        try {
            BasicFileAttributes attrs = Files.readAttributes(file, BasicFileAttributes.class);
            List<X509CRL> crls;
            try (InputStream in = Files.newInputStream(file)) {
                crls = parse(what, file.toString(), in);
            }
            return new Loaded(attrs.fileKey(), attrs.lastModifiedTime().toInstant(), attrs.size(), crls);
        } catch (IOException e) {
            throw new ConfigurationException(what + ": cannot read " + file + ": " + e.getMessage());
        }
    }

    /**
     * The complete CRLs in {@code in} (PEM or DER), or ConfigurationException naming {@code what}
     * and {@code source}. The JDK's parser is given untrusted bytes here, so whatever it throws
     * becomes that one typed error.
     */
    public static List<X509CRL> parse(String what, String source, InputStream in) throws IOException {
        List<X509CRL> crls = new ArrayList<>();
        try {
            for (var crl : CertificateFactory.getInstance("X.509").generateCRLs(in)) {
                crls.add(supported(what, source, (X509CRL) crl));
            }
        } catch (GeneralSecurityException | RuntimeException e) {
            if (e instanceof ConfigurationException c) {
                throw c;
            }
            throw new ConfigurationException(what + ": " + source + " is not a PEM or DER CRL: " + e.getMessage());
        }
        if (crls.isEmpty()) {
            throw new ConfigurationException(what + ": " + source + " holds no CRL");
        }
        return List.copyOf(crls);
    }

    /**
     * Only complete CRLs are understood: a critical extension (a delta CRL indicator, an issuing
     * distribution point that scopes the list) could mean that a missing entry proves nothing.
     */
    private static X509CRL supported(String what, String file, X509CRL crl) {
        Set<String> critical = crl.getCriticalExtensionOIDs();
        if (critical != null && !critical.isEmpty()) {
            throw new ConfigurationException(what + ": the CRL of '" + crl.getIssuerX500Principal().getName() + "' in " + file
                    + " has critical extensions " + critical + "; only complete CRLs without them are supported");
        }
        return crl;
    }

    @Override
    public String toString() {
        return "RevocationLists[" + what + ", " + file + "]";
    }
}
