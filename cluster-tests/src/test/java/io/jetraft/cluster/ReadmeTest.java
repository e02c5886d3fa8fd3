package io.jetraft.cluster;

import static org.assertj.core.api.Assertions.assertThat;

import io.jetraft.cluster.harness.JetraftCli;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;

/**
 * README.md starts with the two set-up commands (run a node; run the tests, the same command as .ci/run), links
 * nothing outside the repository, and has the operators' sections; the commands it shows for checking a cluster are
 * ones the real command line accepts.
 */
class ReadmeTest {

    private static final Path ROOT = Path.of("..").toAbsolutePath().normalize();

    @Test
    void theReadmeStartsWithTheTwoSetUpCommandsAndStaysInsideTheRepository() throws Exception {
        String readme = Files.readString(ROOT.resolve("README.md"));
        Matcher first = Pattern.compile("```sh\\n(.*?)```", Pattern.DOTALL).matcher(readme);
        assertThat(first.find()).isTrue();
        assertThat(readme.substring(0, first.start())).doesNotContain("\n## ");
        List<String> commands = first.group(1).lines().map(l -> l.replaceAll("\\s+#.*", "").trim())
                .filter(l -> !l.isEmpty()).toList();
        assertThat(commands).containsExactly("bin/jetraft server -js", "mvn -B -ntp verify");
        assertThat(Files.readString(ROOT.resolve(".ci/run"))).contains("\nmvn -B -ntp verify\n");
        // no link or path to anything a clone does not have
        assertThat(readme).doesNotContain("../").doesNotContain("shared/");
        Matcher links = Pattern.compile("\\]\\(([^)]+)\\)").matcher(readme);
        while (links.find()) {
            String target = links.group(1);
            if (!target.startsWith("http") && !target.startsWith("#")) {
                assertThat(ROOT.resolve(target)).as("README links " + target).exists();
            }
        }
        assertThat(readme).contains("## Monitoring", "## Checking a cluster", "What a node keeps in its store",
                "node.json", "/healthz", "/varz", "/jsz", "/routez", "jetraft report jetstream",
                "jetraft check jetstream", "## Streams and Raft groups", "every stream the group carries moves");
    }

    @Test
    void theReportAndCheckCommandsTheReadmeShowsAreAcceptedByTheCommandLine() throws Exception {
        String readme = Files.readString(ROOT.resolve("README.md"));
        Matcher m = Pattern.compile("^bin/jetraft ((?:report|check) jetstream .*)$", Pattern.MULTILINE)
                .matcher(readme);
        int seen = 0;
        while (m.find()) {
            seen++;
            // with nothing listening there, the command runs and says so (UNKNOWN/CRITICAL), but it parses
            List<String> args = List.of(m.group(1).replace("--wait 2m", "").trim().split("\\s+"));
            JetraftCli.Result r = JetraftCli.run(args.toArray(String[]::new));
            assertThat(r.output()).as(String.join(" ", args)).doesNotContain("Unknown option")
                    .doesNotContain("Missing required").doesNotContain("Unmatched argument")
                    .doesNotContain("Invalid value");
        }
        assertThat(seen).isEqualTo(2);
    }
}
