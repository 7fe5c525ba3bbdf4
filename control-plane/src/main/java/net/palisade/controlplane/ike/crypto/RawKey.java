package net.palisade.controlplane.ike.crypto;

import javax.crypto.SecretKey;

/**
 * A raw JCA key that shows the octets of the array it was given, not a copy of them as {@code SecretKeySpec} keeps:
 * zeroing that array leaves no copy here ({@link SkCipher}). It also takes an empty array, which
 * {@code SecretKeySpec} refuses and HMAC defines ({@link Prf}). JCE providers read {@link #getEncoded()}, a copy made
 * per call.
 *
 * @param octets    the key, shared with the caller
 * @param algorithm the JCA algorithm name
 */
record RawKey(byte[] octets, String algorithm) implements SecretKey {
    @Override
    public String getAlgorithm() {
        return algorithm;
    }

    @Override
    public String getFormat() {
        return "RAW";
    }

    @Override
    public byte[] getEncoded() {
        return octets.clone();
    }

    /** No key octets. */
    @Override
    public String toString() {
        return "RawKey[" + algorithm + ", " + octets.length + " octets]";
    }
}
