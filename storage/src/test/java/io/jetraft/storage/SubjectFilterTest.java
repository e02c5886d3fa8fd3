package io.jetraft.storage;

import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class SubjectFilterTest {

    @Test
    void starMatchesExactlyOneToken() {
        SubjectFilter f = SubjectFilter.of("a.*.c");
        assertThat(f.matches("a.b.c")).isTrue();
        assertThat(f.matches("a.bb.c")).isTrue();
        assertThat(f.matches("a.c")).isFalse();
        assertThat(f.matches("a.b.x.c")).isFalse();
        assertThat(f.matches("a.b.cd")).isFalse();
        assertThat(SubjectFilter.of("*").matches("a")).isTrue();
        assertThat(SubjectFilter.of("*").matches("a.b")).isFalse();
    }

    @Test
    void gtMatchesOneOrMoreRemainingTokens() {
        SubjectFilter f = SubjectFilter.of("a.>");
        assertThat(f.matches("a.b")).isTrue();
        assertThat(f.matches("a.b.c.d")).isTrue();
        assertThat(f.matches("a")).isFalse();
        assertThat(f.matches("ab.c")).isFalse();
        assertThat(SubjectFilter.of(">").matches("anything.at.all")).isTrue();
        assertThat(SubjectFilter.of("*.>").matches("a")).isFalse();
        assertThat(SubjectFilter.of("*.>").matches("a.b")).isTrue();
    }

    @Test
    void literalsMatchOnlyThemselvesAndPrefixesBoundScans() {
        assertThat(SubjectFilter.of("a.b").matches("a.b")).isTrue();
        assertThat(SubjectFilter.of("a.b").matches("a.bc")).isFalse();
        assertThat(SubjectFilter.of("a.b.*.d").literalPrefix()).isEqualTo("a.b.");
        assertThat(SubjectFilter.of("*.b").literalPrefix()).isEmpty();
    }

    @Test
    void malformedFiltersAreRefused() {
        assertThatThrownBy(() -> SubjectFilter.of("a.>.b")).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> SubjectFilter.of("a..b")).isInstanceOf(IllegalArgumentException.class);
    }
}
