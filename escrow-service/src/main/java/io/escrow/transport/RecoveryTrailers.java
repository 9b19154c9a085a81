package io.escrow.transport;

import io.escrow.recovery.RecoveryReport;
import io.grpc.Metadata;
import java.util.stream.Collectors;

/**
 * The totals of a completed Recover stream, sent as trailers with its OK status. The contract's
 * RecoveredKey has no place for a record that could not be opened, so without these a recipient
 * could not tell a short stream from a complete one. Clients that ignore trailers are unaffected.
 */
public final class RecoveryTrailers {
    public static final Metadata.Key<String> RELEASED = key("escrow-released");
    public static final Metadata.Key<String> RESENT = key("escrow-resent");
    public static final Metadata.Key<String> FAILED = key("escrow-failed");
    /** Up to {@link RecoveryReport#MAX_LISTED} record_ids, comma-separated; every one is audited as release_failed. */
    public static final Metadata.Key<String> FAILED_RECORDS = key("escrow-failed-records");
    public static final Metadata.Key<String> OUTCOME = key("escrow-outcome");
    /** Retired keys, comma-separated: any may have held deposits in scope, which are destroyed and never released. */
    public static final Metadata.Key<String> RETIRED_KEYS = key("escrow-retired-keys");

    private RecoveryTrailers() {}

    public static Metadata of(RecoveryReport report) {
        Metadata m = new Metadata();
        m.put(RELEASED, Integer.toString(report.released()));
        m.put(RESENT, Integer.toString(report.resent()));
        m.put(FAILED, Integer.toString(report.failed()));
        if (!report.failedRecords().isEmpty()) {
            m.put(FAILED_RECORDS, report.failedRecords().stream().map(RecoveryReport.FailedRecord::recordId)
                    .collect(Collectors.joining(",")));
        }
        m.put(OUTCOME, printableAscii(report.outcome()));
        if (!report.retiredKeys().isEmpty()) {
            m.put(RETIRED_KEYS, String.join(",", report.retiredKeys()));
        }
        return m;
    }

    /** Header values must be printable ASCII; anything else becomes '?'. */
    static String printableAscii(String s) {
        StringBuilder b = new StringBuilder(s.length());
        s.codePoints().forEach(c -> b.append(c >= 0x20 && c < 0x7f ? (char) c : '?'));
        return b.toString();
    }

    private static Metadata.Key<String> key(String name) {
        return Metadata.Key.of(name, Metadata.ASCII_STRING_MARSHALLER);
    }
}
