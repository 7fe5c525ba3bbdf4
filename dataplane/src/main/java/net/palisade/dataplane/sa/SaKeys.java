package net.palisade.dataplane.sa;

import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.util.List;
import java.util.Objects;
import java.util.Optional;
import net.palisade.model.DirectionalKeys;
import net.palisade.model.crypto.AuthAlgorithm;
import net.palisade.model.crypto.EncryptionAlgorithm;

/**
 * One SA pair to install, however its keys were agreed: from a manual tunnel's configuration
 * ({@link ManualKeying#prepare(net.palisade.model.ManualTunnel, ManualKeying.Params)}) or by an IKE negotiation.
 * Algorithms are the shared model's ({@code model.crypto}), the one table the config language, IKE and the
 * dataplane's transforms ({@link net.palisade.dataplane.esp.EspTransforms}) use.
 *
 * @param label the tunnel
 * @param local our address
 * @param peer the peer's address; port 0 for plain ESP, else the ESP-in-UDP port
 * @param encryption the encryption algorithm
 * @param integrity the integrity algorithm; empty for AEAD
 * @param inboundSpi SPI of packets from the peer
 * @param outboundSpi SPI of packets to the peer
 * @param encKey encryption keys (with the AEAD salt appended)
 * @param authKey integrity keys; empty for AEAD
 * @param localPrefixes our side's networks
 * @param remotePrefixes the peer's side's networks
 * @param esn 64-bit extended sequence numbers (RFC 4303 section 2.2.1), as IKE negotiated them; manual pairs have
 *     32-bit ones
 * @param origin where the keys come from: where the outbound sequence counter starts ({@link KeyOrigin})
 * @param journaledUpTo for {@link KeyOrigin#RESUMED} keys, a reservation of their outbound sequence numbers that is
 *     durable already, journaled by this node before the install one block above the last number that may have been
 *     sent ({@link KeyOrigin#resumedWindow}): the numbers of that block are usable at once; 0 for none
 */
public record SaKeys(String label, InetAddress local, InetSocketAddress peer, EncryptionAlgorithm encryption,
        Optional<AuthAlgorithm> integrity, int inboundSpi, int outboundSpi, DirectionalKeys encKey,
        Optional<DirectionalKeys> authKey, List<Prefix> localPrefixes, List<Prefix> remotePrefixes, boolean esn,
        KeyOrigin origin, long journaledUpTo) {
    public SaKeys {
        Objects.requireNonNull(label, "label");
        Objects.requireNonNull(origin, "origin");
        Objects.requireNonNull(encryption, "encryption");
        Objects.requireNonNull(integrity, "integrity");
        localPrefixes = List.copyOf(localPrefixes);
        remotePrefixes = List.copyOf(remotePrefixes);
    }

    /** A pair with no reservation journaled ahead of its install. */
    public SaKeys(String label, InetAddress local, InetSocketAddress peer, EncryptionAlgorithm encryption,
            Optional<AuthAlgorithm> integrity, int inboundSpi, int outboundSpi, DirectionalKeys encKey,
            Optional<DirectionalKeys> authKey, List<Prefix> localPrefixes, List<Prefix> remotePrefixes, boolean esn,
            KeyOrigin origin) {
        this(label, local, peer, encryption, integrity, inboundSpi, outboundSpi, encKey, authKey, localPrefixes,
                remotePrefixes, esn, origin, 0);
    }

    /** A pair whose keys outlive processes ({@link KeyOrigin#CONFIGURED}: the safe default). */
    public SaKeys(String label, InetAddress local, InetSocketAddress peer, EncryptionAlgorithm encryption,
            Optional<AuthAlgorithm> integrity, int inboundSpi, int outboundSpi, DirectionalKeys encKey,
            Optional<DirectionalKeys> authKey, List<Prefix> localPrefixes, List<Prefix> remotePrefixes, boolean esn) {
        this(label, local, peer, encryption, integrity, inboundSpi, outboundSpi, encKey, authKey, localPrefixes,
                remotePrefixes, esn, KeyOrigin.CONFIGURED);
    }

    /** A pair with 32-bit sequence numbers. */
    public SaKeys(String label, InetAddress local, InetSocketAddress peer, EncryptionAlgorithm encryption,
            Optional<AuthAlgorithm> integrity, int inboundSpi, int outboundSpi, DirectionalKeys encKey,
            Optional<DirectionalKeys> authKey, List<Prefix> localPrefixes, List<Prefix> remotePrefixes) {
        this(label, local, peer, encryption, integrity, inboundSpi, outboundSpi, encKey, authKey, localPrefixes,
                remotePrefixes, false);
    }
}
