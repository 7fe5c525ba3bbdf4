package net.palisade.model;

import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonProperty;
import com.fasterxml.jackson.annotation.JsonPropertyOrder;
import com.fasterxml.jackson.databind.annotation.JsonDeserialize;
import com.fasterxml.jackson.databind.annotation.JsonSerialize;
import java.time.Duration;
import java.util.List;
import java.util.Objects;
import java.util.Optional;
import net.palisade.model.config.ValidatingDeserializers;

/**
 * A tunnel keyed by IKE, every default resolved. Build one with {@link net.palisade.model.config.ConfigParser} or
 * from JSON; both validate. Constructing it directly does not validate: use
 * {@link net.palisade.model.config.ConfigValidator#validate(IpsecConfig, String)}.
 *
 * @param label unique name
 * @param mode active, passive or dynamic
 * @param exchange IKE version and IKEv1 phase-1 exchange
 * @param from local networks (phase-2 IDs), in order
 * @param to remote networks (phase-2 IDs), in order
 * @param local our address; empty means "any local address"
 * @param peers peer addresses in failover order; empty only for passive (any peer)
 * @param ikeSa phase 1 transforms
 * @param childSa phase 2 transforms
 * @param srcId our IKE identity; empty means our address
 * @param dstId the identity we require of the peer; empty means its address
 * @param authentication PSK or certificates
 * @param dpd dead peer detection interval; empty means off
 * @param ping keep the tunnel up by pinging across it
 * @param encap force UDP encapsulation of ESP (RFC 3948) and IKE on port 4500 even without a NAT, like strongSwan's
 *              {@code encap = yes}: our NAT_DETECTION_SOURCE_IP hash is deliberately wrong, so the peer believes we
 *              are behind a NAT. False: NAT detection decides (no NAT: plain ESP and IKE on port 500)
 * @param saPerFlow negotiate one Child SA per from/to pair of networks (the first with IKE_AUTH, the others by
 *              CREATE_CHILD_SA), as Cisco, Juniper and strongSwan with several {@code children} do, instead of one
 *              Child SA carrying all of them. IKEv1 always makes one SA per pair.
 */
@JsonInclude(JsonInclude.Include.NON_ABSENT)
@JsonPropertyOrder({"type", "label", "mode", "exchange", "from", "to", "local", "peers", "ikeSa", "childSa",
        "srcId", "dstId", "authentication", "dpd", "ping", "encap", "saPerFlow"})
@JsonDeserialize(using = ValidatingDeserializers.IkeTunnelDeserializer.class)
public record IkeTunnel(
        String label,
        IkeMode mode,
        IkeExchange exchange,
        List<Network> from,
        List<Network> to,
        Optional<Host> local,
        List<Host> peers,
        IkeSaSpec ikeSa,
        ChildSaSpec childSa,
        Optional<Identity> srcId,
        Optional<Identity> dstId,
        IkeAuth authentication,
        @JsonSerialize(contentUsing = ModelJson.DurationSerializer.class) Optional<Duration> dpd,
        boolean ping,
        boolean encap,
        boolean saPerFlow) implements TunnelSpec {

    public IkeTunnel {
        Objects.requireNonNull(label, "label");
        Objects.requireNonNull(mode, "mode");
        Objects.requireNonNull(exchange, "exchange");
        from = List.copyOf(from);
        to = List.copyOf(to);
        Objects.requireNonNull(local, "local");
        peers = List.copyOf(peers);
        Objects.requireNonNull(ikeSa, "ikeSa");
        Objects.requireNonNull(childSa, "childSa");
        Objects.requireNonNull(srcId, "srcId");
        Objects.requireNonNull(dstId, "dstId");
        Objects.requireNonNull(authentication, "authentication");
        Objects.requireNonNull(dpd, "dpd");
    }

    /** Without forced encapsulation ({@code encap} false): NAT detection decides. */
    public IkeTunnel(String label, IkeMode mode, IkeExchange exchange, List<Network> from, List<Network> to,
            Optional<Host> local, List<Host> peers, IkeSaSpec ikeSa, ChildSaSpec childSa, Optional<Identity> srcId,
            Optional<Identity> dstId, IkeAuth authentication, Optional<Duration> dpd, boolean ping) {
        this(label, mode, exchange, from, to, local, peers, ikeSa, childSa, srcId, dstId, authentication, dpd, ping,
                false);
    }

    /** All flows in one Child SA ({@code saPerFlow} false). */
    public IkeTunnel(String label, IkeMode mode, IkeExchange exchange, List<Network> from, List<Network> to,
            Optional<Host> local, List<Host> peers, IkeSaSpec ikeSa, ChildSaSpec childSa, Optional<Identity> srcId,
            Optional<Identity> dstId, IkeAuth authentication, Optional<Duration> dpd, boolean ping, boolean encap) {
        this(label, mode, exchange, from, to, local, peers, ikeSa, childSa, srcId, dstId, authentication, dpd, ping,
                encap, false);
    }

    /** The same tunnel with encapsulation forced or not. */
    public IkeTunnel withEncap(boolean forced) {
        return new IkeTunnel(label, mode, exchange, from, to, local, peers, ikeSa, childSa, srcId, dstId,
                authentication, dpd, ping, forced, saPerFlow);
    }

    /** The same tunnel with {@code id} as our IKE identity. */
    public IkeTunnel withSrcId(Identity id) {
        return new IkeTunnel(label, mode, exchange, from, to, local, peers, ikeSa, childSa, Optional.of(id), dstId,
                authentication, dpd, ping, encap, saPerFlow);
    }

    @Override
    @JsonProperty(value = "type", index = 0)
    public String type() {
        return "ike";
    }
}
