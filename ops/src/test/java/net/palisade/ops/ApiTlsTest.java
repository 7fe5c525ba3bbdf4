package net.palisade.ops;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.security.cert.X509Certificate;
import java.time.Duration;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLSocket;
import javax.net.ssl.TrustManager;
import javax.net.ssl.X509TrustManager;
import net.palisade.api.ApiServer;
import net.palisade.api.ApiTls;
import net.palisade.api.TokenFile;
import net.palisade.controlplane.ControlPlane;
import net.palisade.controlplane.Settings;
import net.palisade.controlplane.ike.auth.CredentialException;
import net.palisade.ops.client.ApiClient;
import net.palisade.ops.client.CliFailure;
import org.apache.pekko.http.javadsl.ServerBinding;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The API over HTTPS as an operator runs it: certificates made by OpenSSL, curl as an independent client, the
 * Palisade client with {@code --api-ca}, and a renewed certificate served without a restart.
 */
@org.junit.jupiter.api.TestMethodOrder(org.junit.jupiter.api.MethodOrderer.OrderAnnotation.class)
class ApiTlsTest {
    @TempDir static Path dir;
    private static ControlPlane node;
    private static ServerBinding binding;
    private static Path cert;
    private static Path key;
    private static Path tokenPath;
    private static int port;

    @BeforeAll
    static void start() throws Exception {
        cert = dir.resolve("api.crt");
        key = dir.resolve("api.key");
        openssl("first", cert, key);
        node = ControlPlane.start(Settings.defaults(dir.resolve("data")).withCluster("127.0.0.1", 0, List.of()));
        node.whenUp().toCompletableFuture().get(60, TimeUnit.SECONDS);
        tokenPath = dir.resolve("api-token");
        binding = new ApiServer(TokenFile.loadOrCreate(tokenPath), node, Optional::empty, () -> true)
                .tls(ApiTls.load(cert, key)).bind(node.system(), "127.0.0.1", 0)
                .toCompletableFuture().get(30, TimeUnit.SECONDS);
        port = binding.localAddress().getPort();
    }

    @AfterAll
    static void stop() throws Exception {
        if (binding != null) {
            binding.unbind().toCompletableFuture().get(10, TimeUnit.SECONDS);
        }
        if (node != null) {
            node.close();
        }
    }

    /** A self-signed EC certificate for 127.0.0.1 with common name {@code cn}, made by the openssl command. */
    private static void openssl(String cn, Path certOut, Path keyOut) throws Exception {
        Process p = new ProcessBuilder("openssl", "req", "-x509", "-newkey", "ec", "-pkeyopt",
                "ec_paramgen_curve:P-256", "-nodes", "-keyout", keyOut.toString(), "-out", certOut.toString(),
                "-days", "2", "-subj", "/CN=" + cn, "-addext", "subjectAltName=IP:127.0.0.1")
                .redirectErrorStream(true).start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertThat(p.waitFor()).as(out).isZero();
    }

    private static ProcessResult curl(String... extra) throws Exception {
        List<String> cmd = new java.util.ArrayList<>(List.of("curl", "-s", "-o", "/dev/null", "-w", "%{http_code}",
                "-H", "Authorization: Bearer " + Files.readString(tokenPath).strip()));
        cmd.addAll(List.of(extra));
        Process p = new ProcessBuilder(cmd).redirectErrorStream(true).start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        return new ProcessResult(p.waitFor(), out);
    }

    private record ProcessResult(int exit, String out) {}

    /** The subject CN of the certificate the server presents to a new connection now. */
    private static String servedCn() throws Exception {
        X509Certificate[] seen = new X509Certificate[1];
        TrustManager recordAll = new X509TrustManager() {
            @Override
            public void checkClientTrusted(X509Certificate[] chain, String authType) {
            }

            @Override
            public void checkServerTrusted(X509Certificate[] chain, String authType) {
                seen[0] = chain[0];
            }

            @Override
            public X509Certificate[] getAcceptedIssuers() {
                return new X509Certificate[0];
            }
        };
        SSLContext ctx = SSLContext.getInstance("TLS");
        ctx.init(null, new TrustManager[] {recordAll}, null);
        try (SSLSocket s = (SSLSocket) ctx.getSocketFactory().createSocket()) {
            s.connect(new InetSocketAddress("127.0.0.1", port), 5000);
            s.startHandshake();
            assertThat(s.getSession().getProtocol()).isIn("TLSv1.3", "TLSv1.2");
        }
        return seen[0].getSubjectX500Principal().getName();
    }

    @Test
    @org.junit.jupiter.api.Order(1)
    void curlTrustingTheCertificateGetsTheApiAndPlainHttpGetsNothing() throws Exception {
        ProcessResult ok = curl("--cacert", cert.toString(), "https://127.0.0.1:" + port + "/v1/tunnels");
        assertThat(ok.out()).isEqualTo("200");
        ProcessResult untrusted = curl("https://127.0.0.1:" + port + "/v1/tunnels");
        assertThat(untrusted.exit()).as("curl refuses an unknown certificate").isNotZero();
        ProcessResult old = curl("--cacert", cert.toString(), "--tls-max", "1.1", "https://127.0.0.1:" + port + "/v1/tunnels");
        assertThat(old.exit()).as("TLS 1.1 and older are not served").isNotZero();
        ProcessResult plain = curl("--max-time", "5", "http://127.0.0.1:" + port + "/v1/tunnels");
        assertThat(plain.out()).as("no plain HTTP answer on the TLS port").isNotEqualTo("200");
    }

    @Test
    @org.junit.jupiter.api.Order(2)
    void theClientTrustsWhatApiCaNamesAndSaysWhatToDoOtherwise() {
        String api = "https://127.0.0.1:" + port;
        var trusting = ApiClient.open(api, tokenPath, Optional.of("ops"), Optional.of(cert));
        assertThat(trusting.getJson("/v1/tunnels").isArray()).isTrue();
        var plain = ApiClient.open(api, tokenPath, Optional.of("ops"), Optional.empty());
        assertThatThrownBy(() -> plain.getJson("/v1/tunnels")).isInstanceOf(CliFailure.class)
                .hasMessageContaining("does not trust").hasMessageContaining("--api-ca");
    }

    @Test
    @org.junit.jupiter.api.Order(3) // last: it replaces the served certificate
    void aRenewedCertificateIsServedWithoutARestartAndABrokenOneIsNot() throws Exception {
        assertThat(servedCn()).isEqualTo("CN=first");
        Path newCert = dir.resolve("renewed.crt");
        Path newKey = dir.resolve("renewed.key");
        openssl("renewed", newCert, newKey);
        Files.move(newKey, key, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
        Files.move(newCert, cert, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
        await().atMost(Duration.ofSeconds(15)).pollInterval(Duration.ofMillis(200))
                .untilAsserted(() -> assertThat(servedCn()).isEqualTo("CN=renewed"));

        Files.writeString(cert, "-----BEGIN CERTIFICATE-----\nnot one\n-----END CERTIFICATE-----\n");
        // past the recheck interval, the broken file is looked at and refused: the renewed one stays
        await().pollDelay(Duration.ofMillis(1500)).atMost(Duration.ofSeconds(5))
                .untilAsserted(() -> assertThat(servedCn()).isEqualTo("CN=renewed"));
    }

    @Test
    void aKeyThatIsNotTheCertificatesIsRefusedAtStartNamingTheFile() throws Exception {
        Path otherCert = dir.resolve("other.crt");
        Path otherKey = dir.resolve("other.key");
        openssl("other", otherCert, otherKey);
        Path mine = dir.resolve("mine.crt");
        Path mineKey = dir.resolve("mine.key");
        openssl("mine", mine, mineKey);
        assertThatThrownBy(() -> ApiTls.load(mine, otherKey)).isInstanceOf(CredentialException.class)
                .hasMessageContaining(otherKey.toString()).hasMessageContaining("is not the key of the certificate");
        assertThatThrownBy(() -> ApiTls.load(dir.resolve("missing.crt"), mineKey))
                .isInstanceOf(CredentialException.class).hasMessageContaining("missing.crt");
    }
}
