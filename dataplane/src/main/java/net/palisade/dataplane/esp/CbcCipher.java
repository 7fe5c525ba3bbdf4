package net.palisade.dataplane.esp;

import java.security.GeneralSecurityException;
import javax.crypto.Cipher;
import javax.crypto.spec.IvParameterSpec;
import javax.crypto.spec.SecretKeySpec;

/**
 * CBC encryption and decryption with a per-packet IV, but without a per-packet {@code Cipher.init}.
 *
 * <p>Both JCE ciphers are initialised once with an all-zero IV; {@code doFinal} returns them to that state.
 * Since the first CBC block is {@code C1 = E(P1 xor IV)}, XOR-ing the packet's IV into the first plaintext block
 * before encrypting under the zero IV gives the same ciphertext; on decryption, XOR-ing the IV into the first
 * output block after decrypting under the zero IV gives {@code P1 = D(C1) xor IV}. Later blocks chain on the
 * ciphertext as usual. So no IV object and no re-keying per packet.
 */
final class CbcCipher {

    private final Cipher encryptor;
    private final Cipher decryptor;
    private final int blockSize;
    /** Ciphertext staging for {@link #encryptInPlace}; grows to the largest packet seen (rarely past 2 KB). */
    private byte[] scratch = new byte[2048];

    /**
     * @param jceAlgorithm {@code AES} or {@code DESede}
     */
    CbcCipher(String jceAlgorithm, byte[] key, int keyOffset, int keyLength) {
        try {
            SecretKeySpec spec = new SecretKeySpec(key, keyOffset, keyLength, jceAlgorithm);
            this.encryptor = Cipher.getInstance(jceAlgorithm + "/CBC/NoPadding");
            this.blockSize = encryptor.getBlockSize();
            IvParameterSpec zero = new IvParameterSpec(new byte[blockSize]);
            encryptor.init(Cipher.ENCRYPT_MODE, spec, zero);
            this.decryptor = Cipher.getInstance(jceAlgorithm + "/CBC/NoPadding");
            decryptor.init(Cipher.DECRYPT_MODE, spec, zero);
        } catch (GeneralSecurityException e) {
            throw new IllegalArgumentException("cannot set up " + jceAlgorithm + "-CBC: " + e.getMessage(), e);
        }
    }

    int blockSize() {
        return blockSize;
    }

    /**
     * Encrypts {@code length} octets (a multiple of the block size) in place.
     *
     * <p>SunJCE copies its input into a fresh array whenever input and output overlap, so the ciphertext goes to
     * a scratch array first and is copied back: one memory copy instead of one allocation per packet.
     */
    void encryptInPlace(byte[] iv, int ivOffset, byte[] buffer, int offset, int length) {
        for (int i = 0; i < blockSize; i++) {
            buffer[offset + i] ^= iv[ivOffset + i];
        }
        if (scratch.length < length) {
            scratch = new byte[Math.max(length, scratch.length * 2)];
        }
        try {
            encryptor.doFinal(buffer, offset, length, scratch, 0);
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException("CBC encryption failed", e);
        }
        System.arraycopy(scratch, 0, buffer, offset, length);
    }

    /**
     * Decrypts {@code length} octets (a multiple of the block size) into {@code out}, which must not overlap the
     * input.
     */
    void decrypt(byte[] iv, int ivOffset, byte[] in, int inOffset, int length, byte[] out, int outOffset) {
        try {
            decryptor.doFinal(in, inOffset, length, out, outOffset);
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException("CBC decryption failed", e);
        }
        for (int i = 0; i < blockSize; i++) {
            out[outOffset + i] ^= iv[ivOffset + i];
        }
    }
}
