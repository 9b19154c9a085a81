package io.escrow.witness;

import io.escrow.merkle.MerkleHash;
import io.escrow.merkle.MerkleTree;
import io.escrow.note.Checkpoint;
import io.escrow.note.NoteFormatException;
import io.escrow.note.NoteSignature;
import io.escrow.note.NoteVerifier;
import io.escrow.note.SignedNote;
import io.escrow.note.VerifierKey;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.time.Clock;
import java.util.Collection;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.Consumer;
import java.util.stream.Collectors;

/**
 * The checks of c2sp.org/tlog-witness {@code add-checkpoint}, in the order the spec gives them,
 * independent of HTTP: a known origin (else 404), a valid signature from one of that log's
 * trusted keys (else 403), {@code old <= size} (else 400), {@code old} equal to the size last
 * cosigned (else 409 with that size), the same root when the sizes are equal (else 409), and a
 * consistency proof from the last cosigned checkpoint (else 422). Only then is the checkpoint
 * saved durably and cosigned. Checking and saving run under one lock per origin, so two
 * concurrent requests can never roll the log back.
 */
public final class Witness {
    private final Cosigner key;
    private final Map<String, List<VerifierKey>> logs;
    private final WitnessState state;
    private final Clock clock;
    private final Consumer<Answer> observer;
    private final Map<String, Object> locks = new ConcurrentHashMap<>();

    /** {@code logKeys} are the trusted log keys; each key's name is its log's origin. */
    public Witness(Cosigner key, Collection<VerifierKey> logKeys, WitnessState state, Clock clock, Consumer<Answer> observer) {
        if (logKeys.isEmpty()) {
            throw new IllegalArgumentException("a witness needs at least one log key (--log)");
        }
        for (VerifierKey k : logKeys) {
            if (k.type() == VerifierKey.COSIGNATURE_V1) {
                throw new IllegalArgumentException("log key '" + k.name() + "' is a cosignature key, not a log signing key");
            }
        }
        this.key = key;
        this.logs = logKeys.stream().collect(Collectors.groupingBy(VerifierKey::name, Collectors.toUnmodifiableList()));
        this.state = state;
        this.clock = clock;
        this.observer = observer;
    }

    public Set<String> origins() {
        return logs.keySet();
    }

    /** Handles one request body and returns the HTTP answer. */
    public Answer addCheckpoint(byte[] body) {
        Answer a = decide(body);
        observer.accept(a);
        return a;
    }

    private Answer decide(byte[] body) {
        AddCheckpointRequest req;
        Checkpoint cp;
        try {
            req = AddCheckpointRequest.parse(body);
            cp = Checkpoint.parse(req.checkpoint());
        } catch (NoteFormatException e) {
            return Answer.refused(400, null, "malformed request: " + e.getMessage());
        }
        List<VerifierKey> trusted = logs.get(cp.origin());
        if (trusted == null) {
            return Answer.refused(404, cp.origin(), "unknown log origin");
        }
        try {
            if (NoteVerifier.signers(req.checkpoint(), trusted).isEmpty()) {
                return Answer.refused(403, cp.origin(), "no signature from a trusted key of the log");
            }
        } catch (NoteVerifier.BadSignatureException e) {
            return Answer.refused(403, cp.origin(), e.getMessage());
        }
        if (req.oldSize() > cp.size()) {
            return Answer.refused(400, cp.origin(), "old size " + req.oldSize() + " is larger than the checkpoint size " + cp.size());
        }
        synchronized (locks.computeIfAbsent(cp.origin(), o -> new Object())) {
            var latest = state.latest(cp.origin());
            long known = latest.map(s -> s.checkpoint().size()).orElse(0L);
            if (req.oldSize() != known) {
                return Answer.conflict(known, cp.origin(), "old size " + req.oldSize() + " is not the last cosigned size " + known);
            }
            byte[] knownRoot = latest.map(s -> s.checkpoint().root()).orElse(MerkleHash.empty());
            if (req.oldSize() == cp.size() && !MessageDigest.isEqual(knownRoot, cp.root())) {
                return Answer.conflict(known, cp.origin(), "size " + cp.size() + " was cosigned with another root: a split view");
            }
            // From size 0 the proof must be empty (an empty tree is a prefix of every tree); an empty
            // checkpoint's root was checked against SHA-256("") just above.
            if (req.oldSize() == 0) {
                if (!req.proof().isEmpty()) {
                    return Answer.refused(422, cp.origin(), "a proof from size 0 must be empty");
                }
            } else if (!MerkleTree.verifyConsistency(req.oldSize(), cp.size(), knownRoot, cp.root(), req.proof())) {
                return Answer.refused(422, cp.origin(), "the consistency proof from " + req.oldSize() + " to " + cp.size()
                        + " does not verify: possible log misbehaviour");
            }
            state.save(req.checkpoint());
            NoteSignature cosig = key.cosign(req.checkpoint().textBytes(), clock.instant().getEpochSecond());
            return Answer.cosigned(cp, cosig);
        }
    }

    /** An HTTP answer: status, content type, body, and for the log what was decided about which origin. */
    public record Answer(int status, String contentType, byte[] body, String origin, long size, String reason) {
        static Answer refused(int status, String origin, String reason) {
            return new Answer(status, "text/plain; charset=utf-8", (reason + "\n").getBytes(StandardCharsets.UTF_8), origin, -1, reason);
        }

        static Answer conflict(long known, String origin, String reason) {
            return new Answer(409, "text/x.tlog.size", (known + "\n").getBytes(StandardCharsets.US_ASCII), origin, known, reason);
        }

        static Answer cosigned(Checkpoint cp, NoteSignature cosig) {
            return new Answer(200, "text/plain; charset=utf-8", cosig.line().getBytes(StandardCharsets.UTF_8), cp.origin(), cp.size(),
                    null);
        }

        public boolean ok() {
            return status == 200;
        }
    }
}
