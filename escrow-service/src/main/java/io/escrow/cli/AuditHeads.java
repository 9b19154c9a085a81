package io.escrow.cli;

import com.google.protobuf.ByteString;
import io.escrow.audit.SignedTreeHead;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.security.KeyFactory;
import java.security.PublicKey;
import java.security.Signature;
import java.security.spec.X509EncodedKeySpec;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.Optional;
import java.util.Properties;

/**
 * What overseers' commands share: checking a signed tree head, and the state file that pins the
 * log's key and remembers the last verified head (the same file serves audit verify and follow).
 */
final class AuditHeads {
    private AuditHeads() {}

    /** A verification failure: the message says what and where. */
    static final class Failure extends RuntimeException {
        Failure(String message) {
            super(message);
        }
    }

    static PublicKey publicKey(byte[] spki) {
        try {
            return KeyFactory.getInstance("EC").generatePublic(new X509EncodedKeySpec(spki));
        } catch (GeneralSecurityException e) {
            throw new Failure("the tree-head public key is not an EC key: " + e.getMessage());
        }
    }

    static SignedTreeHead.Parsed checkSigned(PublicKey key, ByteString checkpoint, ByteString signature) {
        SignedTreeHead.Parsed p;
        try {
            p = SignedTreeHead.parse(checkpoint.toByteArray());
        } catch (IllegalArgumentException e) {
            throw new Failure("malformed checkpoint: " + e.getMessage());
        }
        boolean ok;
        try {
            Signature v = Signature.getInstance("SHA256withECDSA");
            v.initVerify(key);
            v.update(checkpoint.toByteArray());
            ok = v.verify(signature.toByteArray());
        } catch (GeneralSecurityException e) {
            ok = false;
        }
        if (!ok) {
            throw new Failure("the signature on the tree head of size " + p.size() + " does not verify");
        }
        return p;
    }

    /** The stream's type, actor and time must be what the hashed leaf says. */
    static void checkHeader(io.escrow.proto.v1.AuditEvent e, byte[] leaf) {
        long micros = Math.addExact(Math.multiplyExact(e.getTime().getSeconds(), 1_000_000L), e.getTime().getNanos() / 1_000);
        if (e.getTime().getNanos() % 1_000 != 0 || !io.escrow.audit.AuditEntry.headerMatches(leaf, e.getTypeBytes().toByteArray(),
                micros, e.getActorBytes().toByteArray())) {
            throw new Failure("index " + e.getIndex() + ": the type, actor or time sent with the leaf differ from the leaf "
                    + "(or it is not a version 1 leaf); first bad index " + e.getIndex());
        }
    }

    /** The last verified head, the pinned key, and (for follow) the tree's right edge at that size. */
    record State(String origin, long size, byte[] root, byte[] publicKey, String checkpoint, Optional<List<byte[]>> edge) {

        static Optional<State> load(Path file) {
            if (!Files.exists(file)) {
                return Optional.empty();
            }
            Properties p = new Properties();
            try (var r = Files.newBufferedReader(file)) {
                p.load(r);
                Base64.Decoder b64 = Base64.getDecoder();
                Optional<List<byte[]>> edge = Optional.ofNullable(p.getProperty("edge")).map(e -> {
                    List<byte[]> hashes = new ArrayList<>();
                    for (String h : e.split(",")) {
                        if (!h.isEmpty()) {
                            hashes.add(b64.decode(h));
                        }
                    }
                    return hashes;
                });
                return Optional.of(new State(p.getProperty("origin"), Long.parseLong(p.getProperty("size")),
                        b64.decode(p.getProperty("root")), b64.decode(p.getProperty("public_key")), p.getProperty("checkpoint", ""), edge));
            } catch (java.io.IOException | RuntimeException e) {
                throw CliException.usage("the state file " + file + " cannot be read: " + e.getMessage());
            }
        }

        void save(Path file, String comment) throws java.io.IOException {
            Base64.Encoder b64 = Base64.getEncoder();
            Properties p = new Properties();
            p.setProperty("origin", origin);
            p.setProperty("size", Long.toString(size));
            p.setProperty("root", b64.encodeToString(root));
            p.setProperty("public_key", b64.encodeToString(publicKey));
            p.setProperty("checkpoint", checkpoint);
            edge.ifPresent(e -> p.setProperty("edge", String.join(",", e.stream().map(b64::encodeToString).toList())));
            Path tmp = file.resolveSibling(file.getFileName() + ".tmp");
            try (var w = Files.newBufferedWriter(tmp, StandardCharsets.UTF_8)) {
                p.store(w, comment);
            }
            Files.move(tmp, file, java.nio.file.StandardCopyOption.REPLACE_EXISTING, java.nio.file.StandardCopyOption.ATOMIC_MOVE);
        }
    }
}
