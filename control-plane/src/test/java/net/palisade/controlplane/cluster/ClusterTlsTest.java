package net.palisade.controlplane.cluster;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.InputStream;
import java.net.SocketTimeoutException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.KeyStore;
import java.security.SecureRandom;
import java.security.cert.X509Certificate;
import java.util.List;
import java.util.concurrent.TimeUnit;
import javax.net.ssl.KeyManagerFactory;
import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLSocket;
import javax.net.ssl.TrustManager;
import javax.net.ssl.X509TrustManager;
import net.palisade.controlplane.ControlPlane;
import net.palisade.controlplane.Settings;
import net.palisade.controlplane.journal.NodeKey;
import org.apache.pekko.cluster.Cluster;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The cluster port of a running node only talks to a holder of the cluster's certificate: a process that reaches
 * the port cannot join and send tunnel commands without it.
 */
class ClusterTlsTest {
    @TempDir static Path dir;
    private static ControlPlane node;
    private static int port;

    @BeforeAll
    static void start() throws Exception {
        node = ControlPlane.start(Settings.defaults(dir.resolve("data")).withCluster("127.0.0.1", 0, List.of()));
        node.whenUp().toCompletableFuture().get(60, TimeUnit.SECONDS);
        port = Cluster.get(node.system()).selfMember().address().getPort().orElseThrow();
    }

    @AfterAll
    static void stop() {
        node.close();
    }

    /** Trusts any server: the client under test is an intruder that does not care who answers. */
    private static final TrustManager[] TRUST_ANY = {new X509TrustManager() {
        @Override
        public void checkClientTrusted(X509Certificate[] chain, String authType) {}

        @Override
        public void checkServerTrusted(X509Certificate[] chain, String authType) {}

        @Override
        public X509Certificate[] getAcceptedIssuers() {
            return new X509Certificate[0];
        }
    }};

    /**
     * Connects with TLS 1.3 and waits for the node: a node that accepted the client keeps the connection open and
     * silent (Artery waits for the client's header), so the read times out; a node that refused it ends the
     * handshake or the connection.
     */
    private static boolean accepted(SSLContext ctx) throws Exception {
        try (SSLSocket s = (SSLSocket) ctx.getSocketFactory().createSocket("127.0.0.1", port)) {
            s.setEnabledProtocols(new String[] {"TLSv1.3"});
            s.setSoTimeout(3000);
            s.startHandshake();
            InputStream in = s.getInputStream();
            return in.read() != -1;
        } catch (SocketTimeoutException stillOpen) {
            return true;
        } catch (javax.net.ssl.SSLException | java.net.SocketException refused) {
            return false;
        }
    }

    private static SSLContext context(KeyStore clientKeys, char[] password) throws Exception {
        SSLContext ctx = SSLContext.getInstance("TLSv1.3");
        KeyManagerFactory kmf = null;
        if (clientKeys != null) {
            kmf = KeyManagerFactory.getInstance(KeyManagerFactory.getDefaultAlgorithm());
            kmf.init(clientKeys, password);
        }
        ctx.init(kmf == null ? null : kmf.getKeyManagers(), TRUST_ANY, new SecureRandom());
        return ctx;
    }

    private static KeyStore load(Path file, char[] password) throws Exception {
        KeyStore ks = KeyStore.getInstance("PKCS12");
        try (InputStream in = Files.newInputStream(file)) {
            ks.load(in, password);
        }
        return ks;
    }

    @Test
    void aClientWithoutACertificateIsRefused() throws Exception {
        assertThat(accepted(context(null, null))).isFalse();
    }

    @Test
    void aClientWithAnotherClustersCertificateIsRefused(@TempDir Path other) throws Exception {
        NodeKey otherKey = NodeKey.loadOrCreate(other);
        ClusterTls foreign = ClusterTls.loadOrCreate(other, otherKey);
        char[] pw = foreign.password().toCharArray();
        assertThat(accepted(context(load(foreign.store(), pw), pw))).isFalse();
    }

    @Test
    void theClustersOwnCertificateIsAccepted() throws Exception {
        // the control for the two refusals above: the same probe, holding what a second member would hold
        Path data = dir.resolve("data");
        char[] pw = NodeKey.load(data).derivedPassword("cluster tls key store");
        assertThat(accepted(context(load(data.resolve(ClusterTls.FILE_NAME), pw), pw))).isTrue();
    }

    @Test
    void theKeyFileIsPrivateAndNeedsTheNodeKeyItCameWith(@TempDir Path other) throws Exception {
        Path data = dir.resolve("data");
        assertThat(PosixFilePermissions.toString(Files.getPosixFilePermissions(data.resolve(ClusterTls.FILE_NAME))))
                .isEqualTo("rw-------");
        Files.copy(data.resolve(ClusterTls.FILE_NAME), other.resolve(ClusterTls.FILE_NAME));
        assertThatThrownBy(() -> ClusterTls.loadOrCreate(other, NodeKey.random()))
                .isInstanceOf(IllegalStateException.class)
                .hasMessageContaining("copy cluster.p12 and node.key together");
    }
}
