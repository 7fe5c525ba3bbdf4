package net.palisade.controlplane.ike;

import java.time.InstantSource;
import java.util.Objects;
import net.palisade.controlplane.ike.crypto.KeyExchange;
import net.palisade.controlplane.ike.crypto.KeyExchanges;
import net.palisade.controlplane.ike.crypto.Randomness;
import net.palisade.model.wire.ikev2.Ikev2Codec;

/**
 * What an {@link IkeSession} gets from outside: the clock, randomness, key exchange and codec.
 *
 * @param clock       read on every input (retransmission deadlines)
 * @param random      nonces, SPIs, IVs, private values
 * @param keyExchange makes Diffie-Hellman/ECDH key pairs
 * @param codec       the IKEv2 codec
 */
public record IkeEnvironment(InstantSource clock, Randomness random, KeyExchange.Factory keyExchange,
        Ikev2Codec codec) {

    /** Checks the parts are present. */
    public IkeEnvironment {
        Objects.requireNonNull(clock, "clock");
        Objects.requireNonNull(random, "random");
        Objects.requireNonNull(keyExchange, "keyExchange");
        Objects.requireNonNull(codec, "codec");
    }

    /** The system clock, a secure random source, Bouncy Castle key exchange and the standard codec. */
    public static IkeEnvironment standard(InstantSource clock) {
        return new IkeEnvironment(clock, Randomness.secure(), KeyExchanges.standard(), Ikev2Codec.standard());
    }
}
