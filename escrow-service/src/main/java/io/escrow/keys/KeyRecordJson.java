package io.escrow.keys;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.escrow.threshold.CustodianShare;
import io.escrow.threshold.FeldmanCommitments;
import io.escrow.threshold.KeyRecord;
import io.escrow.threshold.P256;
import io.escrow.threshold.ThresholdParameters;
import java.io.IOException;
import java.math.BigInteger;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import org.bouncycastle.math.ec.ECPoint;
import org.bouncycastle.util.encoders.Hex;

/**
 * The public key record as JSON: what a ceremony publishes and what custodians and overseers can
 * check (public key, Feldman commitments, public shares). Parsing re-validates everything.
 */
public final class KeyRecordJson {
    private static final ObjectMapper MAPPER = new ObjectMapper();
    public static final int FORMAT_VERSION = 1;

    private KeyRecordJson() {}

    public static byte[] write(KeyRecord r) {
        ObjectNode root = MAPPER.createObjectNode();
        root.put("format", FORMAT_VERSION);
        root.put("key_id", r.keyId());
        root.put("public_key", Hex.toHexString(r.publicKeyBytes()));
        root.put("threshold", r.parameters().threshold());
        root.put("custodian_count", r.parameters().custodians());
        root.put("share_scale", r.scale().toString());
        ArrayNode commitments = root.putArray("feldman_commitments");
        r.commitments().points().forEach(p -> commitments.add(Hex.toHexString(P256.encodeUncompressed(p))));
        ArrayNode shares = root.putArray("shares");
        for (CustodianShare s : r.shares()) {
            ObjectNode n = shares.addObject();
            n.put("custodian_id", s.custodianId());
            n.put("index", s.index());
            n.put("public_share", Hex.toHexString(P256.encodeUncompressed(s.publicShare())));
        }
        root.put("created_at", r.createdAt().toString());
        try {
            return MAPPER.writerWithDefaultPrettyPrinter().writeValueAsBytes(root);
        } catch (IOException e) {
            throw new IllegalStateException(e);
        }
    }

    public static KeyRecord read(byte[] json) throws IOException {
        JsonNode root = MAPPER.readTree(json);
        if (root == null || root.path("format").asInt() != FORMAT_VERSION) {
            throw new IOException("not a version " + FORMAT_VERSION + " key record");
        }
        try {
            List<ECPoint> commitments = new ArrayList<>();
            for (JsonNode c : root.withArray("feldman_commitments")) {
                commitments.add(P256.decodeUncompressed("feldman_commitments", Hex.decode(c.asText())));
            }
            List<CustodianShare> shares = new ArrayList<>();
            for (JsonNode s : root.withArray("shares")) {
                shares.add(new CustodianShare(s.path("custodian_id").asText(), s.path("index").asInt(),
                        P256.decodeUncompressed("public_share", Hex.decode(s.path("public_share").asText()))));
            }
            return new KeyRecord(
                    root.path("key_id").asText(),
                    P256.decodeUncompressed("public_key", Hex.decode(root.path("public_key").asText())),
                    new ThresholdParameters(root.path("threshold").asInt(), root.path("custodian_count").asInt()),
                    new BigInteger(root.path("share_scale").asText()),
                    new FeldmanCommitments(commitments),
                    shares,
                    Instant.parse(root.path("created_at").asText()));
        } catch (RuntimeException e) {
            throw new IOException("invalid key record: " + e.getMessage(), e);
        }
    }
}
