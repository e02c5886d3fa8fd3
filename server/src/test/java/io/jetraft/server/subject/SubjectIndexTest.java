package io.jetraft.server.subject;

import static org.assertj.core.api.Assertions.assertThat;

import io.jetraft.server.protocol.InboundMessage;
import java.util.Arrays;
import java.util.List;
import org.junit.jupiter.api.Test;

class SubjectIndexTest {

    private static final Subscriber NOBODY = new Subscriber() {
        @Override
        public boolean deliver(Subscription subscription, InboundMessage message) {
            return true;
        }

        @Override
        public void limitReached(Subscription subscription) {
        }

        @Override
        public boolean isOpen() {
            return true;
        }
    };

    private final SubjectIndex index = new SubjectIndex();

    private Subscription sub(String subject) {
        Subscription s = new Subscription(NOBODY, subject, null, subject);
        assertThat(index.insert(s)).isTrue();
        return s;
    }

    private Subscription queueSub(String subject, String queue, String sid) {
        Subscription s = new Subscription(NOBODY, subject, queue, sid);
        assertThat(index.insert(s)).isTrue();
        return s;
    }

    private List<String> plainMatches(String subject) {
        return Arrays.stream(index.match(subject).plain()).map(Subscription::subject).sorted().toList();
    }

    @Test
    void literalAndWildcardSubscriptionsMatchAsNatsDefines() {
        sub("a.b.c");
        sub("a.*.c");
        sub("a.>");
        sub("*.b.*");
        sub(">");
        sub("a.b");
        assertThat(plainMatches("a.b.c")).containsExactly("*.b.*", ">", "a.*.c", "a.>", "a.b.c");
        assertThat(plainMatches("a.b")).containsExactly(">", "a.>", "a.b");
        assertThat(plainMatches("a")).containsExactly(">");
        assertThat(plainMatches("x.b.y")).containsExactly("*.b.*", ">");
        assertThat(plainMatches("a.x.c.d")).containsExactly(">", "a.>");
    }

    @Test
    void fullWildcardNeedsAtLeastOneMoreToken() {
        sub("orders.>");
        assertThat(index.match("orders").isEmpty()).isTrue();
        assertThat(index.match("orders.1").isEmpty()).isFalse();
    }

    @Test
    void removalUpdatesMatchesAndTheCache() {
        Subscription s = sub("cache.me");
        assertThat(plainMatches("cache.me")).containsExactly("cache.me");
        assertThat(index.remove(s)).isTrue();
        assertThat(index.match("cache.me").isEmpty()).isTrue();
        assertThat(index.remove(s)).isFalse();
        assertThat(index.count()).isZero();
        assertThat(index.all()).isEmpty();
    }

    @Test
    void queueMembersUnderDifferentSubjectsFormOneGroup() {
        queueSub("jobs.*", "workers", "1");
        queueSub("jobs.email", "workers", "2");
        queueSub("jobs.email", "auditors", "3");
        Subscription[][] groups = index.match("jobs.email").queueGroups();
        assertThat(groups).hasNumberOfRows(2);
        assertThat(Arrays.stream(groups).mapToInt(g -> g.length).sorted().toArray()).containsExactly(1, 2);
    }

    @Test
    void invalidSubjectsAreNotIndexed() {
        for (String bad : List.of("", "a..b", ".a", "a.", "a.>.b", "> .a", "a b")) {
            assertThat(index.insert(new Subscription(NOBODY, bad, null, "x"))).as(bad).isFalse();
        }
        assertThat(index.count()).isZero();
    }

    @Test
    void subjectRulesFollowNats() {
        assertThat(Subjects.isValidSubscriptionSubject("a.*.>")).isTrue();
        assertThat(Subjects.isValidSubscriptionSubject("a*.b>")).isTrue();
        assertThat(Subjects.isValidLiteralSubject("a*.b>")).isTrue();
        assertThat(Subjects.isValidLiteralSubject("a.*")).isFalse();
        assertThat(Subjects.matches("a.*.c", "a.b.c")).isTrue();
        assertThat(Subjects.matches("a.>", "a.b.c")).isTrue();
        assertThat(Subjects.matches("a.>", "a")).isFalse();
        assertThat(Subjects.matches("a.*", "a.b.c")).isFalse();
        assertThat(Subjects.matches("_INBOX.abc.*", "_INBOX.abc.1")).isTrue();
    }
}
