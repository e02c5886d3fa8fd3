package io.jetraft.server.ops;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;

/**
 * {@code jetraft check jetstream}: natscli's Nagios-style verdict on the cluster's JetStream health, with its exit
 * codes. CRITICAL for no meta leader, a meta peer offline, unseen or lagging, and for any stream without a leader or
 * with a replica missing, offline, unseen or lagging (past the thresholds, as natscli's {@code check jetstream});
 * and whenever a server's /healthz does not answer 200 (a meta group not formed, JetStream not started), with its
 * reason: a node a pipeline would not route traffic to is never OK.
 */
public final class JetStreamCheck {

    /** natscli's statuses and exit codes. */
    public enum Status {
        OK(0), WARNING(1), CRITICAL(2), UNKNOWN(3);

        public final int exitCode;

        Status(int code) {
            this.exitCode = code;
        }
    }

    /** The thresholds (flags). */
    public record Thresholds(Duration seenCritical, long lagCritical, int expectPeers) {
    }

    /** A verdict and its line. */
    public record Verdict(Status status, String line) {
    }

    private JetStreamCheck() {
    }

    public static Verdict evaluate(JetStreamReport report, Thresholds t) {
        if (report.answered().isEmpty()) {
            return new Verdict(Status.UNKNOWN, "UNKNOWN JetStream no server answered: "
                    + report.missing().stream().map(m -> m.url() + " (" + m.error() + ")").toList());
        }
        List<String> critical = new ArrayList<>();
        List<JetStreamReport.MetaRow> meta = report.metaRows();
        boolean clustered = report.answered().stream().anyMatch(a -> a.jsz().has("meta_cluster"));
        if (clustered && report.leaderJsz().isEmpty()) {
            critical.add("No meta leader");
        }
        int offline = 0;
        int notCurrent = 0;
        int inactive = 0;
        int lagged = 0;
        for (JetStreamReport.MetaRow r : meta) {
            // as natscli: offline, unseen and lagging peers are critical; "current" alone (lag 0 at this instant,
            // which a cluster under write load rarely shows) is reported in the perfdata only
            if (!r.online()) {
                offline++;
            } else if (!r.current()) {
                notCurrent++;
            }
            if (r.active().compareTo(t.seenCritical()) > 0) {
                inactive++;
            }
            if (r.lag() > t.lagCritical()) {
                lagged++;
            }
        }
        if (t.expectPeers() > 0 && !meta.isEmpty() && meta.size() != t.expectPeers()) {
            critical.add(meta.size() + " peers of expected " + t.expectPeers());
        }
        if (offline > 0) {
            critical.add(offline + " offline");
        }
        if (inactive > 0) {
            critical.add(inactive + " inactive more than " + Humanize.duration(t.seenCritical()));
        }
        if (lagged > 0) {
            critical.add(lagged + " lagged more than " + t.lagCritical() + " ops");
        }
        // natscli's replica checks: no leader or a replica missing ("-"), offline, unseen or lagged past the
        // thresholds; a replica a few entries behind under load is healthy
        long unhealthyStreams = report.notCurrent().stream()
                .filter(r -> !r.online() || r.active().compareTo(t.seenCritical()) > 0
                        || r.lag() > t.lagCritical() || r.replica().equals("-"))
                .map(JetStreamReport.ReplicaRow::stream).distinct().count();
        if (unhealthyStreams > 0) {
            critical.add(unhealthyStreams + " unhealthy streams");
        }
        for (JszSource.Answer m : report.missing()) {
            critical.add(m.url() + " did not answer");
        }
        for (JszSource.Answer a : report.answered()) {
            if (a.health() != null && !a.health().ok()) {
                critical.add(a.name() + " not healthy: " + a.health().error());
            }
        }
        long streams = report.answered().stream().mapToLong(a -> a.jsz().path("streams").asLong()).max().orElse(0);
        String perf = String.format("peers=%d;;; peer_offline=%d peer_not_current=%d peer_inactive=%d peer_lagged=%d "
                + "streams=%d streams_unhealthy=%d", meta.size(), offline, notCurrent, inactive, lagged, streams,
                unhealthyStreams);
        if (!critical.isEmpty()) {
            return new Verdict(Status.CRITICAL, "CRITICAL JetStream Crit:" + String.join(", ", critical) + " | "
                    + perf);
        }
        String ok = (clustered ? meta.size() + " peers led by " + report.metaLeader().orElse("?")
                : report.answered().size() + " standalone server(s)") + ", " + streams + " streams with current replicas";
        return new Verdict(Status.OK, "OK JetStream OK:" + ok + " | " + perf);
    }
}
