package net.palisade.api;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.ObjectMapper;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import net.palisade.controlplane.Fixtures;
import net.palisade.controlplane.JournalEvent;
import net.palisade.model.Spi;
import net.palisade.model.SpiPair;
import net.palisade.model.crypto.DhGroup;
import net.palisade.model.event.Cause;
import net.palisade.model.event.ChildSa;
import net.palisade.model.event.FailureReason;
import net.palisade.model.event.SaId;
import net.palisade.model.event.TunnelEvent;
import org.junit.jupiter.api.Test;

/**
 * Events written straight into an answer's bytes ({@link ApiJson#events}) are the JSON the API documents and
 * served before, byte for byte: each event as {@link ApiJson#event} renders it (a tree), written by the API's
 * mapper, for every event type (a configured tunnel with its secrets redacted, optional fields absent and present):
 * as a page (one array) and as a streamed answer's chunks (elements, each written as alone, joined by commas).
 */
class ApiJsonEventsTest {
    private static final Instant T = Instant.parse("2026-11-27T03:12:00.123456789Z");

    private static List<JournalEvent> everyType() {
        SpiPair spi = new SpiPair(Spi.of(0x1000), Spi.of(0x1001));
        List<TunnelEvent> events = new ArrayList<>();
        for (var spec : Fixtures.config().tunnels()) {
            events.add(new TunnelEvent.Configured(spec.label(), T, "n1", Cause.commit("c-1"), spec));
        }
        events.addAll(List.of(
                new TunnelEvent.Removed("t", T, "n1", Cause.commit("c-2")),
                new TunnelEvent.AdminUp("t", T, "n1", Cause.api("bob")),
                new TunnelEvent.AdminDown("t", T, "n1", Cause.api("bob")),
                new TunnelEvent.Phase1Up("t", T, "n1", Cause.PEER, "198.51.100.7", "0x1/0x2"),
                new TunnelEvent.Phase1Up("t", T, "n1", Cause.PEER, "198.51.100.7", "0x1/0x2", Optional.of(1)),
                new TunnelEvent.Phase1Down("t", T, "n1", Cause.PEER, "delete \"from peer\" ü\n"),
                new TunnelEvent.ChildSaInstalled("t", T, "n1", Cause.PEER, new ChildSa(SaId.of("child-1"), spi)),
                new TunnelEvent.ChildSaDeleted("t", T, "n1", Cause.PEER, SaId.of("child-1")),
                new TunnelEvent.Rekeyed("t", T, "n1", Cause.TIMER, SaId.of("child-1"), SaId.of("child-2"),
                        Optional.of(spi)),
                new TunnelEvent.Rekeyed("t", T, "n1", Cause.TIMER, SaId.of("child-1"), SaId.of("child-2"),
                        Optional.of(spi), Optional.of(DhGroup.values()[0]), true),
                new TunnelEvent.DpdLost("t", T, "n1", Cause.TIMER, "198.51.100.7"),
                new TunnelEvent.PeerSwitched("t", T, "n1", Cause.TIMER, Optional.of("198.51.100.7"), "198.51.100.8"),
                new TunnelEvent.PeerSwitched("t", T, "n1", Cause.TIMER, Optional.empty(), "198.51.100.8"),
                new TunnelEvent.NegotiationFailed("t", T, "n1", Cause.PEER, FailureReason.NO_PROPOSAL_CHOSEN, ""),
                new TunnelEvent.SaExpired("t", T, "n1", Cause.TIMER, SaId.of("child-2")),
                new TunnelEvent.PingLost("t", T, "n1", Cause.TIMER, "10.1.0.1", "10.2.0.1", 3),
                new TunnelEvent.PingOk("t", T, "n1", Cause.PEER, "10.1.0.1", "10.2.0.1"),
                new TunnelEvent.TakeoverState("t", T, "n1", Cause.NODE, TunnelEvent.TakeoverState.CHILD_SA,
                        SaId.of("child-2"), new net.palisade.model.event.SealedState("0011223344556677",
                                new byte[12], new byte[] {1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16, 17})),
                new TunnelEvent.SequenceReserved("t", T, "n1", Cause.NODE, 0x1001, 1L << 40),
                new TunnelEvent.Resumed("t", T, "n1", Cause.NODE, "0x1/0x2")));
        assertThat(events.stream().map(TunnelEvent::type).distinct().toList())
                .containsExactlyInAnyOrderElementsOf(TunnelEvent.TYPES);
        List<JournalEvent> out = new ArrayList<>();
        for (int i = 0; i < events.size(); i++) {
            out.add(new JournalEvent(1_000_000_000_000L + i, i + 1, events.get(i)));
        }
        return out;
    }

    @Test
    void eventsWrittenStraightAreTheTreesBytes() throws Exception {
        ApiJson render = new ApiJson();
        ObjectMapper json = render.mapper();
        List<JournalEvent> events = everyType();
        // a page: the array of trees the API wrote before
        String page = new String(render.events(events, true, false), StandardCharsets.UTF_8);
        assertThat(page).isEqualTo(json.writeValueAsString(events.stream().map(render::event).toList()));
        assertThat(page).doesNotContain(Fixtures.CANARY_PSK, Fixtures.CANARY_KEY_HEX).contains("[redacted]");
        assertThat(new String(render.events(List.of(), true, false), StandardCharsets.UTF_8))
                .isEqualTo(json.writeValueAsString(List.of()));
        // a stream's chunks: each event written alone, commas between, one before a later chunk's first
        StringBuilder elements = new StringBuilder();
        for (JournalEvent e : events) {
            elements.append(elements.isEmpty() ? "" : ",").append(json.writeValueAsString(render.event(e)));
        }
        assertThat(new String(render.events(events, false, false), StandardCharsets.UTF_8))
                .isEqualTo(elements.toString());
        assertThat(new String(render.events(events, false, true), StandardCharsets.UTF_8))
                .isEqualTo("," + elements);
        assertThat(render.events(List.of(), false, true)).isEmpty();
    }
}
