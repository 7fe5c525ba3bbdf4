package net.palisade.controlplane.ike;

import static org.assertj.core.api.Assertions.assertThat;

import static org.awaitility.Awaitility.await;

import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.time.Duration;
import java.util.List;
import java.util.Optional;
import net.palisade.model.IpFamily;
import net.palisade.model.Network;
import net.palisade.model.wire.Octets;
import net.palisade.model.wire.ikev2.ExchangeType;
import net.palisade.model.wire.ikev2.IkeHeader;
import net.palisade.model.wire.ikev2.IkeMessage;
import net.palisade.model.wire.ikev2.Ikev2Codec;
import net.palisade.model.wire.ikev2.NoncePayload;
import net.palisade.model.wire.ikev2.TrafficSelector;
import org.junit.jupiter.api.Test;

class IkeManagerTest {
    private static InetAddress ip(String s) {
        return InetAddress.ofLiteral(s);
    }

    @Test
    void negotiatedSelectorsBecomeTheFewestPrefixes() {
        assertThat(IkeOutcomes.prefixes(List.of(TrafficSelector.AddressRange.of(Network.parse("10.2.0.0/24"),
                IpFamily.IPV4)))).extracting(Object::toString).containsExactly("10.2.0.0/24");
        assertThat(IkeOutcomes.prefixes(ip("10.0.0.1"), ip("10.0.0.6"))).extracting(Object::toString)
                .containsExactly("10.0.0.1/32", "10.0.0.2/31", "10.0.0.4/31", "10.0.0.6/32");
        assertThat(IkeOutcomes.prefixes(ip("0.0.0.0"), ip("255.255.255.255"))).extracting(Object::toString)
                .containsExactly("0.0.0.0/0");
        assertThat(IkeOutcomes.prefixes(ip("fd00::"), ip("fd00::ffff"))).singleElement()
                .satisfies(p -> assertThat(p.length()).isEqualTo(112));
        assertThat(IkeOutcomes.prefixes(ip("10.0.0.5"), ip("10.0.0.5"))).extracting(Object::toString)
                .containsExactly("10.0.0.5/32");
    }

    @Test
    void theDataplanesSinkFeedsTheDispatcherAndNothingStartsBeforeTheControlPlaneIsAttached() {
        InetSocketAddress peer = new InetSocketAddress(ip("192.0.2.2"), 4500);
        InetSocketAddress local = new InetSocketAddress(ip("0.0.0.0"), 4500);
        try (IkeManager m = new IkeManager(Optional.empty(), 500)) {
            var sink = m.sink();
            sink.ike(peer, local, message(ExchangeType.Known.IKE_AUTH, 5));
            sink.ike(peer, local, message(ExchangeType.Known.IKE_SA_INIT, 0));
            await().atMost(Duration.ofSeconds(10)).until(() -> m.dispatchCounters().size() == 2);
            assertThat(m.dispatchCounters()).containsEntry("ikev2.dispatch.unknown-spi", 1L)
                    .containsEntry("ikev2.dispatch.not-ready", 1L);
            assertThat(m.cookieCounters()).isEmpty();
        }
    }

    private static byte[] message(ExchangeType exchange, long responderSpi) {
        return Ikev2Codec.standard().encode(IkeMessage.of(IkeHeader.request(0x0123_4567_89ab_cdefL, responderSpi,
                exchange, 0, true), new NoncePayload(Octets.of(new byte[16]))));
    }
}
