package io.escrow.storage;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class DataDirLockTest {
    @TempDir
    Path tmp;

    @Test
    void acquire_whileHeld_failsNamingTheHolder_andSucceedsOnceReleased() throws Exception {
        Path dir = tmp.resolve("postgres");
        String pid = Long.toString(ProcessHandle.current().pid());
        try (DataDirLock first = DataDirLock.acquire(dir)) {
            assertEquals(pid, Files.readString(DataDirLock.lockFile(dir)).strip());
            StorageUnavailableException e = assertThrows(StorageUnavailableException.class, () -> DataDirLock.acquire(dir));
            assertTrue(e.getMessage().contains("in use by another escrow service (pid " + pid + ")"), e.getMessage());
        }
        DataDirLock.acquire(dir).close();
    }

    @Test
    void acquire_withAStaleLockFileFromADeadProcess_succeeds() throws Exception {
        Path dir = tmp.resolve("postgres");
        Files.writeString(DataDirLock.lockFile(dir), "999999999\n");
        try (DataDirLock lock = DataDirLock.acquire(dir)) {
            assertEquals(Long.toString(ProcessHandle.current().pid()), Files.readString(DataDirLock.lockFile(dir)).strip());
        }
    }
}
