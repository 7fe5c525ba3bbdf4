package net.palisade.controlplane.ike.crypto;

import java.security.GeneralSecurityException;
import java.security.MessageDigest;
import java.util.Arrays;
import java.util.List;
import java.util.Objects;
import java.util.Optional;
import javax.crypto.AEADBadTagException;
import javax.crypto.Cipher;
import javax.crypto.Mac;
import javax.crypto.SecretKey;
import javax.crypto.spec.GCMParameterSpec;
import javax.crypto.spec.IvParameterSpec;
import javax.crypto.spec.SecretKeySpec;
import net.palisade.model.crypto.AuthAlgorithm;
import net.palisade.model.crypto.EncryptionAlgorithm;
import net.palisade.model.wire.ikev2.DecodeResult;
import net.palisade.model.wire.ikev2.EncryptedRegions;
import net.palisade.model.wire.ikev2.EncryptedTemplate;
import net.palisade.model.wire.ikev2.IkeHeader;
import net.palisade.model.wire.ikev2.Ikev2Codec;
import net.palisade.model.wire.ikev2.Payload;
import net.palisade.model.wire.ikev2.PayloadType;

/**
 * Protection of the SK payload (and of SKF fragments, RFC 7383) in one direction (RFC 7296 section 3.14): AES-GCM with a 16-octet ICV or ChaCha20-Poly1305 (RFC 5282, RFC 7634: the
 * key material is key then 4-octet salt, the nonce is salt | 8-octet IV, the associated data is everything before
 * the IV), or AES-CBC with an HMAC-SHA2 checksum truncated as RFC 4868 says, covering header through ciphertext.
 * Layout comes from {@link Ikev2Codec#encryptedTemplate} and {@link Ikev2Codec#encryptedRegions}.
 *
 * <p>Not thread-safe (the GCM IV counter, the kept {@code Cipher}): one instance belongs to one engine. The key
 * arrays given here are copied and never shown; {@link #wipe()} zeroes the copies when the IKE SA ends (with
 * {@link IkeSaKeys#wipe()}). One {@code Cipher} (and for CBC one {@code Mac}) is made at the first message and
 * initialized again for each (a new IV; the key schedule is kept while the key is the same): a
 * {@code Cipher.getInstance} per message was a provider service look-up and a reflective construction, 4-6 us of an
 * IKE setup's four protected messages (docs/benchmarks.md). JCE keeps expanded keys it cannot wipe; {@link #wipe()}
 * initializes the kept objects again with an all-zero key so that they no longer hold this SA's schedule, and the
 * JCE's earlier copies live until the garbage collector reuses their memory, as each message's did before.
 */
public final class SkCipher {
    private final EncryptionAlgorithm encryption;
    private final Optional<AuthAlgorithm> integrity;
    private final byte[] key;
    private final byte[] salt;
    private final byte[] integrityKey;
    private long ivCounter;
    private boolean wiped;
    /** The encryption key as JCE takes it: a view of {@link #key}, not a copy, so that {@link #wipe()} zeroes it. */
    private final SecretKey keySpec;
    /** Made at the first message, then initialized again for each; null until then. */
    private Cipher cipher;
    /** CBC's integrity check, keyed once at the first message; null until then, and always for AEAD. */
    private Mac mac;

    /**
     * @param encryption   the negotiated encryption algorithm
     * @param integrity    the integrity algorithm; empty for AEAD
     * @param encryptionKm SK_e of this direction: key, then salt for AEAD
     * @param integrityKey SK_a of this direction; empty for AEAD
     */
    public SkCipher(EncryptionAlgorithm encryption, Optional<AuthAlgorithm> integrity, byte[] encryptionKm,
            byte[] integrityKey) {
        this.encryption = Objects.requireNonNull(encryption, "encryption");
        this.integrity = Objects.requireNonNull(integrity, "integrity");
        if (encryption.aead() == integrity.isPresent()) {
            throw new IllegalArgumentException(encryption + (encryption.aead() ? " takes no integrity algorithm"
                    : " needs an integrity algorithm"));
        }
        if (encryptionKm.length != encryption.keyMaterialBytes()) {
            throw new IllegalArgumentException("SK_e of " + encryptionKm.length + " octets for " + encryption);
        }
        this.key = Arrays.copyOf(encryptionKm, encryption.keyBytes());
        this.salt = Arrays.copyOfRange(encryptionKm, encryption.keyBytes(), encryptionKm.length);
        this.integrityKey = integrityKey.clone();
        this.keySpec = new RawKey(key, encryption.jceKeyAlgorithm());
    }

    /** This direction's {@code Cipher}, made at first use; initialized by each caller. */
    private Cipher cipher() throws GeneralSecurityException {
        if (cipher == null) {
            cipher = Jca.cipher(encryption.jceTransformation());
        }
        return cipher;
    }

    /** This direction's keyed HMAC (CBC only), made at first use; {@code doFinal} leaves it ready for the next. */
    private Mac mac() {
        if (mac == null) {
            mac = Prf.mac(integrity.orElseThrow(), integrityKey);
        }
        return mac;
    }

    /**
     * The AEAD nonce, salt | IV: AES-GCM with a 16-octet tag (RFC 5282), ChaCha20-Poly1305 (RFC 7634, its tag
     * is always 16 octets).
     */
    private java.security.spec.AlgorithmParameterSpec aeadParameters(byte[] iv) {
        byte[] nonce = IkeKdf.concat(salt, iv);
        return encryption == EncryptionAlgorithm.CHACHA20_POLY1305 ? new IvParameterSpec(nonce)
                : new GCMParameterSpec(icvBytes() * 8, nonce);
    }

    /** IV octets in the SK payload. */
    public int ivBytes() {
        return encryption.aead() ? encryption.ivBytes() : encryption.blockBytes();
    }

    /** ICV octets at the end of the SK payload. */
    public int icvBytes() {
        return encryption.aead() ? encryption.icvBytes() : integrity.orElseThrow().icvBytes();
    }

    /** Block size the plaintext is padded to. */
    public int blockBytes() {
        return encryption.blockBytes();
    }

    /**
     * Continues with keys another process has sealed with before (a node resuming a journaled IKE SA): the AEAD IV
     * counter starts at a random point at or above 2^32 instead of 1. The counter that process reached is not
     * journaled, and the same salt | IV under the same key twice repeats a GCM (or ChaCha20-Poly1305) nonce: the
     * two plaintexts' XOR and the authentication key leak. A first life uses 1, 2, ...; each resumed one a random
     * run in [2^32, 2^62 + 2^32): two runs of a million messages overlap with a probability near 2^-41.
     *
     * @return this cipher
     */
    public SkCipher resumed(Randomness random) {
        ivCounter = (1L << 32) + (java.nio.ByteBuffer.wrap(random.bytes(8)).getLong() >>> 2);
        return this;
    }

    /**
     * A protected message: {@code header}, then an SK payload holding {@code inner}.
     *
     * @param random source of CBC IVs (GCM uses a counter, unique per key)
     */
    public byte[] seal(Ikev2Codec codec, IkeHeader header, List<Payload> inner, Randomness random) {
        PayloadType first = inner.isEmpty() ? PayloadType.Known.NO_NEXT_PAYLOAD : inner.getFirst().type();
        byte[] plain = codec.encodeInner(inner, blockBytes());
        return fill(codec.encryptedTemplate(header, first, ivBytes(), plain.length, icvBytes()), plain, random);
    }

    /**
     * One fragment of a protected message (RFC 7383 section 2.5): {@code header}, then an SKF payload numbered
     * {@code number} of {@code total} whose encrypted content is {@code chunk} (a piece of the unpadded inner
     * payload chain), padded to the block size. Each fragment has its own IV and integrity check.
     *
     * @param firstInner the first inner payload's type, written in fragment 1 only
     * @param random     source of CBC IVs
     */
    public byte[] sealFragment(Ikev2Codec codec, IkeHeader header, PayloadType firstInner, int number, int total,
            byte[] chunk, Randomness random) {
        int block = blockBytes();
        int pad = (block - (chunk.length + 1) % block) % block;
        byte[] plain = new byte[chunk.length + pad + 1];
        System.arraycopy(chunk, 0, plain, 0, chunk.length);
        plain[plain.length - 1] = (byte) pad;
        return fill(codec.fragmentTemplate(header, firstInner, number, total, ivBytes(), plain.length, icvBytes()),
                plain, random);
    }

    /** The largest chunk of inner chain one fragment of {@code datagramBytes} octets can carry (0 if none). */
    public int fragmentCapacity(int datagramBytes) {
        // IKE header 28, SKF header 8, IV, ICV; the ciphertext a multiple of the block, holding the pad length octet
        int room = datagramBytes - IkeHeader.LENGTH - 8 - ivBytes() - icvBytes();
        int ciphertext = room - room % blockBytes();
        return Math.max(0, ciphertext - 1);
    }

    private byte[] fill(EncryptedTemplate t, byte[] plain, Randomness random) {
        checkNotWiped();
        byte[] d = t.datagram();
        EncryptedRegions r = t.regions();
        byte[] iv;
        if (encryption.aead()) {
            iv = java.nio.ByteBuffer.allocate(8).putLong(++ivCounter).array();
        } else {
            iv = random.bytes(ivBytes());
        }
        System.arraycopy(iv, 0, d, r.ivOffset(), iv.length);
        try {
            Cipher c = cipher();
            if (encryption.aead()) {
                c.init(Cipher.ENCRYPT_MODE, keySpec, aeadParameters(iv));
                c.updateAAD(d, 0, r.aadLength());
                c.doFinal(plain, 0, plain.length, d, r.ciphertextOffset());
            } else {
                c.init(Cipher.ENCRYPT_MODE, keySpec, new IvParameterSpec(iv));
                c.doFinal(plain, 0, plain.length, d, r.ciphertextOffset());
                Mac m = mac();
                m.update(d, 0, r.integrityLength());
                System.arraycopy(m.doFinal(), 0, d, r.icvOffset(), icvBytes());
            }
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException("SK encryption failed", e);
        }
        return d;
    }

    /**
     * The decrypted SK content of {@code datagram} (inner payloads, padding, pad length), with the SK payload's
     * first inner type; empty if the layout does not fit this suite or the integrity check fails.
     */
    public Optional<Opened> open(Ikev2Codec codec, byte[] datagram) {
        if (wiped) {
            return Optional.empty();
        }
        DecodeResult<EncryptedRegions> regions = codec.encryptedRegions(datagram, ivBytes(), icvBytes());
        if (!(regions instanceof DecodeResult.Ok<EncryptedRegions> ok)) {
            return Optional.empty();
        }
        EncryptedRegions r = ok.value();
        try {
            byte[] plain;
            if (encryption.aead()) {
                Cipher c = cipher();
                c.init(Cipher.DECRYPT_MODE, keySpec, aeadParameters(r.iv(datagram)));
                c.updateAAD(datagram, 0, r.aadLength());
                plain = c.doFinal(datagram, r.ciphertextOffset(), r.ciphertextLength() + r.icvLength());
            } else {
                if (r.ciphertextLength() % blockBytes() != 0) {
                    return Optional.empty();
                }
                Mac m = mac();
                m.update(datagram, 0, r.integrityLength());
                byte[] expected = Arrays.copyOf(m.doFinal(), icvBytes());
                if (!MessageDigest.isEqual(expected, r.icv(datagram))) {
                    return Optional.empty();
                }
                Cipher c = cipher();
                c.init(Cipher.DECRYPT_MODE, keySpec, new IvParameterSpec(r.iv(datagram)));
                plain = c.doFinal(datagram, r.ciphertextOffset(), r.ciphertextLength());
            }
            return Optional.of(new Opened(r.firstInner(), plain));
        } catch (AEADBadTagException e) {
            return Optional.empty();
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException("SK decryption failed", e);
        }
    }

    /** Zeroes this cipher's copies of the keys; it protects and opens nothing afterwards. Idempotent. */
    public void wipe() {
        if (wiped) {
            return;
        }
        wiped = true;
        Arrays.fill(key, (byte) 0);
        Arrays.fill(salt, (byte) 0);
        Arrays.fill(integrityKey, (byte) 0);
        forgetSchedules();
    }

    /**
     * Initializes the kept {@code Cipher} and {@code Mac} again with an all-zero key (the arrays just zeroed), so
     * that they stop holding this SA's key schedule. Best effort: a provider that refuses leaves its object to the
     * garbage collector.
     */
    private void forgetSchedules() {
        try {
            if (cipher != null) {
                // keySpec shows the zeroed key now; decryption, since GCM and ChaCha20-Poly1305 refuse a key and
                // nonce used before for encryption
                cipher.init(Cipher.DECRYPT_MODE, keySpec, encryption.aead()
                        ? aeadParameters(new byte[encryption.ivBytes()]) : new IvParameterSpec(new byte[blockBytes()]));
            }
            if (mac != null) {
                mac.init(new SecretKeySpec(new byte[Math.max(1, integrityKey.length)], mac.getAlgorithm()));
            }
        } catch (GeneralSecurityException | RuntimeException e) {
            // the zeroed arrays are what matters; the JCE's copies go with the objects
        } finally {
            cipher = null;
            mac = null;
        }
    }

    private void checkNotWiped() {
        if (wiped) {
            // a zero key would still "work": refuse instead of protecting anything with it
            throw new IllegalStateException("SK cipher used after its IKE SA's keys were wiped");
        }
    }

    /** Algorithms only. */
    @Override
    public String toString() {
        return "SkCipher[" + encryption + integrity.map(a -> "/" + a).orElse("") + "]";
    }

    /**
     * Decrypted SK content.
     *
     * @param firstInner the SK payload's Next Payload
     * @param plaintext  inner payloads, padding and pad length
     */
    public record Opened(PayloadType firstInner, byte[] plaintext) {}
}
