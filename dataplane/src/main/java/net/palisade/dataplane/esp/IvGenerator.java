package net.palisade.dataplane.esp;

import java.security.GeneralSecurityException;
import java.security.SecureRandom;
import java.util.Arrays;
import javax.crypto.Cipher;
import javax.crypto.spec.SecretKeySpec;

/**
 * Unpredictable CBC IVs (RFC 3602 Section 2.3) at the price of one AES block per packet: AES-128 under a random
 * per-SA key, applied to a random 64-bit prefix and a 64-bit counter. AES being a pseudo-random permutation, the
 * outputs cannot be predicted without the key, and they never repeat within an SA. {@link SecureRandom} is used
 * once, when the SA is built.
 */
final class IvGenerator {

    private final Cipher ecb;
    private final byte[] counterBlock = new byte[16];
    private final byte[] output = new byte[16];
    private long counter;

    IvGenerator(SecureRandom random) {
        byte[] key = new byte[16];
        random.nextBytes(key);
        random.nextBytes(counterBlock);
        try {
            this.ecb = Cipher.getInstance("AES/ECB/NoPadding");
            ecb.init(Cipher.ENCRYPT_MODE, new SecretKeySpec(key, "AES"));
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException("JCE lacks AES/ECB", e);
        } finally {
            Arrays.fill(key, (byte) 0);
        }
    }

    /** Writes the next IV, {@code length} octets (at most 16). */
    void next(byte[] dst, int offset, int length) {
        long c = ++counter;
        for (int i = 15; i >= 8; i--) {
            counterBlock[i] = (byte) c;
            c >>>= 8;
        }
        try {
            ecb.doFinal(counterBlock, 0, 16, output, 0);
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException("IV generation failed", e);
        }
        System.arraycopy(output, 0, dst, offset, length);
    }
}
