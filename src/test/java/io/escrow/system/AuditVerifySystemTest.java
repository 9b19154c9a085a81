package io.escrow.system;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.escrow.proto.v1.EscrowKey;
import io.escrow.proto.v1.EscrowServiceGrpc;
import io.escrow.proto.v1.FileWarrantRequest;
import io.escrow.proto.v1.GetEscrowKeyRequest;
import io.escrow.proto.v1.WarrantServiceGrpc;
import io.grpc.ManagedChannel;
import io.grpc.ManagedChannelBuilder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * escrowctl audit verify against the packaged service: a clean log verifies; a leaf changed,
 * two leaves swapped, a row's columns rewritten, or the end of the log deleted directly in
 * PostgreSQL are each caught with the first bad index. Each case restores the row afterwards.
 */
class AuditVerifySystemTest {
    private static Path dataDir;
    private static ServiceProcess service;
    private static ManagedChannel channel;
    private static long size;

    @BeforeAll
    static void start() throws Exception {
        dataDir = Files.createTempDirectory("escrow-audit-");
        service = ServiceProcess.start(dataDir, dataDir.resolve("service.log"));
        channel = ManagedChannelBuilder.forAddress("localhost", service.grpcPort).usePlaintext().build();
        var escrow = EscrowServiceGrpc.newBlockingStub(channel);
        EscrowKey key = escrow.getEscrowKey(GetEscrowKeyRequest.getDefaultInstance());
        for (int i = 0; i < 30; i++) {
            escrow.deposit(EmbeddedServiceSystemTest.sealed(key, "audit-" + i));
        }
        // Leaves without dependants at the end of the log (refused filings), so truncation can be staged.
        var warrants = WarrantServiceGrpc.newBlockingStub(channel);
        for (int i = 0; i < 5; i++) {
            try {
                warrants.fileWarrant(FileWarrantRequest.getDefaultInstance());
            } catch (RuntimeException expected) {
                // INVALID_ARGUMENT, audited as warrant_filing_rejected
            }
        }
        var first = verify("initial");
        assertEquals(0, first.exit(), first.output());
        var m = java.util.regex.Pattern.compile("OK: (\\d+) leaves").matcher(first.output());
        assertTrue(m.find(), first.output());
        size = Long.parseLong(m.group(1));
        assertTrue(size >= 35, first.output());
    }

    @AfterAll
    static void stop() throws Exception {
        if (channel != null) {
            channel.shutdownNow();
        }
        if (service != null) {
            service.close();
        }
    }

    private static ServiceProcess.Result verify(String state) throws Exception {
        return ServiceProcess.escrowctl(dataDir, "audit", "verify", "--target", "localhost:" + service.grpcPort,
                "--state", dataDir.resolve(state + ".state").toString());
    }

    private static Connection db() throws Exception {
        return DriverManager.getConnection(service.embeddedJdbcUrl());
    }

    private record Row(long idx, java.sql.Timestamp at, String type, String actor, byte[] leaf) {}

    private static List<Row> rows(Connection c, long from, long to) throws Exception {
        List<Row> out = new ArrayList<>();
        try (PreparedStatement ps = c.prepareStatement("select idx, logged_at, type, actor, leaf from audit_log where idx >= ? and idx < ? order by idx")) {
            ps.setLong(1, from);
            ps.setLong(2, to);
            ResultSet rs = ps.executeQuery();
            while (rs.next()) {
                out.add(new Row(rs.getLong(1), rs.getTimestamp(2), rs.getString(3), rs.getString(4), rs.getBytes(5)));
            }
        }
        return out;
    }

    private static void write(Connection c, Row r, long at) throws Exception {
        try (PreparedStatement ps = c.prepareStatement("update audit_log set logged_at = ?, type = ?, actor = ?, leaf = ? where idx = ?")) {
            ps.setTimestamp(1, r.at());
            ps.setString(2, r.type());
            ps.setString(3, r.actor());
            ps.setBytes(4, r.leaf());
            ps.setLong(5, at);
            assertEquals(1, ps.executeUpdate());
        }
    }

    private static void assertFailsAt(String state, long index) throws Exception {
        var r = verify(state);
        assertEquals(1, r.exit(), r.output());
        assertTrue(r.output().contains("AUDIT VERIFICATION FAILED"), r.output());
        assertTrue(r.output().contains("first bad index " + index) || r.output().contains("first missing index " + index),
                "expected index " + index + " in:\n" + r.output());
    }

    // A deposit's leaf is rebuilt from its deposits row (V12); every other leaf is an audit_log
    // row. Each kind of tampering is staged on both.

    @Test
    void tamperedLeaf_isCaughtAtItsIndex() throws Exception {
        try (Connection c = db()) {
            long deposit = depositIndex(c, 7);
            byte[] ciphertext = depositBytes(c, "ciphertext", deposit);
            byte[] changed = ciphertext.clone();
            changed[changed.length - 1] ^= 1;
            setDeposit(c, "ciphertext", changed, deposit);
            try {
                assertFailsAt("tamper-deposit", deposit);
            } finally {
                setDeposit(c, "ciphertext", ciphertext, deposit);
            }
            long filing = size - 5;
            Row orig = rows(c, filing, filing + 1).get(0);
            byte[] leaf = orig.leaf().clone();
            leaf[leaf.length - 1] ^= 1;
            write(c, new Row(filing, orig.at(), orig.type(), orig.actor(), leaf), filing);
            try {
                assertFailsAt("tamper", filing);
            } finally {
                write(c, orig, filing);
            }
        }
        assertEquals(0, verify("tamper-restored").exit());
    }

    @Test
    void reorderedLeaves_areCaughtAtTheFirstMovedIndex() throws Exception {
        try (Connection c = db()) {
            long first = depositIndex(c, 11);
            long second = depositIndex(c, 12);
            swapDeposits(c, first, second);
            try {
                assertFailsAt("reorder", first);
            } finally {
                swapDeposits(c, first, second);
            }
        }
        assertEquals(0, verify("reorder-restored").exit());
    }

    @Test
    void rewrittenRowColumns_areCaughtAtTheRow() throws Exception {
        try (Connection c = db()) {
            long deposit = depositIndex(c, 15);
            byte[] provider = depositBytes(c, "convert_to(provider, 'UTF8')", deposit);
            try (PreparedStatement ps = c.prepareStatement("update deposits set provider = 'someone-else' where audit_index = ?")) {
                ps.setLong(1, deposit);
                assertEquals(1, ps.executeUpdate());
            }
            try {
                assertFailsAt("rewrite-deposit", deposit);
            } finally {
                try (PreparedStatement ps = c.prepareStatement("update deposits set provider = ? where audit_index = ?")) {
                    ps.setString(1, new String(provider, java.nio.charset.StandardCharsets.UTF_8));
                    ps.setLong(2, deposit);
                    assertEquals(1, ps.executeUpdate());
                }
            }
            long filing = size - 5;
            Row orig = rows(c, filing, filing + 1).get(0);
            write(c, new Row(filing, orig.at(), orig.type(), "someone-else", orig.leaf()), filing);
            try {
                assertFailsAt("rewrite", filing);
            } finally {
                write(c, orig, filing);
            }
        }
        assertEquals(0, verify("rewrite-restored").exit());
    }

    /** The audit index of the {@code nth} deposit (from 0) in log order. */
    private static long depositIndex(Connection c, int nth) throws Exception {
        try (PreparedStatement ps = c.prepareStatement("select audit_index from deposits order by audit_index offset ? limit 1")) {
            ps.setInt(1, nth);
            ResultSet rs = ps.executeQuery();
            assertTrue(rs.next(), "no deposit number " + nth);
            return rs.getLong(1);
        }
    }

    private static byte[] depositBytes(Connection c, String column, long index) throws Exception {
        try (PreparedStatement ps = c.prepareStatement("select " + column + " from deposits where audit_index = ?")) {
            ps.setLong(1, index);
            ResultSet rs = ps.executeQuery();
            assertTrue(rs.next());
            return rs.getBytes(1);
        }
    }

    private static void setDeposit(Connection c, String column, byte[] value, long index) throws Exception {
        try (PreparedStatement ps = c.prepareStatement("update deposits set " + column + " = ? where audit_index = ?")) {
            ps.setBytes(1, value);
            ps.setLong(2, index);
            assertEquals(1, ps.executeUpdate());
        }
    }

    private static void swapDeposits(Connection c, long a, long b) throws Exception {
        try (PreparedStatement ps = c.prepareStatement(
                "update deposits set audit_index = case audit_index when ? then ? else ? end where audit_index in (?, ?)")) {
            ps.setLong(1, a);
            ps.setLong(2, b);
            ps.setLong(3, a);
            ps.setLong(4, a);
            ps.setLong(5, b);
            assertEquals(2, ps.executeUpdate());
        }
    }

    @Test
    void truncatedLog_isCaughtAtTheFirstMissingIndex() throws Exception {
        try (Connection c = db()) {
            List<Row> tail = rows(c, size - 3, size);
            try (PreparedStatement ps = c.prepareStatement("delete from audit_log where idx >= ?")) {
                ps.setLong(1, size - 3);
                ps.executeUpdate();
            }
            try {
                assertFailsAt("truncate", size - 3);
            } finally {
                try (PreparedStatement ps = c.prepareStatement("insert into audit_log (idx, logged_at, type, actor, leaf) values (?, ?, ?, ?, ?)")) {
                    for (Row r : tail) {
                        ps.setLong(1, r.idx());
                        ps.setTimestamp(2, r.at());
                        ps.setString(3, r.type());
                        ps.setString(4, r.actor());
                        ps.setBytes(5, r.leaf());
                        ps.executeUpdate();
                    }
                }
            }
        }
    }

    @Test
    void secondRun_checksConsistencyWithTheSavedHead() throws Exception {
        var again = verify("initial");
        assertEquals(0, again.exit(), again.output());
        assertTrue(Files.readString(dataDir.resolve("initial.state")).contains("public_key="));
    }
}
