package net.palisade.controlplane.ike.auth;

import java.io.IOException;
import java.io.Reader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;
import java.security.GeneralSecurityException;
import java.security.PrivateKey;
import java.security.PublicKey;
import java.security.SecureRandom;
import java.security.Signature;
import java.security.cert.CertificateException;
import java.security.cert.X509Certificate;
import java.security.interfaces.ECKey;
import java.security.interfaces.RSAKey;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.concurrent.ConcurrentHashMap;
import javax.security.auth.x500.X500Principal;
import net.palisade.model.IkeAuth;
import org.bouncycastle.asn1.ASN1ObjectIdentifier;
import org.bouncycastle.asn1.pkcs.PrivateKeyInfo;
import org.bouncycastle.cert.X509CertificateHolder;
import org.bouncycastle.cert.jcajce.JcaX509CertificateConverter;
import org.bouncycastle.openssl.PEMEncryptedKeyPair;
import org.bouncycastle.openssl.PEMKeyPair;
import org.bouncycastle.openssl.PEMParser;
import org.bouncycastle.openssl.jcajce.JcaPEMKeyConverter;
import org.bouncycastle.pkcs.PKCS8EncryptedPrivateKeyInfo;

/**
 * Our side of certificate authentication: our certificate chain (end entity first, then intermediates), the private
 * key of the end entity, and the trust anchors that must have issued the peer's certificate.
 *
 * <p>Files are PEM: the certificate file holds one or more {@code CERTIFICATE} blocks; the key file one unencrypted
 * {@code PRIVATE KEY} (PKCS#8), {@code RSA PRIVATE KEY} or {@code EC PRIVATE KEY} block (an {@code EC PARAMETERS}
 * block before it is skipped); the CA file one or more {@code CERTIFICATE} blocks, each a trust anchor. RSA and
 * ECDSA (P-256, P-384, P-521) keys are supported. Loading checks that the key belongs to the certificate.
 *
 * <p>The private key never leaves this object: {@link #toString()} shows the subject, not the key, and signing goes
 * through {@link #sign}. Java cannot wipe the key's copy inside the JCA key object.
 */
public final class Credentials {
    private static final Map<CacheKey, Credentials> CACHE = new ConcurrentHashMap<>();

    private final List<X509Certificate> chain;
    private final PrivateKey key;
    private final List<X509Certificate> anchors;

    private Credentials(List<X509Certificate> chain, PrivateKey key, List<X509Certificate> anchors) {
        this.chain = List.copyOf(chain);
        this.key = key;
        this.anchors = List.copyOf(anchors);
    }

    /**
     * Reads and checks the three files.
     *
     * @throws CredentialException naming the file and the problem
     */
    public static Credentials load(Path certFile, Path keyFile, Path caFile) throws CredentialException {
        List<X509Certificate> chain = certificates(certFile);
        PrivateKey key = privateKey(keyFile);
        List<X509Certificate> anchors = certificates(caFile);
        return of(chain, key, anchors, keyFile + ": key does not match certificate " + certFile);
    }

    /**
     * The credentials of a tunnel's {@code cert FILE key FILE ca FILE}, loaded once and cached for as long as the
     * three files keep their size and modification time (a renewed certificate is picked up by the next IKE SA).
     *
     * @throws CredentialException naming the file and the problem
     */
    public static Credentials cached(IkeAuth.Certificates files) throws CredentialException {
        CacheKey k = new CacheKey(stamp(Path.of(files.cert())), stamp(Path.of(files.key())),
                stamp(Path.of(files.ca())));
        Credentials c = CACHE.get(k);
        if (c == null) {
            c = load(Path.of(files.cert()), Path.of(files.key()), Path.of(files.ca()));
            CACHE.keySet().removeIf(old -> old.cert().path().equals(k.cert().path())
                    && old.key().path().equals(k.key().path()) && old.ca().path().equals(k.ca().path()));
            CACHE.put(k, c);
        }
        return c;
    }

    /**
     * Credentials from objects already in memory (tests, or keys from elsewhere).
     *
     * @throws CredentialException if the chain or anchors are empty, or the key does not match the certificate
     */
    public static Credentials of(List<X509Certificate> chain, PrivateKey key, List<X509Certificate> anchors)
            throws CredentialException {
        return of(chain, key, anchors, "key does not match certificate");
    }

    private static Credentials of(List<X509Certificate> chain, PrivateKey key, List<X509Certificate> anchors,
            String mismatch) throws CredentialException {
        Objects.requireNonNull(key, "key");
        if (chain.isEmpty() || anchors.isEmpty()) {
            throw new CredentialException("a certificate and at least one CA certificate are needed");
        }
        X509Certificate ee = chain.getFirst();
        KeyType type = KeyType.of(key).orElseThrow(() -> new CredentialException(
                "unsupported key type " + key.getAlgorithm() + " (RSA and ECDSA are supported)"));
        if (KeyType.of(ee.getPublicKey()).orElse(null) != type || !matches(key, ee.getPublicKey(), type)) {
            throw new CredentialException(mismatch + " (" + ee.getSubjectX500Principal() + ")");
        }
        if (type == KeyType.EC && SignatureAlgorithm.curveBits(ee.getPublicKey()).isEmpty()) {
            throw new CredentialException("unsupported elliptic curve in certificate " + ee.getSubjectX500Principal()
                    + " (P-256, P-384 and P-521 are supported)");
        }
        return new Credentials(chain, key, anchors);
    }

    /** Signs a random challenge with {@code key} and verifies it with {@code pub}. */
    private static boolean matches(PrivateKey key, PublicKey pub, KeyType type) {
        try {
            byte[] challenge = new byte[32];
            new SecureRandom().nextBytes(challenge);
            String alg = type == KeyType.RSA ? "SHA256withRSA" : "SHA256withECDSA";
            Signature s = Signature.getInstance(alg);
            s.initSign(key);
            s.update(challenge);
            byte[] sig = s.sign();
            Signature v = Signature.getInstance(alg);
            v.initVerify(pub);
            v.update(challenge);
            return v.verify(sig);
        } catch (GeneralSecurityException e) {
            return false;
        }
    }

    /** Our end-entity certificate. */
    public X509Certificate certificate() {
        return chain.getFirst();
    }

    /** Our end-entity certificate, then the intermediates, as sent in CERT payloads. */
    public List<X509Certificate> chain() {
        return chain;
    }

    /** The trust anchors for the peer's certificate. */
    public List<X509Certificate> trustAnchors() {
        return anchors;
    }

    /** Our certificate's subject: our identity when {@code srcid} is not configured. */
    public X500Principal subject() {
        return certificate().getSubjectX500Principal();
    }

    /** RSA or EC. */
    KeyType keyType() {
        return KeyType.of(key).orElseThrow();
    }

    /** Signs {@code data} with our key and the JCA algorithm {@code jcaName} (public for the IKEv1 engine). */
    public byte[] sign(String jcaName, byte[] data) {
        try {
            Signature s = Signature.getInstance(jcaName);
            s.initSign(key);
            s.update(data);
            return s.sign();
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException("cannot sign with " + jcaName + ": " + e.getMessage(), e);
        }
    }

    /** The subject and anchors; never the key. */
    @Override
    public String toString() {
        return "Credentials[" + subject() + ", " + chain.size() + " certificate(s), key [redacted], "
                + anchors.size() + " trust anchor(s)]";
    }

    /** Public-key families Palisade signs with. */
    enum KeyType {
        RSA, EC;

        static java.util.Optional<KeyType> of(java.security.Key k) {
            if (k instanceof RSAKey && "RSA".equals(k.getAlgorithm())) {
                return java.util.Optional.of(RSA);
            }
            if (k instanceof ECKey) {
                return java.util.Optional.of(EC);
            }
            return java.util.Optional.empty();
        }
    }

    // ------------------------------------------------------------------------------------------------ PEM files

    /**
     * The certificates of a PEM file, in file order (a chain: the holder's first).
     *
     * @throws CredentialException naming the file and what is wrong, never key material
     */
    public static List<X509Certificate> certificates(Path file) throws CredentialException {
        List<X509Certificate> out = new ArrayList<>();
        JcaX509CertificateConverter converter = new JcaX509CertificateConverter();
        try (PEMParser p = parser(file)) {
            Object o;
            while ((o = p.readObject()) != null) {
                if (!(o instanceof X509CertificateHolder h)) {
                    throw new CredentialException(file + ": expected only CERTIFICATE blocks, found "
                            + describe(o));
                }
                out.add(converter.getCertificate(h));
            }
        } catch (IOException | org.bouncycastle.util.encoders.DecoderException e) {
            // BC reports bad base64 inside a PEM block as an unchecked DecoderException
            throw new CredentialException(file + ": not a PEM certificate file (" + e.getMessage() + ")", e);
        } catch (CertificateException e) {
            throw new CredentialException(file + ": invalid certificate (" + e.getMessage() + ")", e);
        }
        if (out.isEmpty()) {
            throw new CredentialException(file + ": no PEM certificate (expected -----BEGIN CERTIFICATE-----)");
        }
        return out;
    }

    /**
     * The unencrypted private key of a PEM file (PKCS#8, or traditional RSA/EC).
     *
     * @throws CredentialException naming the file and what is wrong, never key material
     */
    public static PrivateKey privateKey(Path file) throws CredentialException {
        JcaPEMKeyConverter converter = new JcaPEMKeyConverter();
        try (PEMParser p = parser(file)) {
            Object o;
            while ((o = p.readObject()) != null) {
                if (o instanceof ASN1ObjectIdentifier) {
                    continue; // EC PARAMETERS before EC PRIVATE KEY (openssl ecparam -genkey)
                }
                if (o instanceof PEMEncryptedKeyPair || o instanceof PKCS8EncryptedPrivateKeyInfo) {
                    throw new CredentialException(file + ": the private key is encrypted; Palisade needs it "
                            + "unencrypted (protect the file with its permissions)");
                }
                if (o instanceof PEMKeyPair kp) {
                    return converter.getPrivateKey(kp.getPrivateKeyInfo());
                }
                if (o instanceof PrivateKeyInfo info) {
                    return converter.getPrivateKey(info);
                }
                throw new CredentialException(file + ": not a private key (found " + describe(o) + ")");
            }
        } catch (IOException | org.bouncycastle.util.encoders.DecoderException e) {
            // BC's messages about malformed keys do not include key material
            throw new CredentialException(file + ": not a private key (" + e.getMessage() + ")", e);
        }
        throw new CredentialException(file + ": not a private key (no PEM block)");
    }

    private static PEMParser parser(Path file) throws CredentialException {
        try {
            Reader r = Files.newBufferedReader(file, StandardCharsets.US_ASCII);
            return new PEMParser(r);
        } catch (NoSuchFileException e) {
            throw new CredentialException(file + ": no such file", e);
        } catch (IOException e) {
            throw new CredentialException(file + ": cannot read (" + e.getMessage() + ")", e);
        }
    }

    private static String describe(Object pem) {
        return switch (pem) {
            case X509CertificateHolder h -> "a certificate";
            case PEMKeyPair k -> "a private key";
            case PrivateKeyInfo k -> "a private key";
            default -> pem.getClass().getSimpleName();
        };
    }

    private static FileStamp stamp(Path p) throws CredentialException {
        try {
            return new FileStamp(p.toAbsolutePath(), Files.getLastModifiedTime(p), Files.size(p));
        } catch (NoSuchFileException e) {
            throw new CredentialException(p + ": no such file", e);
        } catch (IOException e) {
            throw new CredentialException(p + ": cannot read (" + e.getMessage() + ")", e);
        }
    }

    private record FileStamp(Path path, FileTime modified, long size) {}

    private record CacheKey(FileStamp cert, FileStamp key, FileStamp ca) {}
}
