package net.palisade.model.config;

import com.fasterxml.jackson.annotation.JsonIgnoreProperties;
import com.fasterxml.jackson.databind.annotation.JsonDeserialize;
import java.time.Duration;
import java.util.List;
import net.palisade.model.DirectionalKeys;
import net.palisade.model.Host;
import net.palisade.model.Identity;
import net.palisade.model.IkeExchange;
import net.palisade.model.IkeMode;
import net.palisade.model.ModelJson;
import net.palisade.model.Network;
import net.palisade.model.SpiPair;
import net.palisade.model.crypto.AuthAlgorithm;
import net.palisade.model.crypto.DhGroup;
import net.palisade.model.crypto.EncryptionAlgorithm;
import net.palisade.model.secret.Secret;

/**
 * Tunnels as given, before defaults: {@code null} means "not said". Both doors produce these (the parser from
 * text, Jackson from JSON), and {@link Validator} turns them into model records. Their JSON shape is the model's.
 */
final class Drafts {
    private Drafts() {}

    sealed interface TunnelDraft permits IkeTunnelDraft, ManualTunnelDraft {
        String label();

        List<Network> from();

        List<Network> to();
    }

    @JsonIgnoreProperties(value = {"type"})
    record IkeTunnelDraft(
            String label,
            IkeMode mode,
            IkeExchange exchange,
            List<Network> from,
            List<Network> to,
            Host local,
            List<Host> peers,
            IkeSaDraft ikeSa,
            ChildSaDraft childSa,
            Identity srcId,
            Identity dstId,
            AuthDraft authentication,
            @JsonDeserialize(using = ModelJson.DurationDeserializer.class) Duration dpd,
            Boolean ping,
            Boolean encap,
            Boolean saPerFlow) implements TunnelDraft {}

    record IkeSaDraft(
            List<EncryptionAlgorithm> enc,
            List<AuthAlgorithm> auth,
            List<AuthAlgorithm> prf,
            List<DhGroup> groups,
            @JsonDeserialize(using = ModelJson.DurationDeserializer.class) Duration lifetime) {
        static final IkeSaDraft EMPTY = new IkeSaDraft(null, null, null, null, null);
    }

    record ChildSaDraft(
            List<EncryptionAlgorithm> enc,
            List<AuthAlgorithm> auth,
            List<DhGroup> groups,
            @JsonDeserialize(using = ModelJson.DurationDeserializer.class) Duration lifetime,
            Boolean pfsRequired) {
        static final ChildSaDraft EMPTY = new ChildSaDraft(null, null, null, null, null);

        ChildSaDraft(List<EncryptionAlgorithm> enc, List<AuthAlgorithm> auth, List<DhGroup> groups,
                Duration lifetime) {
            this(enc, auth, groups, lifetime, null);
        }
    }

    record AuthDraft(Secret psk, String cert, String key, String ca) {}

    @JsonIgnoreProperties(value = {"type"})
    record ManualTunnelDraft(
            String label,
            List<Network> from,
            List<Network> to,
            Host local,
            Host peer,
            SpiPair spi,
            EncryptionAlgorithm enc,
            DirectionalKeys encKey,
            AuthAlgorithm auth,
            DirectionalKeys authKey,
            Integer udpEncapPort) implements TunnelDraft {}
}
