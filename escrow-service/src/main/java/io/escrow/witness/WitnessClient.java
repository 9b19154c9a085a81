package io.escrow.witness;

import io.escrow.note.NoteFormatException;
import io.escrow.note.NoteSignature;
import io.escrow.note.NoteVerifier;
import io.escrow.note.SignedNote;
import java.io.IOException;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;

/**
 * The log's side of c2sp.org/tlog-witness: submits a checkpoint with its consistency proof and
 * reads the answer. Cosignatures are kept only when they verify under the witness's configured
 * key; lines from other keys are ignored, as the spec requires.
 */
public final class WitnessClient {
    private final HttpClient http;
    private final Duration timeout;

    public WitnessClient(Duration timeout) {
        this.timeout = timeout;
        this.http = HttpClient.newBuilder().connectTimeout(timeout).version(HttpClient.Version.HTTP_1_1).build();
    }

    /** What a witness answered. */
    public sealed interface Outcome permits Cosigned, SizeConflict, Refused {}

    /** 200 with at least one valid cosignature from the witness's key. */
    public record Cosigned(List<NoteSignature> cosignatures) implements Outcome {}

    /** 409 with a size: the witness's last cosigned size is {@code size}. */
    public record SizeConflict(long size) implements Outcome {}

    /** Any other answer, or a 200 without a valid cosignature. {@code reason} is one of the metric reasons. */
    public record Refused(int status, String reason, String detail) implements Outcome {}

    /** Submits {@code request} to {@code witness}; IOException when it cannot be reached. */
    public Outcome submit(WitnessSettings.Configured witness, AddCheckpointRequest request) throws IOException, InterruptedException {
        HttpRequest req = HttpRequest.newBuilder(witness.addCheckpoint()).timeout(timeout)
                .header("Content-Type", "text/plain; charset=utf-8")
                .POST(HttpRequest.BodyPublishers.ofByteArray(request.encode())).build();
        HttpResponse<byte[]> res = http.send(req, HttpResponse.BodyHandlers.ofByteArray());
        String body = new String(res.body(), StandardCharsets.UTF_8);
        String type = res.headers().firstValue("Content-Type").orElse("");
        switch (res.statusCode()) {
            case 200:
                return cosignatures(witness, request.checkpoint(), body);
            case 409:
                if (type.startsWith("text/x.tlog.size") && body.strip().matches("0|[1-9][0-9]{0,18}")) {
                    return new SizeConflict(Long.parseLong(body.strip()));
                }
                return new Refused(409, "conflict", firstLine(body));
            case 422:
                return new Refused(422, "inconsistent", firstLine(body));
            default:
                return new Refused(res.statusCode(), "refused", firstLine(body));
        }
    }

    private static Outcome cosignatures(WitnessSettings.Configured witness, SignedNote checkpoint, String body) {
        List<NoteSignature> lines = new ArrayList<>();
        try {
            for (String line : body.split("\n")) {
                if (!line.isEmpty()) {
                    lines.add(NoteSignature.parseLine(line));
                }
            }
        } catch (NoteFormatException e) {
            return new Refused(200, "bad_response", "the answer is not note signature lines: " + e.getMessage());
        }
        List<NoteSignature> valid = new ArrayList<>();
        for (NoteSignature s : lines) {
            if (witness.key().matches(s)) {
                if (NoteVerifier.validCosigners(SignedNote.of(checkpoint.text(), List.of(s)), List.of(witness.key())) == 1) {
                    valid.add(s);
                } else {
                    return new Refused(200, "bad_response", "a cosignature from the witness's key does not verify");
                }
            }
        }
        if (valid.isEmpty()) {
            return new Refused(200, "bad_response", "no cosignature from the witness's configured key");
        }
        return new Cosigned(valid);
    }

    private static String firstLine(String body) {
        String l = body.strip().lines().findFirst().orElse("");
        return l.length() > 200 ? l.substring(0, 200) + "..." : l;
    }
}
