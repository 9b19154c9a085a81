package io.escrow.cli;

import com.google.protobuf.ByteString;
import io.escrow.audit.AuditEntry;
import io.escrow.audit.SignedTreeHead;
import io.escrow.merkle.MerkleHash;
import io.escrow.merkle.MerkleTree;
import io.escrow.proto.v1.AuditEvent;
import io.escrow.proto.v1.AuditServiceGrpc;
import io.escrow.proto.v1.GetInclusionProofRequest;
import io.escrow.proto.v1.GetTreeHeadRequest;
import io.escrow.proto.v1.StreamAuditRequest;
import io.grpc.Context;
import io.grpc.ManagedChannel;
import java.nio.ByteBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Base64;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.Callable;
import org.bouncycastle.util.encoders.Hex;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/** escrowctl audit prove and audit show: an overseer reads and proves single leaves. */
final class AuditReadCommands {
    private AuditReadCommands() {}

    @Command(name = "prove", mixinStandardHelpOptions = true,
        header = "Prove that one leaf is in the signed log, verified here.",
            description = {"Prove that leaf N is in the log: fetch the latest signed tree head, check its signature (against",
                    "the key pinned in --state when that file exists), fetch the leaf and its inclusion proof, and verify",
                    "the proof here. Exits 1 if anything does not verify."})
    static final class Prove implements Callable<Integer> {
        @Option(names = "--index", required = true, description = "The leaf index.")
        long index;

        @Option(names = "--state", description = "A state file of audit verify or audit follow, whose pinned key the head must be signed by.")
        Path state;

        @Mixin
        ClientChannels channels;

        @Mixin
        Output output;

        @Override
        public Integer call() {
            if (index < 0) {
                throw CliException.usage("--index must be 0 or more");
            }
            ManagedChannel channel = channels.open();
            try {
                var audit = AuditServiceGrpc.newBlockingStub(channel);
                var head = audit.getTreeHead(GetTreeHeadRequest.getDefaultInstance());
                byte[] spki = head.getPublicKey().toByteArray();
                Optional<AuditHeads.State> pinned = state == null ? Optional.empty() : AuditHeads.State.load(state);
                if (pinned.isPresent() && !Arrays.equals(pinned.get().publicKey(), spki)) {
                    throw CliException.refused("PROOF FAILED: the tree head is signed by a key other than the one pinned in " + state);
                }
                SignedTreeHead.Parsed signed;
                try {
                    signed = AuditHeads.checkSigned(AuditHeads.publicKey(spki), head.getCheckpoint(), head.getSignature());
                } catch (AuditHeads.Failure f) {
                    throw CliException.refused("PROOF FAILED: " + f.getMessage());
                }
                if (index >= signed.size()) {
                    throw CliException.refused("leaf " + index + " is not in the log: the latest signed head has " + signed.size() + " leaves");
                }
                AuditEvent leaf = leaves(channel, index, 1).get(0);
                byte[] leafHash = MerkleHash.leaf(leaf.getLeaf().toByteArray());
                List<byte[]> proof = audit.getInclusionProof(GetInclusionProofRequest.newBuilder().setIndex(index)
                        .setTreeSize(signed.size()).build()).getHashesList().stream().map(ByteString::toByteArray).toList();
                if (!MerkleTree.verifyInclusion(leafHash, index, signed.size(), proof, signed.root())) {
                    throw CliException.refused("PROOF FAILED: the inclusion proof of leaf " + index + " does not lead to the signed root of size "
                            + signed.size());
                }
                Map<String, Object> doc = new LinkedHashMap<>();
                doc.put("index", index);
                doc.put("leaf_hash", Hex.toHexString(leafHash));
                doc.put("tree_size", signed.size());
                doc.put("root", Base64.getEncoder().encodeToString(signed.root()));
                doc.put("origin", signed.origin());
                doc.put("proof", proof.stream().map(Hex::toHexString).toList());
                doc.put("verified", true);
                doc.put("leaf", leafJson(leaf));
                output.print(doc, o -> {
                    o.printf("OK: leaf %d (hash %s) is in the log of %d leaves, root %s (origin %s),%n", index, Hex.toHexString(leafHash),
                            signed.size(), Base64.getEncoder().encodeToString(signed.root()), signed.origin());
                    o.printf("    by an inclusion proof of %d hash(es), verified here against the signed head.%n", proof.size());
                    printLeaf(leaf, o);
                });
                return 0;
            } finally {
                channel.shutdownNow();
            }
        }
    }

    @Command(name = "show", mixinStandardHelpOptions = true, description = "Show leaves of the audit log, decoded, from --index on.")
    static final class Show implements Callable<Integer> {
        @Option(names = "--index", required = true, description = "The first leaf's index.")
        long index;

        @Option(names = "--count", defaultValue = "1", description = "How many leaves (default: ${DEFAULT-VALUE}; at most 10000).")
        int count;

        @Mixin
        ClientChannels channels;

        @Mixin
        Output output;

        @Override
        public Integer call() {
            if (index < 0 || count < 1 || count > 10_000) {
                throw CliException.usage("--index must be 0 or more and --count 1..10000");
            }
            ManagedChannel channel = channels.open();
            try {
                List<AuditEvent> leaves = leaves(channel, index, count);
                if (leaves.isEmpty()) {
                    throw CliException.refused("the log has no leaf at index " + index);
                }
                output.print(Map.of("leaves", leaves.stream().map(AuditReadCommands::leafJson).toList()),
                        o -> leaves.forEach(l -> printLeaf(l, o)));
                return 0;
            } finally {
                channel.shutdownNow();
            }
        }
    }

    /** Up to {@code count} leaves from {@code from}; fewer when the log ends first. */
    static List<AuditEvent> leaves(ManagedChannel channel, long from, int count) {
        List<AuditEvent> out = new ArrayList<>();
        Context.CancellableContext ctx = Context.current().withCancellation();
        try {
            ctx.run(() -> {
                Iterator<AuditEvent> it = AuditServiceGrpc.newBlockingStub(channel).streamAudit(
                        StreamAuditRequest.newBuilder().setFromIndex(from).setFollow(false).build());
                while (out.size() < count && it.hasNext()) {
                    out.add(it.next());
                }
            });
        } finally {
            ctx.cancel(null);
        }
        return out;
    }

    static Map<String, Object> leafJson(AuditEvent e) {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("index", e.getIndex());
        m.put("type", e.getType());
        m.put("actor", e.getActor());
        m.put("time", java.time.Instant.ofEpochSecond(e.getTime().getSeconds(), e.getTime().getNanos()).toString());
        Map<String, Object> fields = new LinkedHashMap<>();
        try {
            AuditEntry.decode(e.getLeaf().toByteArray()).fields().forEach((k, v) -> fields.put(k, readable(v)));
            m.put("fields", fields);
        } catch (IllegalArgumentException notV1) {
            m.put("leaf_hex", Hex.toHexString(e.getLeaf().toByteArray()));
        }
        return m;
    }

    static void printLeaf(AuditEvent e, java.io.PrintStream o) {
        Map<String, Object> m = leafJson(e);
        o.printf("#%d %s by %s at %s%n", e.getIndex(), e.getType(), e.getActor(), m.get("time"));
        if (m.get("fields") instanceof Map<?, ?> fields) {
            fields.forEach((k, v) -> o.printf("    %s = %s%n", k, v));
        } else {
            o.println("    (not a version 1 leaf) " + m.get("leaf_hex"));
        }
    }

    /** A field as text when it is printable UTF-8, else as hex (digests and keys). */
    static String readable(byte[] v) {
        try {
            String s = StandardCharsets.UTF_8.newDecoder().decode(ByteBuffer.wrap(v)).toString();
            if (s.codePoints().allMatch(c -> c >= 0x20 && c != 0x7f)) {
                return s;
            }
        } catch (CharacterCodingException ignored) {
            // binary: hex below
        }
        return "hex:" + Hex.toHexString(v);
    }
}
