package net.palisade.controlplane.ike;

import java.time.InstantSource;
import java.util.Objects;
import java.util.function.LongPredicate;
import net.palisade.controlplane.ike.auth.CredentialException;
import net.palisade.controlplane.ike.auth.Credentials;
import net.palisade.controlplane.ike.crypto.KeyExchange;
import net.palisade.controlplane.ike.crypto.KeyExchanges;
import net.palisade.controlplane.ike.crypto.Randomness;
import net.palisade.model.IkeAuth;
import net.palisade.model.wire.ikev2.Ikev2Codec;

/**
 * What an {@link IkeSession} gets from outside: the clock, randomness, key exchange, codec and our certificate
 * credentials. The engine reads no file itself: a tunnel's {@code cert ... key ... ca ...} are resolved by
 * {@code credentials} when the session is created.
 *
 * @param clock       read on every input (retransmission deadlines)
 * @param random      nonces, SPIs, IVs, private values
 * @param keyExchange makes Diffie-Hellman/ECDH key pairs
 * @param codec       the IKEv2 codec
 * @param credentials our certificate, key and trust anchors for a tunnel's certificate configuration
 * @param inboundSpiInUse whether an installed SA already receives on an SPI (the node's dataplane): our inbound Child
 *     SA SPIs are drawn around those
 */
public record IkeEnvironment(InstantSource clock, Randomness random, KeyExchange.Factory keyExchange,
        Ikev2Codec codec, CredentialSource credentials, LongPredicate inboundSpiInUse) {
    /** No SPI is in use (an engine without a dataplane, tests). */
    public static final LongPredicate NO_SPIS_IN_USE = spi -> false;
    /** Draws of an SPI in use before {@link #childSpi} takes the next draw regardless (never, but bounded). */
    private static final int SPI_DRAWS = 64;

    /** Checks the parts are present. */
    public IkeEnvironment {
        Objects.requireNonNull(clock, "clock");
        Objects.requireNonNull(random, "random");
        Objects.requireNonNull(keyExchange, "keyExchange");
        Objects.requireNonNull(codec, "codec");
        Objects.requireNonNull(credentials, "credentials");
        Objects.requireNonNull(inboundSpiInUse, "inboundSpiInUse");
    }

    /** An environment whose credentials come from the configured files ({@link CredentialSource#FILES}). */
    public IkeEnvironment(InstantSource clock, Randomness random, KeyExchange.Factory keyExchange, Ikev2Codec codec) {
        this(clock, random, keyExchange, codec, CredentialSource.FILES);
    }

    /** An environment that knows of no SPI in use. */
    public IkeEnvironment(InstantSource clock, Randomness random, KeyExchange.Factory keyExchange, Ikev2Codec codec,
            CredentialSource credentials) {
        this(clock, random, keyExchange, codec, credentials, NO_SPIS_IN_USE);
    }

    /** The system clock, a secure random source, Bouncy Castle key exchange, the standard codec, credential files. */
    public static IkeEnvironment standard(InstantSource clock) {
        return standard(clock, NO_SPIS_IN_USE);
    }

    /** {@link #standard(InstantSource)}, drawing inbound Child SA SPIs around those {@code inboundSpiInUse} names. */
    public static IkeEnvironment standard(InstantSource clock, LongPredicate inboundSpiInUse) {
        return new IkeEnvironment(clock, Randomness.secure(), KeyExchanges.standard(), Ikev2Codec.standard(),
                CredentialSource.FILES, inboundSpiInUse);
    }

    /** This environment with {@code source} for credentials. */
    public IkeEnvironment withCredentials(CredentialSource source) {
        return new IkeEnvironment(clock, random, keyExchange, codec, source, inboundSpiInUse);
    }

    /**
     * A new inbound Child SA SPI (IKEv2 and IKEv1 alike): 32 random bits, not 0-255 (reserved), and not one an
     * installed SA of this node receives on, whose install would be refused while the peer counts the SA up.
     */
    public long childSpi() {
        long spi;
        int draws = 0;
        do {
            spi = random.nextLong() & 0xffff_ffffL;
        } while (spi < 256 || inboundSpiInUse.test(spi) && ++draws < SPI_DRAWS);
        return spi;
    }

    /** Supplies loaded credentials for a tunnel's certificate configuration. */
    @FunctionalInterface
    public interface CredentialSource {
        /**
         * The three files, loaded once and cached while they keep their size and modification time
         * ({@link Credentials#cached}): a renewed certificate is picked up by the next IKE SA.
         */
        CredentialSource FILES = Credentials::cached;

        /**
         * The credentials {@code files} name.
         *
         * @throws CredentialException naming the file and the problem, if they cannot be used
         */
        Credentials load(IkeAuth.Certificates files) throws CredentialException;
    }
}
