package net.palisade.ops.lab;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.api.parallel.Execution;
import org.junit.jupiter.api.parallel.ExecutionMode;
import org.junit.jupiter.api.parallel.ResourceLock;

/**
 * The pair as {@code ops/lab/ha-pair.sh} shows it to a user, run by the suite: two {@code palisade run --seed}
 * processes on one PostgreSQL with one pair key, keepalived moving the virtual addresses, strongSwan 5.9 as the
 * remote site initiating to the virtual address, {@code ping -i 0.01} across, {@code kill -9} of the active node.
 * The script measures and the test judges: the standby is active, the ping resumes within 3 s, strongSwan keeps its
 * IKE SA (same SPIs in {@code swanctl --list-sas}) and no IKE_SA_INIT crosses the wire after the kill — the new
 * active node went on with the journaled SAs (RFC 6311 message ID sync) —, tshark sees no (SPI, sequence number)
 * pair of the pair's twice, ESP strongSwan sent more than 2 s before the kill and sent again afterwards (recorded on
 * the bridge) is dropped as a replay by the new active node (the high-water mark in PostgreSQL), and the killed node
 * comes back as standby. The pair also runs the documentation's hub
 * ({@code --sites 3}: an any-peer passive tunnel, three more strongSwan sites each with its own ID, network and host,
 * one IKE SA each): every site's ping to host-a comes back within 3 s of each kill, every site keeps its IKE SA
 * SPIs across the first takeover and its Child SA across both. A commit made with {@code -time 45} on the node that dies is
 * confirmed through the new active node's API. Then the fail-back: the new active node is killed with a commit of
 * {@code -time 20} pending; the tunnel returns to the first node under 3 s again, with the same Child SA (the IKE SA
 * rekeyed: a second message ID sync is not possible, docs/ha.md), and the commit
 * rolls back by itself there (running revision, config and tunnels checked through the API). Then PostgreSQL is
 * restarted under ping and commits (nothing acknowledged lost, the active node keeps forwarding), and the link
 * between the two gateways is cut (never two active nodes, ESP from one MAC at a time). Needs root; skipped with {@code -Dpalisade.skipExternal=true}.
 */
@Execution(ExecutionMode.CONCURRENT) // one ha-pair.sh at a time, beside other classes: junit-platform.properties
@ResourceLock("ops/lab/ha-pair.sh")
class HaPairLabTest {
    @Test
    void killNineOfTheActiveNodeKeepsStrongSwansSasOnTheStandby(@TempDir Path tmp) throws Exception {
        HaPairScript script = HaPairScript.run(HaPairLabTest.class, tmp, "ha-pair-result", "--sites", "3");
        String output = script.output();
        Map<String, String> r = script.result();
        assertThat(r.get("active_after")).as("the standby is active after the kill\n%s", output).isEqualTo("active");
        assertThat(r.get("resumed_ping")).as("the ping resumed\n%s", output).isEqualTo("yes");
        // the bound: the lease TTL (1.5 s) plus the tunnels' recovery on the new active node; measured
        // 1.9-2.2 s on this shared machine (docs/ha.md "See it")
        assertThat(Long.parseLong(r.get("gap_ms"))).as("longest time without a reply, ms\n%s", output)
                .isLessThan(3_000);
        assertThat(Long.parseLong(r.get("esp"))).as("ESP on the bridge").isGreaterThan(200);
        assertThat(r.get("repeated")).as("repeated (SPI, sequence) pairs the pair sent\n%s", output).isEqualTo("0");
        // the hub: every site's ping back within the same bound, every site's IKE SA kept (message ID sync each)
        assertThat(r.get("sites_resumed")).as("sites whose ping resumed\n%s", output).isEqualTo("3");
        assertThat(Long.parseLong(r.get("sites_gap_max_ms"))).as("the longest site gap, ms\n%s", output)
                .isLessThan(3_000);
        assertThat(r.get("sites_spis_same")).as("sites whose IKE SA SPIs are the same\n%s", output).isEqualTo("3");
        assertThat(r.get("resumed_ike")).as("the new active node resumed the journaled IKE SA\n%s", output)
                .isEqualTo("yes");
        assertThat(r.get("ike_sa_init_after")).as("IKE_SA_INIT after the kill\n%s", output).isEqualTo("0");
        assertThat(r.get("spis_same")).as("strongSwan's IKE SA SPIs before and after\n%s", output).isEqualTo("yes");
        // ESP strongSwan sent more than 2 s before the kill (the mark is sampled every second), sent again to the
        // virtual address after the takeover: the Child SA gw2 resumed starts its window at the mark gw1 wrote into
        // PostgreSQL, so every one is dropped as a replay (gw2's palisade_drops_total{reason="replay"}); those of
        // the last 2 s above the mark are the documented residual exposure (accepted once), only reported
        int replayed = Integer.parseInt(r.get("replayed_sent"));
        assertThat(replayed).as("recorded ESP sent again\n%s", output).isGreaterThan(20);
        assertThat(Integer.parseInt(r.get("replayed_dropped"))).as("of them dropped as replays\n%s", output)
                .isEqualTo(replayed);
        assertThat(Integer.parseInt(r.get("replay_residual_accepted"))).as(output)
                .isLessThanOrEqualTo(Integer.parseInt(r.get("replay_residual_sent")));
        assertThat(r.get("replay_ping_after")).as("the ping after the replay\n%s", output).isEqualTo("yes");
        assertThat(r.get("restarted")).as("the killed node comes back as standby\n%s", output).isEqualTo("standby");
        // a commit made with -time 45 on the node that died is still pending on the new active node, and confirmed
        // through its API: it stays confirmed and running after its deadline
        assertThat(r.get("commit_confirmed")).as("commit-confirm through the new active node\n%s", output)
                .isEqualTo("yes");
        assertThat(r.get("confirm_status")).as(output).isEqualTo("confirmed");
        assertThat(r.get("confirmed_end")).as("the confirmed revision after its deadline\n%s", output)
                .isEqualTo("confirmed");
        // fail-back: the new active node killed in turn, the tunnel back on the first node with the same SAs
        assertThat(r.get("active_back")).as("the first node active again\n%s", output).isEqualTo("active");
        assertThat(r.get("failback_resumed_ike")).as(output).isEqualTo("yes");
        assertThat(r.get("failback_resumed_ping")).as("the ping resumed after the fail-back\n%s", output)
                .isEqualTo("yes");
        assertThat(Long.parseLong(r.get("failback_gap_ms"))).as("fail-back gap, ms\n%s", output).isLessThan(3_000);
        assertThat(r.get("failback_sites_resumed")).as("sites whose ping resumed\n%s", output).isEqualTo("3");
        assertThat(Long.parseLong(r.get("failback_sites_gap_max_ms"))).as(output).isLessThan(3_000);
        assertThat(r.get("failback_sites_child_same")).as("sites whose Child SA stayed\n%s", output).isEqualTo("3");
        // a second takeover of one IKE SA rekeys it (strongSwan cannot answer a second message ID sync under
        // AES-GCM): new IKE SPIs, no IKE_SA_INIT (asserted above for everything after the first kill), same Child SA
        assertThat(r.get("failback_ike_sa")).as("strongSwan's IKE SA after the fail-back\n%s", output)
                .isIn("same", "rekeyed");
        assertThat(r.get("failback_child_same")).as("strongSwan's Child SA SPIs after the fail-back\n%s", output)
                .isEqualTo("yes");
        // the commit with -time 20 pending when the second node died rolls back by itself on the first one: the
        // config and the tunnels are those of the confirmed revision
        assertThat(r.get("rollback_status")).as("the unconfirmed commit\n%s", output).isEqualTo("rolled-back");
        assertThat(r.get("config_ok")).as("running revision and tunnels after the rollback\n%s", output)
                .isEqualTo("yes");
        // PostgreSQL restarted (its own cluster) under ping and commits every 0.2 s: the active node keeps
        // forwarding and stays active, commits are acknowledged again after the restart, and every commit the API
        // acknowledged is in the journal afterwards
        assertThat(r.get("pg_stood_down")).as("the active node stood down during the restart\n%s", output)
                .isEqualTo("no");
        assertThat(r.get("pg_role")).as(output).isEqualTo("active");
        assertThat(Long.parseLong(r.get("pg_gap_ms"))).as("longest time without a reply, ms\n%s", output)
                .isLessThan(1_000);
        assertThat(Integer.parseInt(r.get("pg_acked"))).as("commits acknowledged\n%s", output).isGreaterThan(5);
        assertThat(r.get("pg_last")).as("the last commit, after the restart\n%s", output).isIn("200", "201");
        assertThat(r.get("pg_missing")).as("acknowledged commits missing from the journal\n%s", output)
                .isEqualTo("0");
        // the link between the two gateways cut (cluster and VRRP), both still reaching PostgreSQL and strongSwan:
        // never both active (sampled every 0.25 s), ESP from one gateway's MAC at a time (tshark: at most one
        // switch), one node active at the end
        assertThat(r.get("cut_both_active")).as("samples with both nodes active\n%s", output).isEqualTo("0");
        assertThat(Integer.parseInt(r.get("cut_esp_macs"))).as(output).isBetween(1, 2);
        assertThat(Integer.parseInt(r.get("cut_esp_switches"))).as("ESP senders interleaved\n%s", output)
                .isLessThanOrEqualTo(1);
        assertThat(List.of(r.get("cut_gw1"), r.get("cut_gw2"))).as(output).containsOnlyOnce("active");
    }
}
