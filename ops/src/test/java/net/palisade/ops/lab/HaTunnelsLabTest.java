package net.palisade.ops.lab;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.api.parallel.Execution;
import org.junit.jupiter.api.parallel.ExecutionMode;
import org.junit.jupiter.api.parallel.ResourceLock;

/**
 * The takeover with many tunnels ({@code ops/lab/ha-pair.sh --tunnels 20}): twenty more tunnels to strongSwan, each
 * its own IKE SA, a ping through each, {@code kill -9} of the active node. Every tunnel must come back on the other
 * node with strongSwan's SAs (same IKE SA SPIs, no IKE_SA_INIT, no (SPI, sequence) pair twice); the gaps are
 * docs/benchmarks.md's figures. Needs root; skipped with {@code -Dpalisade.skipExternal=true}.
 */
@Execution(ExecutionMode.CONCURRENT) // one ha-pair.sh at a time, beside other classes: junit-platform.properties
@ResourceLock("ops/lab/ha-pair.sh")
class HaTunnelsLabTest {
    @Test
    void twentyTunnelsAllComeBackOnTheOtherNodeWithTheirSas(@TempDir Path tmp) throws Exception {
        HaPairScript s = HaPairScript.run(HaTunnelsLabTest.class, tmp, "ha-pair-tunnels-result", "--tunnels", "20");
        String out = s.output();
        assertThat(s.get("active_after")).as(out).isEqualTo("active");
        assertThat(s.get("resumed")).as("tunnels whose ping resumed\n%s", out).isEqualTo("20");
        assertThat(s.get("spis_same")).as("strongSwan's IKE SAs before and after\n%s", out).isEqualTo("yes");
        assertThat(s.get("ike_sa_init_after")).as("IKE_SA_INIT after the kill\n%s", out).isEqualTo("0");
        assertThat(s.get("repeated")).as("repeated (SPI, sequence) pairs\n%s", out).isEqualTo("0");
    }
}
