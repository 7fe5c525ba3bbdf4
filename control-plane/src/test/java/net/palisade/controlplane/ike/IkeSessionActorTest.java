package net.palisade.controlplane.ike;

import static org.assertj.core.api.Assertions.assertThat;

import java.net.NoRouteToHostException;
import java.net.UnknownHostException;
import java.util.concurrent.CompletionException;
import net.palisade.model.Host;
import org.junit.jupiter.api.Test;

/**
 * What the actor journals when an initiator's endpoints cannot be looked up (its decisions are {@link
 * TunnelPolicyTest}'s; the actor's wiring is covered by IkeFailoverTest, IkeEndpointsTest and IkeActiveAnswerTest).
 */
class IkeSessionActorTest {
    @Test
    void anUnresolvableNameAndAMissingRouteAreToldApart() {
        Host peer = Host.parse("gw-b.example");
        assertThat(PeerResolver.unavailable(peer, new CompletionException(new UnknownHostException(
                "gw-b.example: Name or service not known"))))
                .isEqualTo("peer gw-b.example: the name does not resolve (gw-b.example: Name or service not known)");
        assertThat(PeerResolver.unavailable(peer, new UnknownHostException("gw-b.example")))
                .as("the resolver's message only repeats the name").isEqualTo(
                        "peer gw-b.example: the name does not resolve");
        assertThat(PeerResolver.unavailable(Host.parse("192.0.2.2"), new NoRouteToHostException(
                "Network is unreachable")))
                .isEqualTo("peer 192.0.2.2: no local address to reach it from (Network is unreachable)");
        assertThat(PeerResolver.unavailable(Host.parse("192.0.2.2"), new IllegalStateException()))
                .isEqualTo("peer 192.0.2.2: no local address to reach it from (IllegalStateException)");
    }
}
