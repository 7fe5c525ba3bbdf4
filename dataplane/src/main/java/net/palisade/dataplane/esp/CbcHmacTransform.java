package net.palisade.dataplane.esp;

import static net.palisade.dataplane.esp.EspConstants.HEADER_LENGTH;

import java.security.MessageDigest;
import java.util.Optional;
import net.palisade.model.crypto.AuthAlgorithm;
import net.palisade.model.crypto.EncryptionAlgorithm;

/**
 * AES-CBC (RFC 3602) or 3DES-CBC (RFC 2451) with HMAC-SHA1-96 (RFC 2404) or HMAC-SHA2 (RFC 4868).
 *
 * <p>ICV = first {@code icvLength} octets of HMAC(SPI | seq low | IV | ciphertext [| seq high if ESN]): with ESN
 * the high 32 bits enter the ICV computation after the packet but are not sent (RFC 4303 Sections 2.2.1 and
 * 3.3.2.1). On input the ICV is checked (constant time) before anything is decrypted.
 */
final class CbcHmacTransform extends AbstractEspTransform {

    private final CbcCipher cbc;
    private final Hmac hmac;
    private final IvGenerator ivGenerator;
    private final byte[] macScratch;
    private final byte[] computedIcv;
    private final byte[] receivedIcv;
    private final byte[] seqHigh = new byte[4];

    /**
     * @param integrity empty only for RFC 3602's encryption-only test packets (then {@code hmacKey} is ignored):
     *     {@link EspTransforms} refuses CBC without integrity
     */
    CbcHmacTransform(EncryptionAlgorithm encryption, byte[] encryptionKey, int encryptionKeyOffset,
            Optional<AuthAlgorithm> integrity, byte[] hmacKey, int hmacKeyOffset, boolean esn,
            IvGenerator ivGenerator) {
        super(encryption, integrity, esn, encryption.ivBytes(), integrity.map(AuthAlgorithm::icvBytes).orElse(0),
                encryption.blockBytes());
        if (encryption.aead()) {
            throw new IllegalArgumentException(encryption + " is an AEAD algorithm");
        }
        this.cbc = new CbcCipher(encryption.jceKeyAlgorithm(), encryptionKey, encryptionKeyOffset,
                encryption.keyBytes());
        if (integrity.isEmpty()) {
            this.hmac = null;
            this.macScratch = new byte[0];
        } else {
            AuthAlgorithm auth = integrity.get();
            this.hmac = new Hmac(auth.digestName(), auth.hashBlockBytes(), hmacKey, hmacKeyOffset, auth.keyBytes());
            this.macScratch = new byte[hmac.macLength()];
        }
        this.computedIcv = new byte[icvLength()];
        this.receivedIcv = new byte[icvLength()];
        this.ivGenerator = ivGenerator;
    }

    @Override
    void nextIv(long sequenceNumber, byte[] dst, int dstOffset) {
        ivGenerator.next(dst, dstOffset, ivLength());
    }

    @Override
    void encryptAndAuthenticate(byte[] packet, int offset, int ciphertextLength, long sequenceNumber) {
        int ivOffset = offset + HEADER_LENGTH;
        int plaintextOffset = ivOffset + ivLength();
        cbc.encryptInPlace(packet, ivOffset, packet, plaintextOffset, ciphertextLength);
        if (hmac != null) {
            int authenticated = HEADER_LENGTH + ivLength() + ciphertextLength;
            computeIcv(packet, offset, authenticated, sequenceNumber);
            System.arraycopy(macScratch, 0, packet, offset + authenticated, icvLength());
        }
    }

    @Override
    EspOutcome verifyAndDecrypt(byte[] packet, int offset, int ciphertextLength, long sequenceNumber, byte[] out,
            int outOffset) {
        int ivOffset = offset + HEADER_LENGTH;
        if (hmac != null) {
            int authenticated = HEADER_LENGTH + ivLength() + ciphertextLength;
            computeIcv(packet, offset, authenticated, sequenceNumber);
            System.arraycopy(macScratch, 0, computedIcv, 0, icvLength());
            System.arraycopy(packet, offset + authenticated, receivedIcv, 0, icvLength());
            if (!MessageDigest.isEqual(computedIcv, receivedIcv)) {
                return EspOutcome.ICV_FAILED;
            }
        }
        cbc.decrypt(packet, ivOffset, packet, ivOffset + ivLength(), ciphertextLength, out, outOffset);
        return EspOutcome.OK;
    }

    private void computeIcv(byte[] packet, int offset, int length, long sequenceNumber) {
        hmac.start();
        hmac.update(packet, offset, length);
        if (extendedSequenceNumbers()) {
            writeInt(seqHigh, 0, (int) (sequenceNumber >>> 32));
            hmac.update(seqHigh, 0, 4);
        }
        hmac.finish(macScratch, 0);
    }

    @Override
    public String toString() {
        return "CbcHmacTransform[" + name() + (extendedSequenceNumbers() ? ", esn" : "") + "]";
    }
}
