package net.palisade.ops.lab;

import static net.palisade.ops.lab.RunProcess.cli;
import static net.palisade.ops.lab.RunProcess.ikeSpis;
import static net.palisade.ops.lab.RunProcess.read;
import static net.palisade.ops.lab.RunProcess.runIn;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.HashSet;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import net.palisade.controlplane.lab.Lab;
import net.palisade.controlplane.lab.LabNamespaces;
import net.palisade.controlplane.lab.StrongSwan;
import net.palisade.controlplane.lab.Tshark;
import net.palisade.ops.Main;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.api.parallel.Execution;
import org.junit.jupiter.api.parallel.ExecutionMode;
import org.junit.jupiter.api.parallel.ResourceLock;

/**
 * An IKEv1 tunnel survives {@code kill -9} of its node without a new phase 1 or quick mode: {@code palisade run}
 * with a pair key in gw-a's namespace, strongSwan 5.9 running IKEv1 on gw-b, a ping across; the process is killed
 * with SIGKILL and started again on the same data directory, and goes on with the journaled ISAKMP SA and ESP SAs
 * (docs/ha.md, "IKEv1"). strongSwan keeps its ISAKMP SA (same cookies in {@code swanctl --list-sas}) and its ESP SA
 * (same SPIs); tshark on the bridge sees no phase-1 or quick-mode message after the restart; the ping crosses
 * again; strongSwan's R-U-THEREs after the restart are answered (its log parses DPD_ACKs from the new process);
 * strongSwan's quick mode then replaces the ESP SA through the resumed ISAKMP SA and the ping crosses on the new one;
 * and no (SPI, sequence number) pair of ours is seen twice. Palisade initiating main mode, and the documentation's
 * passive aggressive-mode line with strongSwan initiating. Needs root, strongSwan, tcpdump and tshark; skipped with
 * {@code -Dpalisade.skipExternal=true}.
 */
@Execution(ExecutionMode.CONCURRENT) // beside the other classes: see junit-platform.properties
@ResourceLock("RunResumeIkev1StrongSwanTest")
class RunResumeIkev1StrongSwanTest {
    private static final String PSK = "resume-v1-lab-psk-not-for-production";
    private static final Pattern CHILD_SPIS = Pattern.compile("\\n\\s+in +([0-9a-f]{8}),.*?\\n\\s+out +([0-9a-f]{8}),",
            Pattern.DOTALL);

    /** The INSTALLED ESP SA's inbound SPI and packets in {@code swanctl --list-sas}. */
    private static final Pattern INSTALLED = Pattern.compile(
            "INSTALLED[^\\n]*\\n[^\\n]*\\n\\s+in +([0-9a-f]{8}), +\\d+ bytes, +(\\d+) packets");

    @RegisterExtension
    static final LabNamespaces LAB = LabNamespaces.of(RunResumeIkev1StrongSwanTest.class);
    private static final String PREFIX = LAB.prefix();
    private static final String GWA = PREFIX + "-gwa";
    /**
     * The lifetime (s) of the SAs our own rekey or re-authentication replaces: planned at 80-90 % of it. 90 s, not
     * 60: a restart under the whole suite's load took 36 s (2026-12-08), and with 60 s the dead process's SA had
     * expired before the new one resumed it.
     */
    private static final int LIFETIME = 90;

    @Test
    void palisadeInitiatedMainModeGoesOnAfterKillNine(@TempDir Path dir) throws Exception {
        killAndResume(dir, "ike active from 10.1.0.0/16 to 10.2.0.0/16 peer 192.0.2.2 main psk \"" + PSK
                + "\" dpd 10 label to-b\n", StrongSwan.Ikev1.mainMode(), false, Then.PEER_REKEYS);
    }

    @Test
    void ourQuickModeAfterKillNineComesAtTheJournaledRekeyTime(@TempDir Path dir) throws Exception {
        // the first ESP SA is replaced by our quick mode at 80-90 % of LIFETIME after it was made, by the new process
        killAndResume(dir, "ike active from 10.1.0.0/16 to 10.2.0.0/16 peer 192.0.2.2 main quick lifetime " + LIFETIME
                + " psk \""
                + PSK + "\" dpd 10 label to-b\n", StrongSwan.Ikev1.mainMode(), false, Then.WE_REKEY);
    }

    @Test
    void ourReauthenticationAfterKillNineComesAtTheJournaledTime(@TempDir Path dir) throws Exception {
        // the new process re-authenticates at 80-90 % of LIFETIME after the dead one's phase 1 (a new main mode and
        // quick mode beside the resumed ISAKMP SA, which is then deleted)
        killAndResume(dir, "ike active from 10.1.0.0/16 to 10.2.0.0/16 peer 192.0.2.2 main lifetime " + LIFETIME
                + " psk \"" + PSK
                + "\" dpd 10 label to-b\n", StrongSwan.Ikev1.mainMode(), false, Then.WE_REAUTHENTICATE);
    }

    /** What replaces the ESP SA after the restart. */
    private enum Then { PEER_REKEYS, WE_REKEY, WE_REAUTHENTICATE }

    @Test
    void theDocumentationsPassiveAggressiveLineGoesOnAfterKillNine(@TempDir Path dir) throws Exception {
        killAndResume(dir, "ike passive from 10.1.0.0/16 to 10.2.0.0/16 aggressive quick psk \"" + PSK
                + "\" dpd 10 label to-b\n", StrongSwan.Ikev1.mainMode().aggressive().localId("gw-b.example"), true, Then.PEER_REKEYS);
    }

    /**
     * The node runs {@code config}; strongSwan {@code options} (DPD every 3 s), initiating if {@code ssInitiates}; the
     * ESP SA is replaced after the restart as {@code then} says.
     */
    private static void killAndResume(Path dir, String config, StrongSwan.Ikev1 options, boolean ssInitiates,
            Then then) throws Exception {
        Path data = dir.resolve("data");
        assertThat(Main.commandLine().execute("ha", "init", "--data", data.toString())).isZero();
        StrongSwan conf = StrongSwan.ikev1Psk(PREFIX + "-gwb", dir.resolve("ss"), "192.0.2.2", "192.0.2.1",
                "10.2.0.0/16", "10.1.0.0/16", PSK, options.dpd(Duration.ofSeconds(3), Duration.ofSeconds(30), "clear"));
        Path configFile = Files.writeString(dir.resolve("palisade.conf"), config);
        Path pcap = dir.resolve("wire.pcap");
        Path firstLog = dir.resolve("node-1.log");
        Path secondLog = dir.resolve("node-2.log");
        double killedAt;
        double rekeyedAt = 0;
        try (StrongSwan ss = conf.start(); Tshark.Capture capture = Tshark.capture(PREFIX + "-inet", "br0", pcap)) {
            long firstStarted = System.currentTimeMillis();
            Process first = runIn(GWA, configFile, data, "ikv1r", firstLog);
            Process second = null;
            try {
                RunProcess.awaitUp(first, firstLog, "pair key ");
                if (ssInitiates) {
                    await().atMost(Duration.ofSeconds(30)).pollInterval(Duration.ofSeconds(1)).untilAsserted(() -> {
                        Lab.Result initiate = ss.swanctl("--initiate", "--child", "net");
                        assertThat(initiate.exit()).as(initiate.output() + "\nnode log:\n" + read(firstLog)).isZero();
                    });
                }
                RunProcess.awaitPing(PREFIX + "-ha", "10.2.0.10", 2, firstLog);
                Lab.Result ping = Lab.in(PREFIX + "-ha", "ping", "-c", "20", "-i", "0.1", "-W", "1", "10.2.0.10");
                assertThat(ping.exit()).as(ping.output() + "\ncharon log:\n" + ss.log()).isZero();
                String sas = ss.listSas();
                assertThat(sas).contains("ESTABLISHED, IKEv1");
                String cookies = ikeSpis(sas);
                String childSpis = childSpis(sas);
                // the journal has the ISAKMP SA's and the ESP SA's state before we kill (asked through the CLI)
                await().atMost(Duration.ofSeconds(60)).pollInterval(Duration.ofSeconds(1)).untilAsserted(() -> {
                    Lab.Result events = cli(GWA, data, "events", "to-b", "--type", "takeover-state");
                    assertThat(events.output()).as(events.output()).contains("scope=ike-sa").contains("scope=child-sa");
                });

                killedAt = System.currentTimeMillis() / 1000.0;
                first.destroyForcibly(); // SIGKILL: no Delete, no shutdown hook
                assertThat(first.waitFor(30, TimeUnit.SECONDS)).isTrue();
                int charonBefore = ss.log().length();

                second = runIn(GWA, configFile, data, "ikv1r", secondLog);
                RunProcess.awaitUp(second, secondLog, "resuming ISAKMP SA");
                RunProcess.awaitPing(PREFIX + "-ha", "10.2.0.10", 3, secondLog);
                System.out.printf(java.util.Locale.ROOT, "RunResumeIkev1StrongSwanTest: ping again %d ms after kill -9"
                        + " (the new process's start included)%n",
                        System.currentTimeMillis() - (long) (killedAt * 1000));
                Lab.Result more = Lab.in(PREFIX + "-ha", "ping", "-c", "20", "-i", "0.1", "-W", "1", "10.2.0.10");
                assertThat(more.exit()).as(more.output()).isZero();
                // quiet: strongSwan's DPD (3 s) asks the resumed node, which answers under the journaled keys
                await().atMost(Duration.ofSeconds(30)).pollInterval(Duration.ofSeconds(1)).untilAsserted(() ->
                        assertThat(ss.log().substring(charonBefore)).as(ss.log()).contains("N(DPD_ACK)"));
                Lab.Result last = Lab.in(PREFIX + "-ha", "ping", "-c", "10", "-i", "0.1", "-W", "1", "10.2.0.10");
                assertThat(last.exit()).as(last.output()).isZero();

                String after = ss.listSas();
                // our own rekey or re-authentication is planned at 80-90 % of the lifetime (docs/config.md) after the
                // first process's SA came up: on a loaded machine the steps above can take that
                // long, and then it has legitimately replaced the SAs already (the capture's checks below still show
                // it came at its planned time and that nothing was negotiated at resumption)
                boolean ourRekeyMayHaveCome = then != Then.PEER_REKEYS
                        && System.currentTimeMillis() - firstStarted >= LIFETIME * 800L - 1_000;
                if (ourRekeyMayHaveCome) {
                    System.out.printf(java.util.Locale.ROOT, "RunResumeIkev1StrongSwanTest: %d ms after the first start;"
                            + " the SAs before the kill are not compared (our rekey may have come)%n",
                            System.currentTimeMillis() - firstStarted);
                } else {
                    assertThat(ikeSpis(after)).as(after).isEqualTo(cookies);
                    assertThat(childSpis(after)).as(after).isEqualTo(childSpis);
                    assertThat(ss.log().substring(charonBefore)).doesNotContain("deleting IKE_SA")
                            .doesNotContain("received DELETE");
                }
                assertThat(read(secondLog)).doesNotContain(PSK);
                Lab.Result resumed = cli(GWA, data, "events", "to-b", "--type", "resumed");
                assertThat(resumed.output()).as(resumed.output()).contains("resumed").contains("ikeSa=");
                assertThat(cli(GWA, data, "events", "to-b", "--type", "phase1-down").output())
                        .doesNotContain("phase1-down");

                // strongSwan's quick mode to the resumed node (or ours, at its time) replaces the ESP SA; the ISAKMP
                // SA stays
                String oldIn = childSpis.substring(0, childSpis.indexOf('/'));
                if (then != Then.PEER_REKEYS) {
                    await().atMost(Duration.ofSeconds(90)).pollInterval(Duration.ofSeconds(1)).untilAsserted(() -> {
                        String l = ss.listSas();
                        Matcher m = INSTALLED.matcher(l);
                        assertThat(m.find()).as(l).isTrue();
                        assertThat(m.group(1)).as(l + "\nnode log:\n" + read(secondLog)).isNotEqualTo(oldIn);
                        if (then == Then.WE_REAUTHENTICATE) {
                            assertThat(ikeSpis(l)).as(l).isNotEqualTo(cookies);
                        }
                    });
                } else {
                    rekeyedAt = System.currentTimeMillis() / 1000.0;
                    Lab.Result rekey = ss.swanctl("--rekey", "--child", "net");
                    assertThat(rekey.exit()).as(rekey.output() + "\nnode log:\n" + read(secondLog)).isZero();
                }
                Lab.Result rekeyed = Lab.in(PREFIX + "-ha", "ping", "-c", "20", "-i", "0.1", "-W", "1", "10.2.0.10");
                assertThat(rekeyed.exit()).as(rekeyed.output() + "\nnode log:\n" + read(secondLog)).isZero();
                // strongSwan keeps the old one REKEYED (IKEv1: charon.delete_rekeyed is off) and receives our ESP on
                // the new one
                String l = ss.listSas();
                Matcher installed = INSTALLED.matcher(l);
                assertThat(installed.find()).as(l).isTrue();
                assertThat(installed.group(1)).as(l).isNotEqualTo(oldIn);
                assertThat(Long.parseLong(installed.group(2))).as(l).isPositive();
                if (then == Then.WE_REAUTHENTICATE) {
                    assertThat(ikeSpis(l)).as(l).isNotEqualTo(cookies);
                    assertThat(read(secondLog)).contains("rekeyed to");
                } else {
                    assertThat(ikeSpis(l)).isEqualTo(cookies);
                }
            } finally {
                first.destroyForcibly();
                RunProcess.stop(second);
            }
        }
        // after the capture: phase 1 before the kill only, quick mode only before it and from strongSwan's rekey on,
        // informational exchanges (DPD) after it; one outbound SPI until the rekey; no (SPI, sequence) twice
        String after = String.format(java.util.Locale.ROOT, " && frame.time_epoch > %.3f", killedAt);
        if (then != Then.PEER_REKEYS) {
            // the first quick-mode (or main-mode) message after the kill is ours, at the journaled time: not at
            // resumption
            String exchange = then == Then.WE_REKEY ? "isakmp.exchangetype == 32" : "isakmp.exchangetype == 2";
            String first = exchange + after;
            java.util.List<String> at = Tshark.fields(pcap, first, "frame.time_epoch");
            assertThat(at).as(isakmpFrames(pcap)).isNotEmpty();
            rekeyedAt = Double.parseDouble(at.getFirst()) - 0.001;
            assertThat(Tshark.fields(pcap, first, "ip.src").getFirst()).isEqualTo("192.0.2.1");
            // at the time the dead process had planned: 80-90 % of the lifetime after the SA it replaces was
            // negotiated (that exchange's first message, before the kill, is the earliest the SA can have come up),
            // whenever the kill and the resumption came
            double negotiated = Double.parseDouble(Tshark.fields(pcap, exchange, "frame.time_epoch").getFirst());
            assertThat(rekeyedAt - negotiated).as("s from the replaced SA's negotiation to ours\n%s",
                    isakmpFrames(pcap)).isBetween(LIFETIME * 0.8 - 0.5, (double) LIFETIME);
        }
        String beforeRekey = String.format(java.util.Locale.ROOT, " && frame.time_epoch < %.3f", rekeyedAt);
        String isakmp = isakmpFrames(pcap) + "\nkilled at " + killedAt + ", rekeyed at " + rekeyedAt + "\nnode 2:\n"
                + read(secondLog);
        assertThat(Tshark.fields(pcap, "isakmp.exchangetype == 2 || isakmp.exchangetype == 4", "frame.number"))
                .isNotEmpty();
        assertThat(Tshark.fields(pcap, "(isakmp.exchangetype == 2 || isakmp.exchangetype == 4)" + after
                + (then == Then.WE_REAUTHENTICATE ? beforeRekey : ""), "frame.number")).as(isakmp).isEmpty();
        assertThat(Tshark.fields(pcap, "isakmp.exchangetype == 32" + after + beforeRekey, "frame.number")).as(isakmp)
                .isEmpty();
        assertThat(Tshark.fields(pcap, "isakmp.exchangetype == 32 && frame.time_epoch > "
                + String.format(java.util.Locale.ROOT, "%.3f", rekeyedAt), "frame.number")).as(isakmp).hasSizeGreaterThan(2);
        assertThat(Tshark.fields(pcap, "isakmp.exchangetype == 5" + after + beforeRekey, "frame.number")).as(isakmp)
                .as("DPD after the kill").isNotEmpty();
        RunProcess.EspSent sent = RunProcess.espSent(pcap, "192.0.2.1");
        assertThat(sent.spis()).hasSizeGreaterThan(60);
        assertThat(sent.repeated()).isEmpty();
        assertThat(new HashSet<>(Tshark.fields(pcap, "esp && ip.src == 192.0.2.1" + beforeRekey, "esp.spi")))
                .as("the same outbound SA before and after the kill").hasSize(1);
        assertThat(new HashSet<>(sent.spis())).as("and the rekey's").hasSize(2);
    }

    /** Each ISAKMP frame: time, source, exchange type, message ID (for a failure's message). */
    private static String isakmpFrames(Path pcap) throws Exception {
        java.util.List<String> t = Tshark.fields(pcap, "isakmp", "frame.time_epoch");
        java.util.List<String> src = Tshark.fields(pcap, "isakmp", "ip.src");
        java.util.List<String> x = Tshark.fields(pcap, "isakmp", "isakmp.exchangetype");
        java.util.List<String> mid = Tshark.fields(pcap, "isakmp", "isakmp.messageid");
        StringBuilder b = new StringBuilder();
        for (int i = 0; i < t.size(); i++) {
            b.append(t.get(i)).append(' ').append(i < src.size() ? src.get(i) : "?").append(' ')
                    .append(i < x.size() ? x.get(i) : "?").append(' ').append(i < mid.size() ? mid.get(i) : "?")
                    .append('\n');
        }
        return b.toString();
    }

    /** strongSwan's ESP SA's SPIs ({@code swanctl --list-sas}: "in X, out Y"). */
    private static String childSpis(String listSas) {
        Matcher m = CHILD_SPIS.matcher(listSas);
        assertThat(m.find()).as(listSas).isTrue();
        return m.group(1) + "/" + m.group(2);
    }
}
