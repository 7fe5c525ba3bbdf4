package net.palisade.controlplane.ike;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import org.junit.jupiter.api.Test;

/** The message window alone: retransmission schedule, the response cache, and what lies outside the window. */
class MessageWindowTest {
    private static final Instant T0 = Instant.parse("2026-11-27T12:00:00Z");

    private static MessageWindow<String> window(Duration... schedule) {
        return new MessageWindow<>(List.of(schedule), () -> {
            throw new AssertionError("no fragments in these tests");
        });
    }

    private static byte[] bytes(String s) {
        return s.getBytes(StandardCharsets.US_ASCII);
    }

    @Test
    void requestIsResentOnScheduleThenGivenUpAfterTheLastTimeout() {
        MessageWindow<String> w = window(Duration.ofSeconds(1), Duration.ofSeconds(2), Duration.ofSeconds(4));
        List<byte[]> fragments = List.of(bytes("frag-1"), bytes("frag-2"));
        long id = w.nextRequestId();
        w.sent(id, fragments, "liveness", T0);

        assertThat(w.idle()).isFalse();
        assertThat(w.tick(T0.plusMillis(999))).isInstanceOf(MessageWindow.Timer.Waiting.class);
        // first resend 1 s after sending, every fragment again
        assertThat(w.tick(T0.plusSeconds(1))).isInstanceOfSatisfying(MessageWindow.Timer.Resend.class,
                r -> assertThat(r.datagrams()).containsExactlyElementsOf(fragments));
        // the second timeout (2 s) runs from the resend
        assertThat(w.deadline()).isEqualTo(T0.plusSeconds(3));
        assertThat(w.tick(T0.plusMillis(2999))).isInstanceOf(MessageWindow.Timer.Waiting.class);
        assertThat(w.tick(T0.plusSeconds(3))).isInstanceOf(MessageWindow.Timer.Resend.class);
        assertThat(w.deadline()).isEqualTo(T0.plusSeconds(7));
        // three transmissions, three timeouts: the last one expiring gives the request up
        MessageWindow.Timer<String> last = w.tick(T0.plusSeconds(7));
        assertThat(last).isInstanceOfSatisfying(MessageWindow.Timer.GaveUp.class, g -> {
            assertThat(g.request().transmissions()).isEqualTo(3);
            assertThat(g.request().purpose()).isEqualTo("liveness");
        });
        assertThat(w.idle()).isTrue();
        assertThat(w.deadline()).isNull();
        assertThat(w.tick(T0.plusSeconds(60))).isInstanceOf(MessageWindow.Timer.Waiting.class);
    }

    @Test
    void onlyTheResponseToTheRequestInFlightCompletesIt() {
        MessageWindow<String> w = window(Duration.ofSeconds(1));
        assertThat(w.nextRequestId()).isZero();
        assertThat(w.nextRequestId()).isEqualTo(1);
        w.sent(1, List.of(bytes("rekey")), "rekey", T0);

        assertThat(w.awaits(0)).isFalse();
        assertThat(w.awaits(2)).isFalse();
        assertThat(w.awaits(1)).isTrue();
        assertThat(w.complete()).hasValueSatisfying(o -> assertThat(o.purpose()).isEqualTo("rekey"));
        assertThat(w.awaits(1)).as("answered once, a duplicate response finds nothing").isFalse();
        assertThat(w.nextRequestId()).as("message IDs never repeat").isEqualTo(2);
    }

    @Test
    void firstRequestKeepsMessageIdZeroWhenRestarted() {
        MessageWindow<String> w = window(Duration.ofSeconds(1));
        w.sentFirst(List.of(bytes("init")), "setup", T0);
        // after N(COOKIE): the same exchange again, still message ID 0 (RFC 7296 section 2.6)
        w.sentFirst(List.of(bytes("init+cookie")), "setup", T0.plusSeconds(1));
        assertThat(w.awaits(0)).isTrue();
        assertThat(w.nextRequestId()).isEqualTo(1);
    }

    @Test
    void duplicateRequestIsAnsweredFromTheCache() {
        MessageWindow<String> w = window(Duration.ofSeconds(1));
        byte[] request = bytes("request-0");
        assertThat(w.request(0, request, 0)).isInstanceOf(MessageWindow.Incoming.Fresh.class);
        List<byte[]> response = List.of(bytes("response-0a"), bytes("response-0b"));
        w.answered(0, request, response);

        assertThat(w.request(0, bytes("request-0"), 0)).isInstanceOfSatisfying(
                MessageWindow.Incoming.Retransmitted.class,
                r -> assertThat(r.response()).containsExactlyElementsOf(response));
        // fragment 1 of a fragmented request stands for the whole: it is what gets compared
        assertThat(w.request(0, bytes("request-0"), 1)).isInstanceOf(MessageWindow.Incoming.Retransmitted.class);
        // RFC 7383 section 2.6.1: later fragments of a retransmission do not make us resend
        assertThat(w.request(0, bytes("fragment-2"), 2)).isInstanceOf(MessageWindow.Incoming.LaterFragment.class);
        assertThat(w.request(0, bytes("forged"), 0)).isInstanceOf(MessageWindow.Incoming.Differs.class);
        assertThat(w.request(1, bytes("request-1"), 0)).isInstanceOf(MessageWindow.Incoming.Fresh.class);
    }

    @Test
    void requestOutsideTheWindowIsDropped() {
        MessageWindow<String> w = window(Duration.ofSeconds(1));
        assertThat(w.request(1, bytes("too early"), 0)).isInstanceOf(MessageWindow.Incoming.OutOfWindow.class);
        w.answered(0, bytes("request-0"), List.of(bytes("response-0")));
        w.answered(1, bytes("request-1"), List.of(bytes("response-1")));

        // only the last answered request is cached: an older one is neither new nor a retransmission we answer
        assertThat(w.request(0, bytes("request-0"), 0)).isInstanceOf(MessageWindow.Incoming.OutOfWindow.class);
        assertThat(w.request(3, bytes("request-3"), 0)).isInstanceOf(MessageWindow.Incoming.OutOfWindow.class);
        assertThat(w.request(2, bytes("request-2"), 0)).isInstanceOf(MessageWindow.Incoming.Fresh.class);
    }
}
