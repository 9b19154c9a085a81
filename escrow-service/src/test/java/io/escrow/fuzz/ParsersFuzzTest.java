package io.escrow.fuzz;

import com.code_intelligence.jazzer.api.FuzzedDataProvider;
import com.code_intelligence.jazzer.junit.FuzzTest;
import org.junit.jupiter.api.AfterAll;

/**
 * Jazzer fuzz tests of every parser that reads untrusted bytes. Without JAZZER_FUZZ each runs as
 * a regression test over its committed inputs (src/test/resources/io/escrow/fuzz/ParsersFuzzTestInputs/
 * METHOD/); with JAZZER_FUZZ=1 and -Dtest=ParsersFuzzTest#METHOD, Jazzer mutates them for up to
 * maxDuration. {@link #everyParser} spreads one fuzzing run over all targets; the build runs it
 * for a bounded time (the "fuzz" surefire execution).
 */
class ParsersFuzzTest {
    @AfterAll
    static void report() {
        StringBuilder b = new StringBuilder("fuzz executions per target:");
        for (int i = 0; i < ParserTargets.NAMES.length; i++) {
            b.append(' ').append(ParserTargets.NAMES[i]).append('=').append(ParserTargets.EXECUTIONS.get(i));
        }
        System.out.println(b);
    }

    /** 30 s: the build runs this one in fuzzing mode, and keeps CI short; run single targets for longer. */
    @FuzzTest(maxDuration = "30s")
    void everyParser(FuzzedDataProvider data) {
        int target = data.consumeInt(0, ParserTargets.NAMES.length - 1);
        ParserTargets.run(target, data.consumeRemainingAsBytes());
    }

    @FuzzTest(maxDuration = "60s")
    void cmsApproval(byte[] input) {
        ParserTargets.run(0, input);
    }

    @FuzzTest(maxDuration = "60s")
    void depositRequest(byte[] input) {
        ParserTargets.run(1, input);
    }

    @FuzzTest(maxDuration = "60s")
    void auditLeaf(byte[] input) {
        ParserTargets.run(2, input);
    }

    @FuzzTest(maxDuration = "60s")
    void signedBytes(byte[] input) {
        ParserTargets.run(3, input);
    }

    @FuzzTest(maxDuration = "60s")
    void crl(byte[] input) {
        ParserTargets.run(4, input);
    }

    @FuzzTest(maxDuration = "60s")
    void p256Point(byte[] input) {
        ParserTargets.run(5, input);
    }

    @FuzzTest(maxDuration = "60s")
    void checkpointAndNote(byte[] input) {
        ParserTargets.run(6, input);
    }
}
