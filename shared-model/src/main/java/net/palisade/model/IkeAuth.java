package net.palisade.model;

import com.fasterxml.jackson.annotation.JsonPropertyOrder;
import java.util.Objects;
import net.palisade.model.secret.Secret;

/** How an IKE tunnel authenticates: a pre-shared key, or certificates. Exactly one. */
public sealed interface IkeAuth permits IkeAuth.Psk, IkeAuth.Certificates {

    /** A pre-shared key. JSON output: {@code {"psk":"[redacted]"}}. */
    record Psk(Secret psk) implements IkeAuth {
        public Psk {
            Objects.requireNonNull(psk, "psk");
        }
    }

    /**
     * Certificate authentication: our certificate, its private key, and the CA that must have issued the peer's
     * certificate. Paths as written (PEM files), resolved by the control plane.
     */
    @JsonPropertyOrder({"cert", "key", "ca"})
    record Certificates(String cert, String key, String ca) implements IkeAuth {
        public Certificates {
            Objects.requireNonNull(cert, "cert");
            Objects.requireNonNull(key, "key");
            Objects.requireNonNull(ca, "ca");
        }
    }
}
