package net.palisade.controlplane.ike;

import java.util.Optional;
import net.palisade.model.crypto.AuthAlgorithm;
import net.palisade.model.crypto.EncryptionAlgorithm;

/**
 * The negotiated ESP algorithms.
 *
 * @param encryption encryption
 * @param integrity  integrity; empty for AEAD
 */
public record ChildSuite(EncryptionAlgorithm encryption, Optional<AuthAlgorithm> integrity) {}
