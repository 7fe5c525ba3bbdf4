package net.palisade.controlplane.cluster;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.math.BigInteger;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.PosixFilePermission;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.GeneralSecurityException;
import java.security.KeyPair;
import java.security.KeyPairGenerator;
import java.security.KeyStore;
import java.security.SecureRandom;
import java.security.cert.Certificate;
import java.security.cert.X509Certificate;
import java.security.spec.ECGenParameterSpec;
import java.time.Duration;
import java.time.Instant;
import java.util.Arrays;
import java.util.Date;
import java.util.EnumSet;
import java.util.Set;
import net.palisade.controlplane.journal.NodeKey;
import org.bouncycastle.asn1.x500.X500Name;
import org.bouncycastle.cert.jcajce.JcaX509CertificateConverter;
import org.bouncycastle.cert.jcajce.JcaX509v3CertificateBuilder;
import org.bouncycastle.operator.jcajce.JcaContentSignerBuilder;

/**
 * Mutual TLS on the cluster port (Pekko Artery {@code tls-tcp}). Without it, any process that reaches the cluster
 * port can join the cluster and send tunnel commands without the API token.
 *
 * <p>The credential is one key pair and self-signed certificate in {@code DATA/cluster.p12} (PKCS#12), created on
 * first start. It is both the key store and the only trusted certificate: a member must present exactly this
 * certificate, so the nodes of a cluster share the file the way they share {@code node.key} (copy both; a node
 * with another {@code cluster.p12} cannot connect). The store's password is derived from the node key, so there is
 * no third secret to keep. The file is refused when the group or others may read it, like the node key.
 */
public final class ClusterTls {
    /** The file name inside the data directory. */
    public static final String FILE_NAME = "cluster.p12";
    static final String ALIAS = "palisade-cluster";
    private static final Duration VALIDITY = Duration.ofDays(3650);
    private static final Set<PosixFilePermission> GROUP_OTHER = EnumSet.of(
            PosixFilePermission.GROUP_READ, PosixFilePermission.GROUP_WRITE, PosixFilePermission.GROUP_EXECUTE,
            PosixFilePermission.OTHERS_READ, PosixFilePermission.OTHERS_WRITE, PosixFilePermission.OTHERS_EXECUTE);

    private final Path store;
    private final char[] password;

    private ClusterTls(Path store, char[] password) {
        this.store = store;
        this.password = password;
    }

    /**
     * Opens {@code dataDir/cluster.p12}, creating it when missing.
     *
     * @throws IOException when the file cannot be read or written
     * @throws IllegalStateException when it is readable by others, a link, or not openable with this node key
     */
    public static ClusterTls loadOrCreate(Path dataDir, NodeKey key) throws IOException {
        Path file = dataDir.resolve(FILE_NAME);
        char[] password = key.derivedPassword("cluster tls key store");
        if (!Files.exists(file, LinkOption.NOFOLLOW_LINKS)) {
            create(file, password);
        }
        check(file, password);
        return new ClusterTls(file, password);
    }

    /** The key store (and trust store) path. */
    public Path store() {
        return store;
    }

    /** The store's password (derived from the node key; never logged). */
    public String password() {
        return new String(password);
    }

    private static void create(Path file, char[] password) throws IOException {
        try {
            KeyPairGenerator g = KeyPairGenerator.getInstance("EC");
            g.initialize(new ECGenParameterSpec("secp256r1"), new SecureRandom());
            KeyPair pair = g.generateKeyPair();
            Instant now = Instant.now();
            X500Name name = new X500Name("CN=" + ALIAS);
            X509Certificate cert = new JcaX509CertificateConverter().getCertificate(new JcaX509v3CertificateBuilder(
                    name, new BigInteger(64, new SecureRandom()), Date.from(now.minus(Duration.ofDays(1))),
                    Date.from(now.plus(VALIDITY)), name, pair.getPublic())
                    .build(new JcaContentSignerBuilder("SHA256withECDSA").build(pair.getPrivate())));
            KeyStore ks = KeyStore.getInstance("PKCS12");
            ks.load(null, null);
            ks.setKeyEntry(ALIAS, pair.getPrivate(), password, new Certificate[] {cert});
            ks.setCertificateEntry(ALIAS + "-trusted", cert);
            Path tmp = Files.createTempFile(file.getParent(), FILE_NAME, ".tmp",
                    PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rw-------")));
            try (OutputStream out = Files.newOutputStream(tmp, StandardOpenOption.WRITE)) {
                ks.store(out, password);
            }
            try {
                Files.move(tmp, file, StandardCopyOption.ATOMIC_MOVE);
            } catch (FileAlreadyExistsException raced) {
                Files.deleteIfExists(tmp);
            }
        } catch (GeneralSecurityException | org.bouncycastle.operator.OperatorCreationException e) {
            throw new IllegalStateException("cannot create the cluster TLS key: " + e.getMessage(), e);
        }
    }

    private static void check(Path file, char[] password) throws IOException {
        if (Files.isSymbolicLink(file)) {
            throw new IllegalStateException(file + " is a symbolic link; the cluster key must be a regular file");
        }
        Set<PosixFilePermission> perms = Files.getPosixFilePermissions(file);
        if (perms.stream().anyMatch(GROUP_OTHER::contains)) {
            throw new IllegalStateException(file + " is accessible to group or others (mode "
                    + PosixFilePermissions.toString(perms) + "); run: chmod 600 " + file);
        }
        try (InputStream in = Files.newInputStream(file)) {
            KeyStore ks = KeyStore.getInstance("PKCS12");
            ks.load(in, password);
            if (!ks.isKeyEntry(ALIAS)) {
                throw new IllegalStateException(file + " holds no key '" + ALIAS + "'");
            }
        } catch (GeneralSecurityException | IOException e) {
            throw new IllegalStateException(file + " cannot be opened with this node's key (" + e.getMessage()
                    + "); copy cluster.p12 and node.key together from the same node", e);
        }
    }

    @Override
    public String toString() {
        return "ClusterTls[" + store + "]";
    }

    /** Wipes this object's copy of the password (the Pekko configuration keeps its own string). */
    public void wipe() {
        Arrays.fill(password, '\0');
    }
}
