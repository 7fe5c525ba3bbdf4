package net.palisade.dataplane.testkit;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import org.junit.jupiter.api.Test;

class LabPrefixTest {
    @Test
    void aClassGetsTheSamePrefixEachTimeAndANameTheLabCanUse() {
        String first = LabPrefix.claim(LabPrefixTest.class);
        assertThat(LabPrefix.claim(LabPrefixTest.class)).isEqualTo(first);
        // netns.sh makes PREFIX-inet, PREFIX-gwa...; the tests make PREFIX0 TUN devices (15 characters at most)
        assertThat(first).matches("[a-z0-9]{3,5}");
    }

    @Test
    void classesWithTheSameInitialsGetDifferentPrefixes() {
        assertThat(LabPrefix.derive("net.palisade.controlplane.ike.lab.IkeNatStrongSwanTest"))
                .isNotEqualTo(LabPrefix.derive("net.palisade.controlplane.ike.lab.IkeNodeStrongSwanTest"))
                .startsWith("ins");
        assertThat(LabPrefix.derive("net.palisade.api.lab.IkeStoryStrongSwanTest"))
                .isNotEqualTo(LabPrefix.derive("net.palisade.ops.lab.IkeStoryStrongSwanTest"));
    }

    @Test
    void aPrefixHeldByAnotherClassIsRefused() {
        LabPrefix.register("zzq01", "net.palisade.First");
        LabPrefix.register("zzq01", "net.palisade.First"); // the same owner again: fine
        assertThatThrownBy(() -> LabPrefix.register("zzq01", "net.palisade.Second"))
                .isInstanceOf(IllegalStateException.class)
                .hasMessageContaining("net.palisade.Second").hasMessageContaining("net.palisade.First");
    }
}
