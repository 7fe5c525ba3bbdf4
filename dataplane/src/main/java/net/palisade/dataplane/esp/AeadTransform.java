package net.palisade.dataplane.esp;

import static net.palisade.dataplane.esp.EspConstants.AEAD_EXPLICIT_IV_LENGTH;
import static net.palisade.dataplane.esp.EspConstants.AEAD_ICV_LENGTH;
import static net.palisade.dataplane.esp.EspConstants.AEAD_SALT_LENGTH;
import static net.palisade.dataplane.esp.EspConstants.HEADER_LENGTH;

import java.security.GeneralSecurityException;
import java.security.spec.AlgorithmParameterSpec;
import java.util.Optional;
import javax.crypto.AEADBadTagException;
import javax.crypto.Cipher;
import javax.crypto.spec.GCMParameterSpec;
import javax.crypto.spec.IvParameterSpec;
import javax.crypto.spec.SecretKeySpec;
import net.palisade.model.crypto.EncryptionAlgorithm;

/**
 * AES-GCM with a 16-octet ICV (RFC 4106) and ChaCha20-Poly1305 (RFC 7634), both through the JCE provider.
 *
 * <ul>
 *   <li>nonce = salt (last 4 octets of the key material) || 8-octet explicit IV;
 *   <li>AAD = SPI || sequence number, or SPI || ESN high 32 bits || ESN low 32 bits (RFC 4106 Section 5,
 *       RFC 7634 Section 2.1);
 *   <li>explicit IV = the 64-bit sequence number, unique per key since the sender never wraps (RFC 4106
 *       Section 3.1 allows a counter).
 * </ul>
 *
 * <p>One {@link Cipher} and one {@link SecretKeySpec} for the SA's life; {@code init} per packet, as JCE
 * requires a new nonce for every AEAD encryption.
 */
final class AeadTransform extends AbstractEspTransform {

    private final boolean gcm;
    private final Cipher cipher;
    private final SecretKeySpec key;
    private final byte[] nonce = new byte[AEAD_SALT_LENGTH + AEAD_EXPLICIT_IV_LENGTH];
    private final byte[] aad = new byte[12];

    AeadTransform(EncryptionAlgorithm algorithm, byte[] keyMaterial, int offset, boolean esn) {
        super(algorithm, Optional.empty(), esn, algorithm.ivBytes(), algorithm.icvBytes(),
                EspConstants.MIN_ALIGNMENT);
        requireAead(algorithm);
        this.gcm = algorithm != EncryptionAlgorithm.CHACHA20_POLY1305;
        try {
            this.cipher = Cipher.getInstance(algorithm.jceTransformation());
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException("JCE lacks " + algorithm, e);
        }
        this.key = new SecretKeySpec(keyMaterial, offset, algorithm.keyBytes(), algorithm.jceKeyAlgorithm());
        System.arraycopy(keyMaterial, offset + algorithm.keyBytes(), nonce, 0, AEAD_SALT_LENGTH);
    }

    @Override
    void nextIv(long sequenceNumber, byte[] dst, int dstOffset) {
        for (int i = 7; i >= 0; i--) {
            dst[dstOffset + i] = (byte) sequenceNumber;
            sequenceNumber >>>= 8;
        }
    }

    @Override
    void encryptAndAuthenticate(byte[] packet, int offset, int ciphertextLength, long sequenceNumber) {
        System.arraycopy(packet, offset + HEADER_LENGTH, nonce, AEAD_SALT_LENGTH, AEAD_EXPLICIT_IV_LENGTH);
        int aadLength = aeadAad(packet, offset, sequenceNumber, aad);
        int plaintextOffset = offset + HEADER_LENGTH + AEAD_EXPLICIT_IV_LENGTH;
        try {
            cipher.init(Cipher.ENCRYPT_MODE, key, parameters());
            cipher.updateAAD(aad, 0, aadLength);
            // Same array, same offset: SunJCE encrypts in place without a temporary copy.
            cipher.doFinal(packet, plaintextOffset, ciphertextLength, packet, plaintextOffset);
        } catch (GeneralSecurityException e) {
            // Includes SunJCE's refusal to reuse a nonce under one key: a caller bug, never a packet's fault.
            throw new IllegalStateException(name() + " seal failed", e);
        }
    }

    @Override
    EspOutcome verifyAndDecrypt(byte[] packet, int offset, int ciphertextLength, long sequenceNumber, byte[] out,
            int outOffset) {
        System.arraycopy(packet, offset + HEADER_LENGTH, nonce, AEAD_SALT_LENGTH, AEAD_EXPLICIT_IV_LENGTH);
        int aadLength = aeadAad(packet, offset, sequenceNumber, aad);
        try {
            cipher.init(Cipher.DECRYPT_MODE, key, parameters());
            cipher.updateAAD(aad, 0, aadLength);
            // One doFinal over ciphertext and tag: the provider checks the tag before releasing plaintext.
            cipher.doFinal(packet, offset + HEADER_LENGTH + AEAD_EXPLICIT_IV_LENGTH,
                    ciphertextLength + AEAD_ICV_LENGTH, out, outOffset);
            return EspOutcome.OK;
        } catch (AEADBadTagException e) {
            return EspOutcome.ICV_FAILED;
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException(name() + " open failed", e);
        }
    }

    private AlgorithmParameterSpec parameters() {
        // Both specs copy the nonce: the only per-packet allocation in this class.
        return gcm ? new GCMParameterSpec(AEAD_ICV_LENGTH * 8, nonce) : new IvParameterSpec(nonce);
    }

    @Override
    public String toString() {
        return "AeadTransform[" + name() + (extendedSequenceNumbers() ? ", esn" : "") + "]";
    }
}
