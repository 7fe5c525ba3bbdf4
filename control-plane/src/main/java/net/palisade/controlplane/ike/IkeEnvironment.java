package net.palisade.controlplane.ike;

import java.time.InstantSource;
import java.util.Objects;
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
 */
public record IkeEnvironment(InstantSource clock, Randomness random, KeyExchange.Factory keyExchange,
        Ikev2Codec codec, CredentialSource credentials) {

    /** Checks the parts are present. */
    public IkeEnvironment {
        Objects.requireNonNull(clock, "clock");
        Objects.requireNonNull(random, "random");
        Objects.requireNonNull(keyExchange, "keyExchange");
        Objects.requireNonNull(codec, "codec");
        Objects.requireNonNull(credentials, "credentials");
    }

    /** An environment whose credentials come from the configured files ({@link CredentialSource#FILES}). */
    public IkeEnvironment(InstantSource clock, Randomness random, KeyExchange.Factory keyExchange, Ikev2Codec codec) {
        this(clock, random, keyExchange, codec, CredentialSource.FILES);
    }

    /** The system clock, a secure random source, Bouncy Castle key exchange, the standard codec, credential files. */
    public static IkeEnvironment standard(InstantSource clock) {
        return new IkeEnvironment(clock, Randomness.secure(), KeyExchanges.standard(), Ikev2Codec.standard(),
                CredentialSource.FILES);
    }

    /** This environment with {@code source} for credentials. */
    public IkeEnvironment withCredentials(CredentialSource source) {
        return new IkeEnvironment(clock, random, keyExchange, codec, source);
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
