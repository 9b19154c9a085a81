package io.escrow.cli;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.dataformat.yaml.YAMLFactory;
import com.google.protobuf.ByteString;
import com.google.protobuf.Timestamp;
import io.escrow.proto.v1.FileWarrantRequest;
import io.escrow.proto.v1.Warrant;
import io.escrow.proto.v1.WarrantServiceGrpc;
import io.escrow.proto.v1.WarrantSpec;
import java.io.IOException;
import java.nio.file.Path;
import java.security.SecureRandom;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.Callable;
import org.bouncycastle.util.encoders.DecoderException;
import org.bouncycastle.util.encoders.Hex;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/** escrowctl warrant file: what an agency runs to file a warrant. */
@Command(name = "file", mixinStandardHelpOptions = true,
        header = "File a warrant, as an agency.",
        description = {"File a warrant, as an agency. The spec comes from --spec (a JSON or YAML file with the",
                "fields of escrow.v1.WarrantSpec in snake_case) and from the options below, which win over the file.",
                "Prints the warrant_id, and writes the signed_bytes the authorities must sign to --out."})
final class WarrantFileCommand implements Callable<Integer> {
    private static final Set<String> FIELDS = Set.of("case_reference", "requesting_agency", "subject_ids", "covers_from",
            "covers_until", "not_before", "not_after", "max_records", "recipient_public_key", "nonce");

    @Option(names = "--spec", description = "A JSON or YAML file holding the warrant spec.")
    Path specFile;

    @Option(names = "--case-reference", description = "The court's case reference.")
    String caseReference;

    @Option(names = "--agency", description = "The requesting agency, as the warrant names it.")
    String agency;

    @Option(names = "--subject", description = "A subject id the warrant covers; repeat for several.")
    List<String> subjects;

    @Option(names = "--covers-from", description = "Start of the conversations covered (ISO-8601, epoch seconds, or now-30d).")
    String coversFrom;

    @Option(names = "--covers-until", description = "End of the conversations covered.")
    String coversUntil;

    @Option(names = "--not-before", description = "When recovery may start (default: now).")
    String notBefore;

    @Option(names = "--not-after", description = "When the warrant expires, for example now+30d.")
    String notAfter;

    @Option(names = "--max-records", description = "The most records the warrant may release.")
    Long maxRecords;

    @Option(names = "--recipient-key", description = "The recipient's private key file (PEM, from escrowctl recover keygen); "
            + "only its public key is sent.")
    Path recipientKey;

    @Option(names = "--recipient-public-key", description = "The recipient's public key, SEC1 uncompressed P-256, in hex.")
    String recipientPublicKey;

    @Option(names = "--out", description = "Where to write the signed_bytes (default: <warrant_id>.signed in this directory).")
    Path out;

    @Mixin
    ClientChannels channels;

    @Mixin
    Output output;

    @Override
    public Integer call() {
        file();
        return 0;
    }

    /** Files the warrant, writes its signed bytes, prints the result; escrowctl demo files through this too. */
    Warrant file() {
        WarrantSpec spec = spec(Instant.now());
        Warrant w = channels.call(channel -> WarrantServiceGrpc.newBlockingStub(channel)
                .fileWarrant(FileWarrantRequest.newBuilder().setSpec(spec).build()));
        Path written = out != null ? out : Path.of(w.getWarrantId() + ".signed");
        CliFiles.write("--out", written, w.getSignedBytes().toByteArray());
        Map<String, Object> doc = new LinkedHashMap<>(WarrantView.json(w));
        doc.put("signed_bytes_file", written.toString());
        output.print(doc, o -> {
            o.println(w.getWarrantId());
            o.printf("warrant %s filed; it is %s until the authorities approve it.%n", w.getWarrantId(), w.getState());
            o.printf("The bytes they sign are in %s (%d bytes):%n", written, w.getSignedBytes().size());
            w.getSignedBytes().toStringUtf8().lines().forEach(l -> o.println("  | " + l));
        });
        return w;
    }

    /** The spec file's fields, overridden by the options given; every required field checked here. */
    WarrantSpec spec(Instant now) {
        Map<String, JsonNode> file = specFile == null ? Map.of() : readSpec(specFile);
        String caseRef = first(caseReference, file, "case_reference");
        String agencyName = first(agency, file, "requesting_agency");
        List<String> subjectIds = subjects != null ? subjects : file.containsKey("subject_ids") ? strings(file.get("subject_ids")) : null;
        String from = first(coversFrom, file, "covers_from");
        String until = first(coversUntil, file, "covers_until");
        String after = first(notAfter, file, "not_after");
        String before = first(notBefore, file, "not_before");
        String max = maxRecords != null ? maxRecords.toString() : first(null, file, "max_records");
        byte[] recipient = recipient(file);
        List<String> missing = new ArrayList<>();
        if (caseRef == null) missing.add("--case-reference");
        if (agencyName == null) missing.add("--agency");
        if (subjectIds == null || subjectIds.isEmpty()) missing.add("--subject");
        if (from == null) missing.add("--covers-from");
        if (until == null) missing.add("--covers-until");
        if (after == null) missing.add("--not-after");
        if (max == null) missing.add("--max-records");
        if (recipient == null) missing.add("--recipient-key or --recipient-public-key");
        if (!missing.isEmpty()) {
            throw CliException.usage("the warrant spec lacks " + String.join(", ", missing) + " (options or --spec fields)");
        }
        long maxValue;
        try {
            maxValue = Long.parseLong(max.strip());
        } catch (NumberFormatException e) {
            throw CliException.usage("max_records: '" + max + "' is not a number");
        }
        if (maxValue < 1 || maxValue > 0xFFFF_FFFFL) {
            throw CliException.usage("max_records: must be 1.." + 0xFFFF_FFFFL);
        }
        String nonceHex = first(null, file, "nonce");
        byte[] nonce = nonceHex != null ? hex("nonce", nonceHex) : new byte[16];
        if (nonceHex == null) {
            new SecureRandom().nextBytes(nonce);
        }
        return WarrantSpec.newBuilder().setCaseReference(caseRef).setRequestingAgency(agencyName).addAllSubjectIds(subjectIds)
                .setCoversFrom(ts(TimeArgs.epochSeconds("covers_from", from, now)))
                .setCoversUntil(ts(TimeArgs.epochSeconds("covers_until", until, now)))
                .setNotBefore(ts(before == null ? now.getEpochSecond() : TimeArgs.epochSeconds("not_before", before, now)))
                .setNotAfter(ts(TimeArgs.epochSeconds("not_after", after, now)))
                .setMaxRecords((int) maxValue)
                .setRecipientPublicKey(ByteString.copyFrom(recipient))
                .setNonce(ByteString.copyFrom(nonce)).build();
    }

    private byte[] recipient(Map<String, JsonNode> file) {
        if (recipientKey != null && recipientPublicKey != null) {
            throw CliException.usage("give one of --recipient-key and --recipient-public-key");
        }
        if (recipientKey != null) {
            CliFiles.requireReadable("--recipient-key", recipientKey);
            try {
                return RecoverCommand.readPrivate(recipientKey).publicKeyBytes();
            } catch (Exception e) {
                throw CliException.usage("--recipient-key " + recipientKey + ": not a P-256 private key in PEM: " + e.getMessage());
            }
        }
        String hex = first(recipientPublicKey, file, "recipient_public_key");
        return hex == null ? null : hex("recipient_public_key", hex);
    }

    private static Map<String, JsonNode> readSpec(Path file) {
        byte[] raw = CliFiles.read("--spec", file);
        JsonNode root;
        try {
            // YAML is a superset of JSON, so one parser reads both.
            root = new ObjectMapper(new YAMLFactory()).readTree(raw);
        } catch (IOException e) {
            throw CliException.usage("--spec " + file + ": neither JSON nor YAML: " + e.getMessage().lines().findFirst().orElse(""));
        }
        if (root == null || !root.isObject()) {
            throw CliException.usage("--spec " + file + ": must hold one object with the spec's fields");
        }
        Map<String, JsonNode> out = new LinkedHashMap<>();
        for (Iterator<Map.Entry<String, JsonNode>> it = root.fields(); it.hasNext(); ) {
            Map.Entry<String, JsonNode> e = it.next();
            if (!FIELDS.contains(e.getKey())) {
                throw CliException.usage("--spec " + file + ": unknown field '" + e.getKey() + "'; the fields are " + new java.util.TreeSet<>(FIELDS));
            }
            out.put(e.getKey(), e.getValue());
        }
        return out;
    }

    private static String first(String option, Map<String, JsonNode> file, String field) {
        if (option != null) {
            return option;
        }
        JsonNode n = file.get(field);
        if (n == null || n.isNull()) {
            return null;
        }
        if (!n.isValueNode()) {
            throw CliException.usage("--spec: " + field + " must be a single value");
        }
        return n.asText();
    }

    private static List<String> strings(JsonNode n) {
        if (!n.isArray()) {
            throw CliException.usage("--spec: subject_ids must be a list");
        }
        List<String> out = new ArrayList<>();
        n.forEach(e -> out.add(e.asText()));
        return out;
    }

    private static byte[] hex(String field, String value) {
        try {
            return Hex.decode(value.strip());
        } catch (DecoderException e) {
            throw CliException.usage(field + ": not hex");
        }
    }

    private static Timestamp ts(long s) {
        return Timestamp.newBuilder().setSeconds(s).build();
    }
}
