package io.escrow.agent;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.channels.FileLock;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.SortedMap;
import java.util.TreeMap;
import java.util.function.Consumer;

/**
 * A custodian agent's durable memory: one JSON object per line, appended and forced to disk
 * before the agent answers, so that its counts survive kill -9 at any moment. On open, every
 * entry is replayed; a torn last line (a write the agent never answered for) is cut off, and
 * any other damage stops the agent rather than let it forget what it has done. The file is
 * locked for the agent's lifetime: two agents never share one journal.
 */
final class AgentJournal implements AutoCloseable {
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final Base64.Encoder B64 = Base64.getEncoder();
    private static final Base64.Decoder B64D = Base64.getDecoder();

    /** One fact the agent recorded. */
    sealed interface Entry permits WarrantFact, RetirementConsented, ShareDestroyed, CeremonyConsented, ShareReceived {
        Instant at();
    }

    /** A fact about one warrant. */
    sealed interface WarrantFact extends Entry permits Activated, Opened, Deactivated, Revoked {
        String warrantId();
    }

    /** A consent accepted, with the evidence it was checked against. */
    record Activated(String warrantId, Instant at, byte[] signedBytes, SortedMap<String, byte[]> approvals,
                     byte[] statement) implements WarrantFact {}

    /** Partials computed for these records (each one use; a record counts once against max_records). */
    record Opened(String warrantId, Instant at, List<String> recordIds) implements WarrantFact {}

    record Deactivated(String warrantId, Instant at) implements WarrantFact {}

    /** An authority's revocation, checked by the agent. */
    record Revoked(String warrantId, Instant at, byte[] cms) implements WarrantFact {}

    /** The custodian's signed consent to retire a key (escrow/v1/key-retirement and its CMS). */
    record RetirementConsented(String keyId, Instant at, byte[] statement, byte[] cms) implements Entry {}

    /** The token's share of a key destroyed, with the agent's signed escrow/v1/share-destroyed statement. */
    record ShareDestroyed(String keyId, Instant at, byte[] statement, byte[] cms) implements Entry {}

    /** The custodian's signed consent to take its share of a new key (escrow/v1/key-ceremony and its CMS). */
    record CeremonyConsented(String keyId, Instant at, byte[] statement, byte[] cms) implements Entry {}

    /** The token took its share of a key, for the key record with this SHA-256. */
    record ShareReceived(String keyId, Instant at, byte[] recordSha256) implements Entry {}

    private final Path file;
    private final FileChannel channel;
    private final FileLock lock;

    private AgentJournal(Path file, FileChannel channel, FileLock lock) {
        this.file = file;
        this.channel = channel;
        this.lock = lock;
    }

    /** Opens (or creates) the journal and replays every entry into {@code replay}, oldest first. */
    static AgentJournal open(Path file, Consumer<Entry> replay) {
        try {
            Files.createDirectories(file.toAbsolutePath().getParent());
            FileChannel ch = FileChannel.open(file, StandardOpenOption.CREATE, StandardOpenOption.READ, StandardOpenOption.WRITE);
            FileLock lock;
            try {
                lock = ch.tryLock();
            } catch (java.nio.channels.OverlappingFileLockException e) {
                lock = null; // held by this same process
            }
            if (lock == null) {
                ch.close();
                throw new IllegalStateException("the agent journal " + file + " is in use by another agent");
            }
            byte[] all = Files.readAllBytes(file);
            int end = 0;
            int lineNo = 0;
            for (int i = 0; i < all.length; i++) {
                if (all[i] == '\n') {
                    lineNo++;
                    String line = new String(all, end, i - end, StandardCharsets.UTF_8);
                    try {
                        replay.accept(parse(line));
                    } catch (RuntimeException | JsonProcessingException e) {
                        lock.release();
                        ch.close();
                        throw new IllegalStateException("agent journal " + file + " line " + lineNo + " is damaged: "
                                + e.getMessage(), e);
                    }
                    end = i + 1;
                }
            }
            if (end < all.length) {
                // The last write was torn by a crash before the agent answered: it never happened.
                ch.truncate(end);
                ch.force(true);
            }
            ch.position(end);
            return new AgentJournal(file, ch, lock);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot open the agent journal " + file + ": " + e.getMessage(), e);
        }
    }

    /** Appends one entry and forces it to disk. */
    synchronized void append(Entry e) {
        byte[] line = (render(e) + "\n").getBytes(StandardCharsets.UTF_8);
        try {
            ByteBuffer b = ByteBuffer.wrap(line);
            while (b.hasRemaining()) {
                channel.write(b);
            }
            channel.force(false);
        } catch (IOException x) {
            throw new UncheckedIOException("cannot write the agent journal " + file + ": " + x.getMessage(), x);
        }
    }

    private static String render(Entry e) {
        ObjectNode n = JSON.createObjectNode();
        if (e instanceof WarrantFact w) {
            n.put("warrant_id", w.warrantId());
        }
        n.put("at", e.at().toString());
        if (e instanceof RetirementConsented c) {
            n.put("type", "retirement_consented");
            n.put("key_id", c.keyId());
            n.put("statement", B64.encodeToString(c.statement()));
            n.put("cms", B64.encodeToString(c.cms()));
        } else if (e instanceof ShareDestroyed d) {
            n.put("type", "share_destroyed");
            n.put("key_id", d.keyId());
            n.put("statement", B64.encodeToString(d.statement()));
            n.put("cms", B64.encodeToString(d.cms()));
        } else if (e instanceof CeremonyConsented c) {
            n.put("type", "ceremony_consented");
            n.put("key_id", c.keyId());
            n.put("statement", B64.encodeToString(c.statement()));
            n.put("cms", B64.encodeToString(c.cms()));
        } else if (e instanceof ShareReceived r) {
            n.put("type", "share_received");
            n.put("key_id", r.keyId());
            n.put("record_sha256", B64.encodeToString(r.recordSha256()));
        } else if (e instanceof Activated a) {
            n.put("type", "activated");
            n.put("signed_bytes", B64.encodeToString(a.signedBytes()));
            ObjectNode approvals = n.putObject("approvals");
            a.approvals().forEach((k, v) -> approvals.put(k, B64.encodeToString(v)));
            n.put("statement", B64.encodeToString(a.statement()));
        } else if (e instanceof Opened o) {
            n.put("type", "opened");
            var ids = n.putArray("record_ids");
            o.recordIds().forEach(ids::add);
        } else if (e instanceof Revoked r) {
            n.put("type", "revoked");
            n.put("cms", B64.encodeToString(r.cms()));
        } else {
            n.put("type", "deactivated");
        }
        return n.toString();
    }

    private static Entry parse(String line) throws JsonProcessingException {
        JsonNode n = JSON.readTree(line);
        Instant at = Instant.parse(n.get("at").asText());
        String type = n.get("type").asText();
        if (type.equals("retirement_consented") || type.equals("share_destroyed")) {
            String keyId = n.get("key_id").asText();
            byte[] statement = B64D.decode(n.get("statement").asText());
            byte[] cms = B64D.decode(n.get("cms").asText());
            return type.equals("share_destroyed") ? new ShareDestroyed(keyId, at, statement, cms)
                    : new RetirementConsented(keyId, at, statement, cms);
        }
        if (type.equals("ceremony_consented")) {
            return new CeremonyConsented(n.get("key_id").asText(), at, B64D.decode(n.get("statement").asText()),
                    B64D.decode(n.get("cms").asText()));
        }
        if (type.equals("share_received")) {
            return new ShareReceived(n.get("key_id").asText(), at, B64D.decode(n.get("record_sha256").asText()));
        }
        String warrantId = n.get("warrant_id").asText();
        return switch (type) {
            case "activated" -> {
                SortedMap<String, byte[]> approvals = new TreeMap<>();
                JsonNode given = n.get("approvals");
                given.fieldNames().forEachRemaining(name -> approvals.put(name, B64D.decode(given.get(name).asText())));
                yield new Activated(warrantId, at, B64D.decode(n.get("signed_bytes").asText()), approvals,
                        B64D.decode(n.get("statement").asText()));
            }
            case "opened" -> {
                List<String> ids = new ArrayList<>();
                n.get("record_ids").forEach(id -> ids.add(id.asText()));
                yield new Opened(warrantId, at, ids);
            }
            case "deactivated" -> new Deactivated(warrantId, at);
            case "revoked" -> new Revoked(warrantId, at, B64D.decode(n.get("cms").asText()));
            default -> throw new IllegalArgumentException("unknown entry type " + n.get("type"));
        };
    }

    @Override
    public synchronized void close() {
        try {
            lock.release();
            channel.close();
        } catch (IOException ignored) {
            // Closing after the last forced write loses nothing.
        }
    }
}
