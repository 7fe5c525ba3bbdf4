package net.palisade.controlplane.ping;

import static org.assertj.core.api.Assertions.assertThat;

import java.net.InetAddress;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.OptionalInt;
import net.palisade.controlplane.ping.PingMonitor.Verdict;
import net.palisade.model.Network;
import org.junit.jupiter.api.Test;

/** The ping verdict on a fake clock: echoes due, lost, answered late, and what is reported when. */
class PingMonitorTest {
    private static final Instant T0 = Instant.parse("2026-12-06T03:12:00Z");
    private Instant now = T0;
    private final PingMonitor m = new PingMonitor();

    private PingMonitor.Step at(long seconds) {
        now = T0.plusSeconds(seconds);
        return m.tick(now);
    }

    @Test
    void theDocumentedCadenceIsAnEchoEveryThreeSecondsAndThreeLostMakeUnreachable() {
        assertThat(PingMonitor.INTERVAL).isEqualTo(Duration.ofSeconds(3));
        assertThat(PingMonitor.LOST_AFTER).isEqualTo(3);
    }

    @Test
    void firstEchoAtOnceThenOneEveryInterval() {
        assertThat(at(0).send()).isEqualTo(OptionalInt.of(1));
        assertThat(at(1).send()).isEmpty();
        assertThat(at(2).send()).isEmpty();
        assertThat(at(3).send()).isEqualTo(OptionalInt.of(2));
        assertThat(at(5).send()).isEmpty();
        assertThat(at(6).send()).isEqualTo(OptionalInt.of(3));
    }

    @Test
    void theFirstReplyMakesItReachableOnceAndLaterRepliesSayNothing() {
        int seq = at(0).send().getAsInt();
        assertThat(m.verdict()).isEmpty();
        assertThat(m.reply(seq)).contains(Verdict.REACHABLE);
        assertThat(m.reply(seq)).isEmpty();
        int next = at(3).send().getAsInt();
        assertThat(m.reply(next)).isEmpty();
        assertThat(m.verdict()).contains(Verdict.REACHABLE);
    }

    @Test
    void threeEchoesLostInARowMakeItUnreachableOnceAndAReplyBringsItBack() {
        m.reply(at(0).send().getAsInt());
        List<Optional<Verdict>> verdicts = new ArrayList<>();
        for (int s = 3; s <= 21; s += 3) {
            verdicts.add(at(s).verdict());
        }
        // echo 2 (t=3) lost at t=6, echo 3 at t=9, echo 4 at t=12: the third lost in a row
        assertThat(verdicts).containsExactly(Optional.empty(), Optional.empty(), Optional.empty(),
                Optional.of(Verdict.UNREACHABLE), Optional.empty(), Optional.empty(), Optional.empty());
        assertThat(m.lost()).isEqualTo(6);
        int last = at(24).send().getAsInt();
        assertThat(m.reply(last)).contains(Verdict.REACHABLE);
        assertThat(m.lost()).isZero();
    }

    @Test
    void twoLostThenAnsweredStaysReachable() {
        m.reply(at(0).send().getAsInt());
        at(3);
        at(6);
        int seq = at(9).send().getAsInt();
        assertThat(m.lost()).isEqualTo(2);
        assertThat(m.reply(seq)).isEmpty();
        assertThat(at(12).verdict()).isEmpty();
        assertThat(at(15).verdict()).isEmpty();
        assertThat(m.verdict()).contains(Verdict.REACHABLE);
    }

    @Test
    void aLateReplyToARecentEchoCountsButAStaleOneDoesNot() {
        int first = at(0).send().getAsInt();
        at(3);
        at(6);
        at(9);
        assertThat(m.reply(first)).contains(Verdict.REACHABLE); // three echoes old: still recent
        int old = first;
        for (int s = 12; s <= 24; s += 3) {
            at(s);
        }
        assertThat(m.verdict()).contains(Verdict.UNREACHABLE);
        assertThat(m.reply(old)).isEmpty(); // far older than the last LOST_AFTER echoes
        assertThat(m.verdict()).contains(Verdict.UNREACHABLE);
    }

    @Test
    void aReplyBeforeAnyEchoIsIgnored() {
        assertThat(m.reply(0)).isEmpty();
        assertThat(m.verdict()).isEmpty();
    }

    @Test
    void neverAnsweredGoesUnreachableAfterTheThirdLostEcho() {
        assertThat(at(0).verdict()).isEmpty();
        assertThat(at(3).verdict()).isEmpty();
        assertThat(at(6).verdict()).isEmpty();
        assertThat(at(9).verdict()).contains(Verdict.UNREACHABLE);
    }

    @Test
    void theFirstAddressOfANetworkIsTheOneAfterItsNetworkAddress() throws Exception {
        assertThat(PingTarget.firstAddress(Network.parse("10.1.0.0/24"))).contains(InetAddress.getByName("10.1.0.1"));
        assertThat(PingTarget.firstAddress(Network.parse("10.1.0.9"))).contains(InetAddress.getByName("10.1.0.9"));
        assertThat(PingTarget.firstAddress(Network.parse("10.1.0.8/31"))).contains(InetAddress.getByName("10.1.0.8"));
        assertThat(PingTarget.firstAddress(Network.parse("2001:db8:1::/64")))
                .contains(InetAddress.getByName("2001:db8:1::1"));
        assertThat(PingTarget.firstAddress(Network.parse("255.255.255.0/24")))
                .contains(InetAddress.getByName("255.255.255.1"));
        assertThat(PingTarget.firstAddress(Network.any())).isEmpty();
    }
}
