package io.jetraft.raft;

import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ForkJoinPool;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;

/** The common pool is sized in a fresh JVM that sees two cores, as the CI machine does. */
class CommonPoolTest {

    /** Run in the child JVM: sizes the pool as main does, then prints what the JDK made of it. */
    public static final class Probe {
        public static void main(String[] args) {
            CommonPool.atLeastTwoThreads();
            System.out.println("parallelism=" + ForkJoinPool.getCommonPoolParallelism());
        }
    }

    private static String run(String... jvmOptions) throws IOException, InterruptedException {
        List<String> cmd = new ArrayList<>();
        cmd.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
        cmd.add("-XX:ActiveProcessorCount=2");
        cmd.addAll(List.of(jvmOptions));
        cmd.addAll(List.of("-cp", System.getProperty("java.class.path"), Probe.class.getName()));
        Process p = new ProcessBuilder(cmd).redirectErrorStream(true).start();
        assertThat(p.waitFor(60, TimeUnit.SECONDS)).isTrue();
        return new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8).trim();
    }

    @Test
    void onTwoCoresTheCommonPoolGetsTwoThreads() throws Exception {
        assertThat(run()).isEqualTo("parallelism=2");
    }

    @Test
    void aSizeTheOperatorChoseIsKept() throws Exception {
        assertThat(run("-D" + CommonPool.PARALLELISM + "=1")).isEqualTo("parallelism=1");
    }
}
