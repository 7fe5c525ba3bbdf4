package net.palisade.controlplane.ike.auth;

import java.io.IOException;
import java.io.StringWriter;
import java.math.BigInteger;
import java.net.InetAddress;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.security.KeyPair;
import java.security.KeyPairGenerator;
import java.security.spec.ECGenParameterSpec;
import java.security.cert.X509Certificate;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Date;
import java.util.List;
import org.bouncycastle.asn1.x500.X500Name;
import org.bouncycastle.asn1.x509.BasicConstraints;
import org.bouncycastle.asn1.x509.Extension;
import org.bouncycastle.asn1.x509.GeneralName;
import org.bouncycastle.asn1.x509.GeneralNames;
import org.bouncycastle.asn1.x509.KeyUsage;
import org.bouncycastle.cert.jcajce.JcaX509CertificateConverter;
import org.bouncycastle.cert.jcajce.JcaX509v3CertificateBuilder;
import org.bouncycastle.openssl.jcajce.JcaPEMWriter;
import org.bouncycastle.openssl.jcajce.JcaPKCS8Generator;
import org.bouncycastle.operator.OperatorCreationException;
import org.bouncycastle.operator.jcajce.JcaContentSignerBuilder;

/**
 * A small PKI for tests, made with Bouncy Castle: key pairs, a CA, end-entity certificates with a subject DN and
 * subjectAltNames, and PEM files of them.
 */
public final class TestPki {
    /** When the certificates start being valid. */
    public static final Instant NOT_BEFORE = Instant.parse("2026-01-01T00:00:00Z");
    /** When they stop (end entities; CAs last longer). */
    public static final Instant NOT_AFTER = Instant.parse("2027-12-31T00:00:00Z");

    private static long serial = 1;

    private TestPki() {
    }

    /** A certificate and its key pair. */
    public record Issued(X509Certificate cert, KeyPair keys) {}

    /** An RSA key pair of {@code bits}. */
    public static KeyPair rsa(int bits) {
        try {
            KeyPairGenerator g = KeyPairGenerator.getInstance("RSA");
            g.initialize(bits);
            return g.generateKeyPair();
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException(e);
        }
    }

    /** An EC key pair on {@code curve} ("secp256r1", "secp384r1", "secp521r1"). */
    public static KeyPair ec(String curve) {
        try {
            KeyPairGenerator g = KeyPairGenerator.getInstance("EC");
            g.initialize(new ECGenParameterSpec(curve));
            return g.generateKeyPair();
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException(e);
        }
    }

    /** A self-signed CA certificate valid 2025-2030. */
    public static Issued ca(String dn, KeyPair keys) {
        return new Issued(build(new X500Name(dn), keys, dn, keys, true, List.of(),
                Instant.parse("2025-01-01T00:00:00Z"),
                Instant.parse("2030-01-01T00:00:00Z")), keys);
    }

    /** An end-entity certificate for {@code dn} and {@code sans} ("dns:x", "email:x", "ip:x"), issued by {@code ca}. */
    public static Issued endEntity(Issued ca, String dn, KeyPair keys, List<String> sans) {
        return endEntity(ca, dn, keys, sans, NOT_BEFORE, NOT_AFTER);
    }

    /** An end-entity certificate with the given validity. */
    public static Issued endEntity(Issued ca, String dn, KeyPair keys, List<String> sans, Instant from, Instant to) {
        return new Issued(build(name(ca), ca.keys(), dn, keys, false, sans,
                from, to), keys);
    }

    /** An intermediate CA issued by {@code ca}. */
    public static Issued intermediate(Issued ca, String dn, KeyPair keys) {
        return new Issued(build(name(ca), ca.keys(), dn, keys, true, List.of(),
                Instant.parse("2025-06-01T00:00:00Z"), Instant.parse("2029-01-01T00:00:00Z")), keys);
    }

    private static X500Name name(Issued ca) {
        return X500Name.getInstance(ca.cert().getSubjectX500Principal().getEncoded());
    }

    private static X509Certificate build(X500Name issuerDn, KeyPair issuerKeys, String dn, KeyPair keys, boolean ca,
            List<String> sans, Instant from, Instant to) {
        try {
            JcaX509v3CertificateBuilder b = new JcaX509v3CertificateBuilder(issuerDn,
                    BigInteger.valueOf(serial++), Date.from(from), Date.from(to), new X500Name(dn), keys.getPublic());
            b.addExtension(Extension.basicConstraints, true, new BasicConstraints(ca));
            b.addExtension(Extension.keyUsage, true, new KeyUsage(ca ? KeyUsage.keyCertSign | KeyUsage.cRLSign
                    : KeyUsage.digitalSignature));
            if (!sans.isEmpty()) {
                List<GeneralName> names = new ArrayList<>();
                for (String s : sans) {
                    String v = s.substring(s.indexOf(':') + 1);
                    names.add(switch (s.substring(0, s.indexOf(':'))) {
                        case "dns" -> new GeneralName(GeneralName.dNSName, v);
                        case "email" -> new GeneralName(GeneralName.rfc822Name, v);
                        case "ip" -> new GeneralName(GeneralName.iPAddress, v);
                        default -> throw new IllegalArgumentException(s);
                    });
                }
                b.addExtension(Extension.subjectAlternativeName, false,
                        new GeneralNames(names.toArray(GeneralName[]::new)));
            }
            String alg = issuerKeys.getPrivate().getAlgorithm().equals("RSA") ? "SHA256withRSA" : "SHA256withECDSA";
            return new JcaX509CertificateConverter().getCertificate(b.build(
                    new JcaContentSignerBuilder(alg).build(issuerKeys.getPrivate())));
        } catch (IOException | GeneralSecurityException | OperatorCreationException e) {
            throw new IllegalStateException(e);
        }
    }

    /** PEM text of certificates or keys (a private key in the traditional format: RSA/EC PRIVATE KEY). */
    public static String pem(Object... objects) {
        StringWriter w = new StringWriter();
        try (JcaPEMWriter p = new JcaPEMWriter(w)) {
            for (Object o : objects) {
                p.writeObject(o);
            }
        } catch (IOException e) {
            throw new IllegalStateException(e);
        }
        return w.toString();
    }

    /** PEM text of a private key in PKCS#8 (PRIVATE KEY). */
    public static String pkcs8(KeyPair keys) {
        try {
            return pem(new JcaPKCS8Generator(keys.getPrivate(), null).generate());
        } catch (IOException e) {
            throw new IllegalStateException(e);
        }
    }

    /** Writes {@code text} to {@code dir/name}. */
    public static Path write(Path dir, String name, String text) throws IOException {
        return Files.writeString(dir.resolve(name), text);
    }

    static InetAddress ip(String s) throws IOException {
        return InetAddress.getByName(s);
    }
}
