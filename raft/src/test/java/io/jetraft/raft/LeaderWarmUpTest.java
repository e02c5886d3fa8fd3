package io.jetraft.raft;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

/** The warm-up builds the descriptors of Ratis's protocol and of ours (what a first leadership would build). */
class LeaderWarmUpTest {

    @Test
    void buildsBothProtocolsDescriptors() {
        // top-level messages: Ratis's protocol file and ours describe 103 together
        assertThat(LeaderWarmUp.run()).isGreaterThan(80);
    }
}
