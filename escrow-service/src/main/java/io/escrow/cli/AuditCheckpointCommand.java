package io.escrow.cli;

import io.escrow.note.Checkpoint;
import io.escrow.note.NoteSignature;
import io.escrow.note.SignedNote;
import io.escrow.note.VerifierKey;
import io.escrow.proto.v1.AuditServiceGrpc;
import io.escrow.proto.v1.GetTreeHeadRequest;
import java.nio.charset.StandardCharsets;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/** escrowctl audit checkpoint: the newest head as a C2SP signed note, and the log's verifier keys. */
@Command(name = "checkpoint", mixinStandardHelpOptions = true,
        header = "Print the newest tree head as a signed note, with its cosignatures.",
        description = {"Print the newest tree head as a C2SP signed note: the checkpoint, the log's ECDSA and Ed25519",
                "signatures and every witness's cosignature. With --log-keys, print the log's verifier keys (vkeys)",
                "instead, one per line, as a witness operator gives them to escrowctl witness serve --log. Compare them",
                "with the keys the operator published before trusting them: this command only reports what the service says."})
final class AuditCheckpointCommand implements Callable<Integer> {
    @Option(names = "--log-keys", description = "Print the log's verifier keys instead of the note.")
    boolean logKeys;

    @Mixin
    ClientChannels channels;

    @Mixin
    Output output;

    @Override
    public Integer call() {
        var head = channels.call(c -> AuditServiceGrpc.newBlockingStub(c).getTreeHead(GetTreeHeadRequest.getDefaultInstance()));
        List<String> vkeys = head.getLogVkeysList();
        SignedNote note = SignedNote.parse(head.getNote().toByteArray());
        Checkpoint cp = Checkpoint.parse(note);
        List<VerifierKey> keys = vkeys.stream().map(VerifierKey::parse).toList();
        Map<String, Object> doc = new LinkedHashMap<>();
        doc.put("origin", cp.origin());
        doc.put("tree_size", cp.size());
        doc.put("log_vkeys", vkeys);
        doc.put("cosigners", note.signatures().stream().filter(s -> keys.stream().noneMatch(k -> k.matches(s)))
                .map(NoteSignature::keyName).distinct().toList());
        doc.put("note", new String(note.encode(), StandardCharsets.UTF_8));
        output.print(doc, out -> {
            if (logKeys) {
                vkeys.forEach(out::println);
            } else {
                out.print(new String(note.encode(), StandardCharsets.UTF_8));
            }
        });
        return 0;
    }
}
