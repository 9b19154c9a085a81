package io.escrow.hsm;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class PinSourceTest {
    @TempDir
    Path dir;

    @Test
    void file_isReadWithoutSurroundingWhiteSpace() throws Exception {
        Path f = Files.writeString(dir.resolve("pin"), "  12 34\n");
        assertArrayEquals("12 34".toCharArray(), PinSource.file(f).read("custodian-1"));
    }

    @Test
    void file_thatIsEmptyMissingOrNotUtf8_isRefusedNamingTheFile() throws Exception {
        Path blank = Files.writeString(dir.resolve("blank"), " \n");
        Path binary = Files.write(dir.resolve("binary"), new byte[] {'1', (byte) 0xff, '2'});
        for (Path p : new Path[] {blank, binary, dir.resolve("missing")}) {
            HsmException.PinUnavailable e = assertThrows(HsmException.PinUnavailable.class, () -> PinSource.file(p).read("custodian-1"));
            assertTrue(e.getMessage().contains(p.toString()), e.getMessage());
        }
    }
}
