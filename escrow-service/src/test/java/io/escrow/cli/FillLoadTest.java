package io.escrow.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.escrow.proto.v1.EscrowKey;
import io.escrow.proto.v1.EscrowServiceGrpc;
import io.escrow.proto.v1.GetEscrowKeyRequest;
import io.escrow.storage.Database;
import io.grpc.Channel;
import io.quarkus.grpc.GrpcClient;
import io.quarkus.test.junit.QuarkusTest;
import jakarta.inject.Inject;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HexFormat;
import org.junit.jupiter.api.Test;

/** escrowctl load --fill against the service: it fills, resumes from its state file, and refuses a state that is not its own. */
@QuarkusTest
class FillLoadTest {
    @GrpcClient("escrow")
    Channel channel;

    @Inject
    Database db;

    private EscrowKey key() {
        return EscrowServiceGrpc.newBlockingStub(channel).getEscrowKey(GetEscrowKeyRequest.getDefaultInstance());
    }

    @Test
    void fill_thenResumeFromARewoundState_storesEachDepositOnce() throws Exception {
        Path state = Files.createTempDirectory("fill-").resolve("fill.state");
        EscrowKey key = key();
        new FillLoad(channel, key, state).run(3_000);
        FillState done = FillState.loadOrCreate(state, key.getKeyId());
        assertEquals(3_000, done.acknowledged());
        String prefix = "fill-" + HexFormat.of().formatHex(done.seed(), 0, 6) + "-";
        assertEquals(3_000, stored(prefix));

        // As if the fill had been killed before these receipts were saved: the rewound range is
        // sent again, byte for byte, and the service answers it as replays.
        new FillState(done.seed(), new long[] {1_000, 1_001, 1_002, 1_003}).save(state, key.getKeyId());
        new FillLoad(channel, key, state).run(5_000);
        assertEquals(5_000, FillState.loadOrCreate(state, key.getKeyId()).acknowledged());
        assertEquals(5_000, stored(prefix), "each deposit is stored once");
    }

    @Test
    void loadOrCreate_withAnotherKeysStateOrGarbage_isAUsageError() throws Exception {
        Path dir = Files.createTempDirectory("fill-");
        Path state = dir.resolve("fill.state");
        FillState.fresh().save(state, "ek-other");
        var other = assertThrows(CliException.class, () -> FillState.loadOrCreate(state, "ek-mine"));
        assertEquals(CliException.USAGE, other.exitCode());
        assertTrue(other.getMessage().contains("under key ek-other, not ek-mine"), other.getMessage());

        Files.writeString(state, "key_id=ek-mine\nseed=00\nnext.0=0\nnext.1=1\nnext.2=2\nnext.3=3\n");
        var shortSeed = assertThrows(CliException.class, () -> FillState.loadOrCreate(state, "ek-mine"));
        assertTrue(shortSeed.getMessage().contains("is not a fill state file"), shortSeed.getMessage());

        Files.writeString(state, "key_id=ek-mine\nseed=" + "00".repeat(32) + "\nnext.0=0\nnext.1=2\nnext.2=2\nnext.3=3\n");
        var wrongLane = assertThrows(CliException.class, () -> FillState.loadOrCreate(state, "ek-mine"));
        assertTrue(wrongLane.getMessage().contains("next.1 = 2 is not a position of stream 1"), wrongLane.getMessage());

        Path fresh = dir.resolve("new.state");
        assertEquals(0, FillState.loadOrCreate(fresh, "ek-mine").acknowledged());
        assertTrue(Files.exists(fresh), "a new fill saves its seed before sending anything");
    }

    private long stored(String prefix) throws Exception {
        try (var c = db.connection(); var ps = c.prepareStatement("select count(*) from deposits where provider_record_id like ?")) {
            ps.setString(1, prefix + "%");
            try (var rs = ps.executeQuery()) {
                rs.next();
                return rs.getLong(1);
            }
        }
    }
}
