package io.escrow.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import picocli.CommandLine;

/** escrowctl's help reads as whole sentences: no command list cuts a description mid-sentence. */
class EscrowCtlHelpTest {

    private static void walk(CommandLine cl, String path, List<String> problems) {
        CommandLine.Model.CommandSpec spec = cl.getCommandSpec();
        String[] header = spec.usageMessage().header();
        String[] description = spec.usageMessage().description();
        String summary = header.length > 0 ? header[0] : description.length > 0 ? description[0] : "";
        if (!(summary.endsWith(".") || path.endsWith(" help"))) {
            problems.add(path + ": its summary in the command list is not a whole sentence: '" + summary + "'");
        }
        for (CommandLine.Model.OptionSpec o : spec.options()) {
            String text = String.join(" ", o.description());
            if (!o.usageHelp() && !o.versionHelp() && !text.endsWith(".") && !text.endsWith(")")) {
                problems.add(path + " " + o.longestName() + ": its help is not a whole sentence: '" + text + "'");
            }
        }
        cl.getSubcommands().forEach((name, sub) -> {
            if (!name.equals("help")) {
                walk(sub, path + " " + name, problems);
            }
        });
    }

    @Test
    void everyCommandAndOption_isDescribedInWholeSentences() {
        List<String> problems = new ArrayList<>();
        walk(new CommandLine(new EscrowCtl()), "escrowctl", problems);
        assertTrue(problems.isEmpty(), String.join("\n", problems));
    }

    @Test
    void usageErrors_exitWith2() {
        assertEquals(2, EscrowCtl.execute("warrant", "show"));
        assertEquals(2, EscrowCtl.execute("no-such-command"));
        assertEquals(2, EscrowCtl.execute("custodian", "activate", "--warrant", "w-1"));
    }
}
