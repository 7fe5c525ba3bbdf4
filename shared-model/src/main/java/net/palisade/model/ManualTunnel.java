package net.palisade.model;

import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonProperty;
import com.fasterxml.jackson.annotation.JsonPropertyOrder;
import com.fasterxml.jackson.databind.annotation.JsonDeserialize;
import java.util.List;
import java.util.Objects;
import java.util.Optional;
import java.util.OptionalInt;
import net.palisade.model.config.ValidatingDeserializers;
import net.palisade.model.crypto.AuthAlgorithm;
import net.palisade.model.crypto.EncryptionAlgorithm;

/**
 * A manually keyed tunnel (static SAs, no IKE). Build one with {@link net.palisade.model.config.ConfigParser} or
 * from JSON; both validate.
 *
 * @param label unique name
 * @param from local networks, in order
 * @param to remote networks, in order
 * @param local our IP address
 * @param peer the peer's IP address (same family as local)
 * @param spi inbound and outbound SPIs
 * @param enc the ESP encryption algorithm
 * @param encKey encryption keys (with salt for AEAD), per direction
 * @param auth the ESP integrity algorithm; empty for AEAD
 * @param authKey integrity keys per direction; present exactly when auth is
 * @param udpEncapPort ESP-in-UDP (RFC 3948) to this peer port; empty means raw ESP (IP protocol 50)
 */
@JsonInclude(JsonInclude.Include.NON_ABSENT)
@JsonPropertyOrder({"type", "label", "from", "to", "local", "peer", "spi", "enc", "encKey", "auth", "authKey",
        "udpEncapPort"})
@JsonDeserialize(using = ValidatingDeserializers.ManualTunnelDeserializer.class)
public record ManualTunnel(
        String label,
        List<Network> from,
        List<Network> to,
        Host local,
        Host peer,
        SpiPair spi,
        EncryptionAlgorithm enc,
        DirectionalKeys encKey,
        Optional<AuthAlgorithm> auth,
        Optional<DirectionalKeys> authKey,
        OptionalInt udpEncapPort) implements TunnelSpec {

    public ManualTunnel {
        Objects.requireNonNull(label, "label");
        from = List.copyOf(from);
        to = List.copyOf(to);
        Objects.requireNonNull(local, "local");
        Objects.requireNonNull(peer, "peer");
        Objects.requireNonNull(spi, "spi");
        Objects.requireNonNull(enc, "enc");
        Objects.requireNonNull(encKey, "encKey");
        Objects.requireNonNull(auth, "auth");
        Objects.requireNonNull(authKey, "authKey");
        Objects.requireNonNull(udpEncapPort, "udpEncapPort");
    }

    @Override
    @JsonProperty(value = "type", index = 0)
    public String type() {
        return "manual";
    }
}
