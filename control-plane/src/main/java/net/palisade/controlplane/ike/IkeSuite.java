package net.palisade.controlplane.ike;

import java.util.Optional;
import net.palisade.model.crypto.AuthAlgorithm;
import net.palisade.model.crypto.DhGroup;
import net.palisade.model.crypto.EncryptionAlgorithm;

/**
 * The negotiated IKE SA algorithms.
 *
 * @param encryption encryption
 * @param integrity  integrity; empty for AEAD
 * @param prf        pseudo-random function
 * @param group      key exchange group
 */
public record IkeSuite(EncryptionAlgorithm encryption, Optional<AuthAlgorithm> integrity, AuthAlgorithm prf,
        DhGroup group) {}
