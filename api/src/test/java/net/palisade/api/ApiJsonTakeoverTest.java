package net.palisade.api;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Instant;
import java.util.Base64;
import java.util.HexFormat;
import net.palisade.controlplane.JournalEvent;
import net.palisade.model.event.Cause;
import net.palisade.model.event.SaId;
import net.palisade.model.event.SealedState;
import net.palisade.model.event.TunnelEvent;
import org.junit.jupiter.api.Test;

/**
 * The API's event view (and so {@code palisade events}, {@code replay --json} and offline replay, which print the
 * same JSON) shows sealed takeover state as its length and key id, never its bytes.
 */
class ApiJsonTakeoverTest {
    @Test
    void takeoverStateShowsItsLengthAndKeyIdOnly() throws Exception {
        byte[] ct = new byte[48];
        for (int i = 0; i < ct.length; i++) {
            ct[i] = (byte) (0xa0 + i);
        }
        byte[] nonce = {1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12};
        TunnelEvent e = new TunnelEvent.TakeoverState("site-b", Instant.parse("2026-12-06T04:00:00Z"), "gw1",
                Cause.NODE, TunnelEvent.TakeoverState.CHILD_SA, SaId.child(0xc001), new SealedState("0011223344556677",
                        nonce, ct));
        ApiJson render = new ApiJson();
        String text = render.mapper().writeValueAsString(render.event(new JournalEvent(7, 3, e)));
        assertThat(text).contains("\"type\" : \"takeover-state\"", "\"scope\" : \"child-sa\"",
                "\"sa\" : \"child-0000c001\"", "\"state\" : \"[sealed 48 bytes, pair key 0011223344556677]\"");
        assertThat(text).doesNotContain(Base64.getEncoder().encodeToString(ct).substring(0, 12))
                .doesNotContain(HexFormat.of().formatHex(ct).substring(0, 12))
                .doesNotContain(Base64.getEncoder().encodeToString(nonce).substring(0, 8))
                .doesNotContain("\"ct\"").doesNotContain("\"nonce\"");
        assertThat(e.toString()).doesNotContain(HexFormat.of().formatHex(ct).substring(0, 6))
                .contains("[sealed 48 bytes");
    }
}
