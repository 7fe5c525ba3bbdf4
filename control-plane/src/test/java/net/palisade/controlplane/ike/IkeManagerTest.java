package net.palisade.controlplane.ike;

import static org.assertj.core.api.Assertions.assertThat;

import java.net.InetAddress;
import java.util.List;
import net.palisade.model.IpFamily;
import net.palisade.model.Network;
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
}
