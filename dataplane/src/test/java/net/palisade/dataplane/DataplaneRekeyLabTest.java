package net.palisade.dataplane;

import net.palisade.dataplane.testkit.LabPrefix;
import net.palisade.dataplane.testkit.Root;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.time.Duration;
import java.util.HexFormat;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.function.BooleanSupplier;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import net.palisade.dataplane.sa.Prefix;
import net.palisade.dataplane.sa.SaKeys;
import net.palisade.dataplane.sa.SaTraffic;
import net.palisade.dataplane.worker.Counter;
import net.palisade.model.DirectionalKeys;
import net.palisade.model.Network;
import net.palisade.model.crypto.EncryptionAlgorithm;
import net.palisade.model.secret.Secret;
import org.awaitility.Awaitility;
import org.awaitility.core.ConditionTimeoutException;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.fail;

/**
 * Make-before-break rekeys between two real {@link Dataplane}s in the namespace lab (prefix derived from the class by {@link LabPrefix}; the
 * lab, the gateways and their first SA pair come from {@link Lab} and {@link GatewayPair}): host-a pings host-b
 * every 10 ms while gw-a and gw-b replace their SA pair three times in the order of an IKE Child SA rekey that gw-a
 * initiates (RFC 7296 Section 2.8), and not one echo request or reply may be lost. Needs root.
 */
@ExtendWith(Root.class)
class DataplaneRekeyLabTest {
    static final String PREFIX = LabPrefix.claim(DataplaneRekeyLabTest.class);
    private static final String LABEL = "lab";
    private static final Duration WAIT = Duration.ofSeconds(20);
    private static final Pattern SUMMARY = Pattern.compile("(\\d+) packets transmitted, (\\d+) received");
    private static Lab lab;

    @BeforeAll
    static void labUp() throws Exception {
        lab = Lab.up(PREFIX);
    }

    @AfterAll
    static void labDown() throws Exception {
        if (lab != null) {
            lab.close();
        }
    }

    /** gw-a's inbound SPI of generation {@code g} (0: the pair {@link GatewayPair} installs). */
    private static int spiA(int g) {
        return g == 0 ? 0x1000 : 0xa000_0000 | g;
    }

    /** gw-b's inbound SPI of generation {@code g}; above 2^31, like most SPIs strongSwan picks. */
    private static int spiB(int g) {
        return g == 0 ? 0x1001 : 0xb000_0000 | g;
    }

    private static Secret key(String tag) {
        return Secret.ofBytes(HexFormat.of().parseHex(GatewayPair.key(tag, 20).substring(2)));
    }

    private static List<Prefix> net(String cidr) {
        return Prefix.of(Network.parse(cidr));
    }

    /** Generation {@code g} of gw-a's pair, AES-128-GCM in UDP, as the IKE engine would hand it over. */
    private static SaKeys keysA(int g) {
        return keysA(g, net("10.2.0.0/24"));
    }

    /** gw-a's pair of generation {@code g} with these remote networks. */
    private static SaKeys keysA(int g, List<Prefix> remote) {
        return new SaKeys(LABEL, InetAddress.ofLiteral("192.0.2.1"),
                new InetSocketAddress(InetAddress.ofLiteral("192.0.2.2"), 4500), EncryptionAlgorithm.AES_128_GCM,
                Optional.empty(),
                spiA(g), spiB(g), new DirectionalKeys(key("b2a" + g), key("a2b" + g)), Optional.empty(),
                net("10.1.0.0/24"), remote);
    }

    /** The mirror image for gw-b. */
    private static SaKeys keysB(int g) {
        return new SaKeys(LABEL, InetAddress.ofLiteral("192.0.2.2"),
                new InetSocketAddress(InetAddress.ofLiteral("192.0.2.1"), 4500), EncryptionAlgorithm.AES_128_GCM,
                Optional.empty(),
                spiB(g), spiA(g), new DirectionalKeys(key("a2b" + g), key("b2a" + g)), Optional.empty(),
                net("10.2.0.0/24"), net("10.1.0.0/24"));
    }

    private static TunnelCounters tunnel(Dataplane dp) {
        return dp.counters().tunnel(LABEL).orElseThrow();
    }

    /** The live counters of the pair of {@code dp} that receives on {@code inboundSpi}. */
    private static TunnelCounters.Pair pair(Dataplane dp, int inboundSpi) {
        return tunnel(dp).pair(inboundSpi).orElseThrow(() -> new AssertionError("no pair with inbound SPI 0x"
                + Integer.toHexString(inboundSpi) + ": " + dp.counters().describe()));
    }

    /** Traffic of the pairs {@code dp} removed: the tunnel's total minus what its installed pairs carried. */
    private static SaTraffic[] removed(Dataplane dp) {
        TunnelCounters t = tunnel(dp);
        long outP = t.out().packets();
        long outB = t.out().bytes();
        long inP = t.in().packets();
        long inB = t.in().bytes();
        for (TunnelCounters.Pair p : t.pairs()) {
            outP -= p.out().packets();
            outB -= p.out().bytes();
            inP -= p.in().packets();
            inB -= p.in().bytes();
        }
        return new SaTraffic[] {new SaTraffic(outP, outB), new SaTraffic(inP, inB)};
    }

    private static void await(String what, BooleanSupplier condition, GatewayPair pair) {
        try {
            Awaitility.await().atMost(WAIT).pollInterval(Duration.ofMillis(5)).until(condition::getAsBoolean);
        } catch (ConditionTimeoutException e) {
            fail(what + " within " + WAIT + "\ngw-a: " + pair.a.counters().describe() + "\ngw-b: "
                    + pair.b.counters().describe());
        }
    }

    /** {@code ping -i 0.01} from host-a to host-b in the background; the future completes with its output. */
    private static CompletableFuture<String> ping(int count) throws Exception {
        Process p = lab.start("ha", "ping", "-c", String.valueOf(count), "-i", "0.01", "-W", "2", "10.2.0.10");
        return CompletableFuture.supplyAsync(() -> {
            String out = Lab.readAll(p.getInputStream());
            try {
                p.waitFor(60, TimeUnit.SECONDS);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
            return out;
        });
    }

    /** Transmitted and received from ping's summary line. */
    private static long[] summary(String output) {
        Matcher m = SUMMARY.matcher(output);
        assertThat(m.find()).as("ping summary in: " + output).isTrue();
        return new long[] {Long.parseLong(m.group(1)), Long.parseLong(m.group(2))};
    }

    @ParameterizedTest(name = "{0} worker(s) per gateway")
    @ValueSource(ints = {1, 2})
    void threeRekeysUnderContinuousPingLoseNothing(int workers) throws Exception {
        try (GatewayPair pair = GatewayPair.start(lab, GatewayPair.Spec.gcm(),
                GatewayPair.Options.defaults().withWorkers(workers))) {
            Dataplane a = pair.a;
            Dataplane b = pair.b;
            CompletableFuture<String> ping = ping(1500); // 15 s at least; the three rekeys take a few hundred ms
            await("host-a's pings flowing through the first pair", () -> pair(b, spiB(0)).in().packets() >= 20,
                    pair);

            SaTraffic[] removedA = null;
            SaTraffic[] removedB = null;
            for (int g = 1; g <= 3; g++) {
                int oldA = spiA(g - 1);
                int oldB = spiB(g - 1);
                int newA = spiA(g);
                int newB = spiB(g);
                // gw-b answers CREATE_CHILD_SA: installs the new pair, keeps sending on the old one.
                b.rekey(keysB(g), false);
                assertThat(b.inboundSpis(LABEL)).containsExactly(oldB, newB);
                assertThat(b.inboundSpi(LABEL)).contains(oldB);
                long bOldOut = pair(b, oldB).out().packets();
                await("gw-b still replying on its old SA", () -> pair(b, oldB).out().packets() >= bOldOut + 3, pair);
                assertThat(pair(b, newB).out().packets()).as("gw-b sends nothing on the new pair yet").isZero();

                // gw-a gets the response: installs the new pair and sends on it at once.
                a.rekey(keysA(g), true);
                assertThat(a.inboundSpi(LABEL)).contains(newA);
                assertThat(a.inboundSpis(LABEL)).containsExactly(oldA, newA);
                await("gw-b receiving on the new pair", () -> pair(b, newB).in().packets() >= 3, pair);
                await("gw-a still receiving gw-b's replies on the old pair",
                        () -> pair(a, oldA).in().packets() == pair(b, oldB).out().packets()
                                && pair(a, newA).in().packets() == 0, pair);

                // gw-a sends DELETE for the old pair; gw-b switches, then deletes its old pair once the last
                // packets gw-a sent on it have arrived (a round trip in real life).
                assertThat(b.activateOutbound(LABEL, newB)).isTrue();
                await("gw-b's old inbound SA drained",
                        () -> pair(b, oldB).in().packets() == pair(a, oldA).out().packets(), pair);
                long bOldOutFinal = pair(b, oldB).out().packets();
                assertThat(b.removePair(LABEL, oldB)).isTrue();
                assertThat(b.inboundSpis(LABEL)).containsExactly(newB);
                await("gw-a receiving on the new pair", () -> pair(a, newA).in().packets() >= 3, pair);

                // gw-a gets the DELETE response and removes its old pair, once gw-b's last packets on it arrived.
                long bSentOnOld = removed(b)[0].packets() - (removedB == null ? 0 : removedB[0].packets());
                assertThat(bSentOnOld).as("gw-b's old outbound SA stopped at the switch (at most one packet per "
                        + "worker in flight)").isBetween(bOldOutFinal, bOldOutFinal + workers);
                await("gw-a's old inbound SA drained", () -> pair(a, oldA).in().packets() == bSentOnOld, pair);
                assertThat(a.removePair(LABEL, oldA)).isTrue();
                assertThat(a.inboundSpis(LABEL)).containsExactly(newA);
                assertThat(a.removePair(LABEL, oldA)).as("removed already").isFalse();
                removedA = removed(a);
                removedB = removed(b);
            }
            assertThat(ping.isDone()).as("the rekeys happened while ping was running").isFalse();

            // Only the third pair carries traffic now; what the removed pairs counted no longer moves.
            TunnelCounters.Pair a3 = pair(a, spiA(3));
            TunnelCounters.Pair b3 = pair(b, spiB(3));
            await("the third pair carrying the pings", () -> pair(a, spiA(3)).out().packets() >= a3.out().packets()
                    + 50 && pair(b, spiB(3)).out().packets() >= b3.out().packets() + 50, pair);
            String output = ping.get(60, TimeUnit.SECONDS);
            long[] s = summary(output);
            System.out.println("ping across three make-before-break rekeys (" + workers + " worker(s)): " + s[0]
                    + " sent, " + s[1] + " received\ngw-a: " + a.counters().describe() + "\ngw-b: "
                    + b.counters().describe());
            assertThat(s[1]).as("no echo request or reply lost: " + output).isEqualTo(s[0]);
            assertThat(output).doesNotContain("duplicates");
            assertThat(removed(a)).as("gw-a's removed SAs stopped counting").containsExactly(removedA);
            assertThat(removed(b)).as("gw-b's removed SAs stopped counting").containsExactly(removedB);
            await("everything either side sent counted in by the other",
                    () -> tunnel(b).in().packets() == tunnel(a).out().packets()
                            && tunnel(a).in().packets() == tunnel(b).out().packets(), pair);
            assertThat(tunnel(a).out().packets()).as("the tunnel's total counts every pair it had")
                    .isGreaterThanOrEqualTo(s[0]);
            for (Dataplane dp : List.of(a, b)) {
                DataplaneCounters c = dp.counters();
                for (Counter k : List.of(Counter.UNKNOWN_SPI, Counter.REPLAY, Counter.ICV_FAILED, Counter.NO_SA,
                        Counter.POLICY_MISMATCH, Counter.MALFORMED, Counter.SEND_FAILED, Counter.TUN_WRITE_FAILED)) {
                    assertThat(c.total(k)).as(k.key() + ": " + c.describe()).isZero();
                }
            }
        }
    }

    /**
     * The negative control: replacing the pair at once with {@link Dataplane#install(SaKeys)}, gw-a
     * first, drops whatever gw-a sends before gw-b has the new keys too.
     */
    @Test
    void replacingAtOnceInTheWrongOrderLosesPackets() throws Exception {
        try (GatewayPair pair = GatewayPair.start(lab, GatewayPair.Spec.gcm())) {
            CompletableFuture<String> ping = ping(300);
            await("pings flowing", () -> tunnel(pair.b).in().packets() >= 20, pair);
            pair.a.install(keysA(1));
            await("gw-b dropping packets for the SPI it does not know yet",
                    () -> pair.b.counters().total(Counter.UNKNOWN_SPI) >= 2, pair);
            pair.b.install(keysB(1));
            assertThat(pair.a.inboundSpis(LABEL)).containsExactly(spiA(1));
            long[] s = summary(ping.get(60, TimeUnit.SECONDS));
            assertThat(s[1]).as("lost while the peers disagreed").isLessThan(s[0]);
        }
    }

    /** gw-a's routes through its TUN device, one destination per line. */
    private static List<String> routesA() throws Exception {
        return lab.exec("gwa", 10, "ip", "route", "show", "dev", "pal0").output().lines()
                .map(l -> l.split(" ")[0]).toList();
    }

    @Test
    void routesFollowThePairsAndAFailedRekeyChangesNothing() throws Exception {
        try (GatewayPair pair = GatewayPair.start(lab, GatewayPair.Spec.gcm())) {
            Dataplane a = pair.a;
            assertThat(routesA()).containsExactly("10.2.0.0/24");
            List<Prefix> wider = new java.util.ArrayList<>(net("10.2.0.0/24"));
            wider.addAll(net("10.9.0.0/24"));

            // A new pair with one more remote network: its route is added, the shared one stays as it is.
            a.rekey(keysA(1, wider), true);
            assertThat(routesA()).containsExactlyInAnyOrder("10.2.0.0/24", "10.9.0.0/24");
            assertThat(a.removePair(LABEL, spiA(0))).isTrue();
            assertThat(routesA()).containsExactlyInAnyOrder("10.2.0.0/24", "10.9.0.0/24");

            // Narrower again: 10.9.0.0/24 goes only when no pair needs it any more.
            a.rekey(keysA(2), false);
            assertThat(routesA()).containsExactlyInAnyOrder("10.2.0.0/24", "10.9.0.0/24");
            assertThat(a.activateOutbound(LABEL, spiA(2))).isTrue();
            assertThat(a.activateOutbound(LABEL, 0x4242)).isFalse();
            assertThat(a.activateOutbound("nobody", spiA(2))).isFalse();
            assertThat(a.removePair(LABEL, spiA(1))).isTrue();
            assertThat(routesA()).containsExactly("10.2.0.0/24");

            // A rekey whose inbound SPI the tunnel already receives on is refused and leaves everything as it was.
            assertThatThrownBy(() -> a.rekey(keysA(2, wider), true)).isInstanceOf(IllegalArgumentException.class)
                    .hasMessageContaining("already used by another SA pair of tunnel lab");
            assertThat(a.inboundSpis(LABEL)).containsExactly(spiA(2));
            assertThat(routesA()).containsExactly("10.2.0.0/24");
            Lab.Result ping = lab.exec("ha", 30, "ping", "-c", "3", "-i", "0.2", "-W", "2", "10.2.0.10");
            assertThat(ping.exitCode()).as("gw-b still has generation 0 only: " + ping.output()).isNotZero();
            pair.b.install(keysB(2));
            ping = lab.exec("ha", 30, "ping", "-c", "3", "-i", "0.2", "-W", "2", "10.2.0.10");
            assertThat(ping.exitCode()).as(ping.output()).isZero();

            // Removing the last pair removes the tunnel and its route.
            assertThat(a.removePair(LABEL, spiA(2))).isTrue();
            assertThat(a.tunnels()).isEmpty();
            assertThat(a.inboundSpis(LABEL)).isEmpty();
            assertThat(routesA()).isEmpty();
            assertThat(a.removePair(LABEL, spiA(2))).isFalse();
        }
    }

    /** A pair of tunnel {@code label} on gw-a to {@code remote}, receiving on {@code spi}. */
    private static SaKeys keysOf(String label, int spi, String remote) {
        return new SaKeys(label, InetAddress.ofLiteral("192.0.2.1"),
                new InetSocketAddress(InetAddress.ofLiteral("192.0.2.2"), 4500), EncryptionAlgorithm.AES_128_GCM,
                Optional.empty(), spi, spi + 1, new DirectionalKeys(key("in" + spi), key("out" + spi)),
                Optional.empty(), net("10.1.0.0/24"), net(remote));
    }

    /**
     * A takeover installs hundreds of resumed tunnels at once: in one round of the control thread, each install as
     * alone (its routes, its pairs), one that fails leaves the others in, and a rekey's pair in the same round goes
     * beside the tunnel's own and sends.
     */
    @Test
    void installAllMakesEveryInstallOfTheRoundAndOneThatFailsStopsNoOther() throws Exception {
        try (GatewayPair pair = GatewayPair.start(lab, GatewayPair.Spec.gcm())) {
            Dataplane a = pair.a;
            List<Exception> failed = a.installAll(List.of(
                    new Dataplane.Install(keysOf("t1", 0x7001, "10.11.0.0/24"), true),
                    new Dataplane.Install(keysOf("t2", 0x7001, "10.12.0.0/24"), true),
                    new Dataplane.Install(keysOf("t3", 0x7003, "10.13.0.0/24"), true),
                    new Dataplane.Install(keysA(1), false)));
            assertThat(failed.get(0)).isNull();
            assertThat(failed.get(1)).isInstanceOf(IllegalArgumentException.class)
                    .hasMessageContaining("already used by tunnel t1");
            assertThat(failed.subList(2, 4)).containsOnlyNulls();
            assertThat(a.tunnels()).containsExactlyInAnyOrder(LABEL, "t1", "t3");
            assertThat(routesA()).containsExactlyInAnyOrder("10.2.0.0/24", "10.11.0.0/24", "10.13.0.0/24");
            assertThat(a.inboundSpis(LABEL)).containsExactly(spiA(0), spiA(1));
            assertThat(a.inboundSpi(LABEL)).contains(spiA(1));
            // what the IKE engines draw their inbound SPIs around: the installed pairs', not the refused one's
            assertThat(a.inboundSpiInUse(0x7001)).isTrue();
            assertThat(a.inboundSpiInUse(0x7003)).isTrue();
            assertThat(a.inboundSpiInUse(0x7002)).isFalse();
            // the control thread is free again: a change outside a round still reaches the kernel
            pair.b.rekey(keysB(1), true);
            Lab.Result ping = lab.exec("ha", 30, "ping", "-c", "3", "-i", "0.2", "-W", "2", "10.2.0.10");
            assertThat(ping.exitCode()).as(ping.output()).isZero();
            assertThat(a.remove("t3")).isTrue();
            assertThat(routesA()).containsExactlyInAnyOrder("10.2.0.0/24", "10.11.0.0/24");
            assertThat(a.inboundSpiInUse(0x7003)).isFalse();
            assertThat(a.inboundSpiInUse(0x7001)).isTrue();
        }
    }
}
