package net.palisade.dataplane.esp;

import java.security.GeneralSecurityException;
import java.security.MessageDigest;
import java.util.Arrays;

/**
 * HMAC (RFC 2104) over a JCA {@link MessageDigest}, written out so that computing an ICV allocates nothing:
 * {@code javax.crypto.Mac.doFinal(byte[], int)} returns a fresh array inside the provider on every call.
 *
 * <p>Not thread-safe. The padded key blocks stay in this object for the SA's life.
 */
final class Hmac {

    private final MessageDigest inner;
    private final MessageDigest outer;
    private final byte[] innerPad;
    private final byte[] outerPad;
    private final byte[] innerHash;
    private final int macLength;

    Hmac(String digestName, int blockLength, byte[] key, int keyOffset, int keyLength) {
        try {
            this.inner = MessageDigest.getInstance(digestName);
            this.outer = MessageDigest.getInstance(digestName);
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException("JCA lacks " + digestName, e);
        }
        this.macLength = inner.getDigestLength();
        byte[] k = new byte[blockLength];
        if (keyLength > blockLength) {
            inner.update(key, keyOffset, keyLength);
            byte[] hashed = inner.digest();
            System.arraycopy(hashed, 0, k, 0, hashed.length);
            Arrays.fill(hashed, (byte) 0);
        } else {
            System.arraycopy(key, keyOffset, k, 0, keyLength);
        }
        this.innerPad = new byte[blockLength];
        this.outerPad = new byte[blockLength];
        for (int i = 0; i < blockLength; i++) {
            innerPad[i] = (byte) (k[i] ^ 0x36);
            outerPad[i] = (byte) (k[i] ^ 0x5c);
        }
        Arrays.fill(k, (byte) 0);
        this.innerHash = new byte[macLength];
        start();
    }

    /** Full (untruncated) output length. */
    int macLength() {
        return macLength;
    }

    /** Starts a new MAC, discarding anything fed since the last {@link #finish}. */
    void start() {
        inner.reset();
        inner.update(innerPad);
    }

    void update(byte[] data, int offset, int length) {
        inner.update(data, offset, length);
    }

    /** Writes the full MAC ({@link #macLength()} octets) and starts the next one. */
    void finish(byte[] out, int outOffset) {
        try {
            inner.digest(innerHash, 0, macLength);
            outer.reset();
            outer.update(outerPad);
            outer.update(innerHash, 0, macLength);
            outer.digest(out, outOffset, macLength);
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException("digest output buffer too small", e);
        }
        start();
    }
}
