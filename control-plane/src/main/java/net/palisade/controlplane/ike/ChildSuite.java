package net.palisade.controlplane.ike;

import java.util.Optional;
import net.palisade.model.crypto.AuthAlgorithm;
import net.palisade.model.crypto.EncryptionAlgorithm;

/**
 * The negotiated ESP algorithms.
 *
 * @param encryption encryption
 * @param integrity  integrity; empty for AEAD
 * @param esn        64-bit extended sequence numbers (RFC 4303 section 2.2.1): the ESN transform with ID 1 was chosen
 */
public record ChildSuite(EncryptionAlgorithm encryption, Optional<AuthAlgorithm> integrity, boolean esn) {

    /** A suite with 32-bit sequence numbers. */
    public ChildSuite(EncryptionAlgorithm encryption, Optional<AuthAlgorithm> integrity) {
        this(encryption, integrity, false);
    }
}
