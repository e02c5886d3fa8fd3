package io.jetraft.storage;

import java.io.IOException;
import java.nio.file.Path;

/** A child process that opens a store and keeps it open until its stdin closes or it is killed. */
public final class HoldStoreMain {

    private HoldStoreMain() {
    }

    public static void main(String[] args) throws IOException {
        try (NodeStore node = CrashWriterMain.open(Path.of(args[0]))) {
            System.out.println("open " + node.streamNames());
            System.out.flush();
            while (System.in.read() >= 0) {
                // hold the store
            }
        }
    }
}
