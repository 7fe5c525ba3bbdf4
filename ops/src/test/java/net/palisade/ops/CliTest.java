package net.palisade.ops;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import picocli.CommandLine;

/** The {@code palisade} command as a user types it: exit status, standard output and standard error. */
class CliTest {
    record Run(int status, String out, String err) {}

    static Run palisade(String... args) {
        CommandLine cl = Main.commandLine();
        StringWriter out = new StringWriter();
        StringWriter err = new StringWriter();
        cl.setOut(new PrintWriter(out, true));
        cl.setErr(new PrintWriter(err, true));
        int status = cl.execute(args);
        return new Run(status, out.toString(), err.toString());
    }

    @Test
    void configCheckAcceptsTheDocumentedExamples(@TempDir Path dir) throws Exception {
        Path file = dir.resolve("ok.conf");
        Files.writeString(file, """
                ipsec {
                  ike from 10.9.1.1 to 10.9.2.1 peer 198.51.100.7 psk "secret" label tunnel1
                  manual from 10.1.0.0/16 to 10.2.0.0/16 local 192.0.2.1 peer 192.0.2.2 spi 256:0x101 enc aes-128-gcm enckey 0x6b6b6b6b6b6b6b6b6b6b6b6b6b6b6b6b6b6b6b6b label m1
                }
                """);
        Run r = palisade("config", "check", file.toString());
        assertThat(r.status()).isZero();
        assertThat(r.out()).isEqualTo(file + ": OK, 2 tunnel(s), 1 warning(s)\n");
        // the documentation's six-character PSK is accepted with advice that never repeats it
        assertThat(r.err()).isEqualTo(file + ":2:55: warning: psk: shorter than 16 bytes: anyone who records one"
                + " exchange can try to guess it offline; use a long random psk (palisade key generate aes-256 prints"
                + " one)\n");
    }

    @Test
    void runRefusesAPairOnEmbeddedH2AndAMalformedSeed(@TempDir Path dir) {
        Run r = palisade("run", "--data", dir.resolve("data").toString(), "--seed", "192.0.2.2:25520");
        assertThat(r.status()).isEqualTo(2);
        assertThat(r.err()).startsWith("run: --seed: a gateway pair needs a journal both nodes share;")
                .contains("--journal-url jdbc:postgresql://");
        assertThat(dir.resolve("data")).doesNotExist();

        Run bad = palisade("run", "--data", dir.resolve("data").toString(), "--seed", "192.0.2.2",
                "--journal-url", "jdbc:postgresql://db/palisade");
        assertThat(bad.status()).isEqualTo(2);
        assertThat(bad.err()).startsWith("run: --seed: seed '192.0.2.2': expected HOST:PORT");
        assertThat(dir.resolve("data")).doesNotExist();
    }

    @Test
    void runRefusesHalfATlsSettingOrAFileThatIsNoCertificateBeforeStartingAnything(@TempDir Path dir)
            throws Exception {
        Run half = palisade("run", "--data", dir.resolve("data").toString(), "--api-tls-cert", "/nonexistent.crt");
        assertThat(half.status()).isEqualTo(2);
        assertThat(half.err()).isEqualTo("run: --api-tls-cert and --api-tls-key go together (the certificate and its"
                + " key)\n");
        Path notCert = Files.writeString(dir.resolve("api.crt"), "hello\n");
        Run bad = palisade("run", "--data", dir.resolve("data").toString(), "--api-tls-cert", notCert.toString(),
                "--api-tls-key", notCert.toString());
        assertThat(bad.status()).isEqualTo(2);
        assertThat(bad.err()).startsWith("run: API TLS: " + notCert + ": no PEM certificate");
        assertThat(dir.resolve("data")).doesNotExist();
    }

    @Test
    void configCheckNamesLineColumnAndFieldAndNeverEchoesTheSecret(@TempDir Path dir) throws Exception {
        Path file = dir.resolve("bad.conf");
        Files.writeString(file, """
                ike from 10.0.0.0/8 to 10.2.0.0/16 peeer 192.0.2.2 psk "canary-7c1e"
                manual from 10.1.0.0/16 to 10.2.0.0/16 local 192.0.2.1 peer 192.0.2.2 spi 256 enc aes-128-gcm enckey 0x6b6b6b6b6b6b6b6b6b6b6b6b6b6b6b6b
                """);
        Run r = palisade("config", "check", file.toString());
        assertThat(r.status()).isEqualTo(1);
        assertThat(r.err()).contains(file + ":1:36: ike: unknown keyword 'peeer'; did you mean 'peer'?")
                .contains(file + ":2:")
                .contains("enckey: aes-128-gcm needs 20 bytes")
                .contains("2 error(s)")
                .doesNotContain("canary-7c1e")
                .doesNotContain("6b6b6b6b");
        assertThat(r.out()).isEmpty();
    }

    @Test
    void configPrintRedactsUnlessAskedAndIsStable(@TempDir Path dir) throws Exception {
        Path file = dir.resolve("t.conf");
        Files.writeString(file, "ike from 10.9.1.1 to 10.9.2.1 peer 198.51.100.7 psk \"canary-55\" label tunnel1\n");
        Run redacted = palisade("config", "print", file.toString());
        assertThat(redacted.status()).isZero();
        assertThat(redacted.out()).contains("psk [redacted]").doesNotContain("canary-55");

        Run full = palisade("config", "print", "--secrets", file.toString());
        assertThat(full.out()).contains("psk \"canary-55\"");
        Path again = dir.resolve("again.conf");
        Files.writeString(again, full.out());
        assertThat(palisade("config", "print", "--secrets", again.toString()).out()).isEqualTo(full.out());
    }

    @ParameterizedTest
    @CsvSource({
        // ZyWALL-style ASCII keys: each character's byte ('k' = 0x6b, 'A' = 0x41, '0' = 0x30)
        "kkkkkkkkkkkkkkkk, 0x6b6b6b6b6b6b6b6b6b6b6b6b6b6b6b6b",
        "kkkkkkkkkkkkkkkkkkkk, 0x6b6b6b6b6b6b6b6b6b6b6b6b6b6b6b6b6b6b6b6b",
        "AAAAAAAAAAAAAAAAAAAAAAAA, 0x414141414141414141414141414141414141414141414141",
        "0123456789abcdef, 0x30313233343536373839616263646566",
    })
    void keyFromAsciiConvertsLikeZywall(String ascii, String hex) {
        Run r = palisade("key", "from-ascii", ascii);
        assertThat(r.status()).isZero();
        assertThat(r.out().strip()).isEqualTo(hex);
    }

    @Test
    void keyFromAsciiRefusesLengthsTheAlgorithmCannotUse() {
        Run r = palisade("key", "from-ascii", "--alg", "aes-128-gcm", "kkkkkkkkkkkkkkkk");
        assertThat(r.status()).isEqualTo(1);
        assertThat(r.err()).contains("20").doesNotContain("kkkk");
        assertThat(palisade("key", "from-ascii", "abc").status()).isEqualTo(1);
    }

    @ParameterizedTest
    @CsvSource({"aes-128, 16", "aes-128-gcm, 20", "aes-256-gcm, 36", "chacha20-poly1305, 36", "3des, 24",
        "hmac-sha1, 20", "hmac-sha2-256, 32", "hmac-sha2-512, 64"})
    void keyGenerateGivesTheAlgorithmsLengthAndFreshKeys(String alg, int bytes) {
        String a = palisade("key", "generate", alg).out().strip();
        String b = palisade("key", "generate", alg).out().strip();
        assertThat(a).matches("0x[0-9a-f]{" + (2 * bytes) + "}");
        assertThat(a).isNotEqualTo(b);
    }

    @Test
    void keyGenerateRefusesAnUnknownAlgorithm() {
        Run r = palisade("key", "generate", "aes-512");
        assertThat(r.status()).isEqualTo(1);
        assertThat(r.err()).startsWith("key generate: ");
    }

    @ParameterizedTest
    @CsvSource({"256, 256 = 0x00000100", "0x101, 257 = 0x00000101", "0xFFFFFFFF, 4294967295 = 0xffffffff",
        "4096, 4096 = 0x00001000"})
    void spiShowsBothNotations(String in, String shown) {
        Run r = palisade("spi", in);
        assertThat(r.status()).isZero();
        assertThat(r.out().strip()).isEqualTo(shown);
    }

    @ParameterizedTest
    @CsvSource({"255", "0", "0x100000000", "12ab"})
    void spiRefusesReservedAndMalformedValues(String in) {
        Run r = palisade("spi", in);
        assertThat(r.status()).isEqualTo(1);
        assertThat(r.err()).startsWith("spi: ");
    }

    @Test
    void runRefusesABadApiAddress() {
        Run r = palisade("run", "--api", "localhost", "--data", System.getProperty("java.io.tmpdir") + "/palisade-cli-test");
        assertThat(r.status()).isEqualTo(2);
        assertThat(r.err()).contains("--api: expected HOST:PORT");
    }

    @ParameterizedTest
    @CsvSource({
        "--ike-cookie-threshold, -1, '--ike-cookie-threshold: must be 0-1000000 half-open IKE SAs (0 = always demand a cookie), not -1'",
        "--ike-cookie-threshold, 1000001, '--ike-cookie-threshold: must be 0-1000000'",
        "--ike-fragment-size, 127, '--ike-fragment-size: must be 128-65535 bytes (the largest IP packet of an IKE fragment), not 127'",
        "--ike-fragment-size, 65536, '--ike-fragment-size: must be 128-65535 bytes'",
        "--ike-fragment-size, 1k, is not an int",
        "--cpus, '0,-1', '--cpus: CPU numbers are 0 or more, not [0, -1]'",
        "--cpus, 0;1, is not an int",
        "--snmp-trap, 127.0.0.1:162, '--snmp-trap: needs --snmp-community-file FILE (v2c) or --snmp-v3-user NAME --snmp-v3-secrets-file FILE (v3); secrets never on the command line'",
        "--snmp-v3-user, palisade, '--snmp-v3-user and --snmp-v3-secrets-file go together'",
        "--snmp-community-file, /nonexistent, '--snmp-community-file: without --snmp-trap there is nothing to send'",
    })
    void runRefusesIkeSettingsOutOfRangeBeforeStartingAnything(String flag, String value, String message,
            @TempDir Path dir) {
        Run r = palisade("run", flag, value, "--data", dir.resolve("data").toString(), "--dataplane", "off");
        assertThat(r.status()).isEqualTo(2);
        assertThat(r.err()).contains(message);
        assertThat(dir.resolve("data")).doesNotExist(); // refused before the data directory is made
    }

    @Test
    void runIkeSettingsDefaultToThirtyHalfOpenAnd1280BytesAndTakeTheFlags() {
        RunCommand defaults = new RunCommand();
        new CommandLine(defaults).parseArgs();
        assertThat(defaults.ikeCookieThreshold).isEqualTo(30);
        assertThat(RunCommand.ikeSettings(defaults.ikeFragmentSize).fragmentPacketLimit()).isEqualTo(1280);

        RunCommand given = new RunCommand();
        new CommandLine(given).parseArgs("--ike-cookie-threshold", "0", "--ike-fragment-size", "576");
        assertThat(given.ikeCookieThreshold).isZero();
        assertThat(RunCommand.ikeSettings(given.ikeFragmentSize).fragmentPacketLimit()).isEqualTo(576);
    }

    @Test
    void snmpTrapReceiversAreHostAndPortWithACommunityFile() {
        assertThat(RunCommand.trapReceivers(java.util.List.of("127.0.0.1:1162", "[::1]:162"), Path.of("/c"), null, null))
                .extracting(java.net.InetSocketAddress::getPort).containsExactly(1162, 162);
        assertThat(RunCommand.trapReceivers(java.util.List.of(), null, null, null)).isEmpty();
        assertThat(RunCommand.trapReceivers(java.util.List.of("127.0.0.1:162"), null, "u", Path.of("/s"))).hasSize(1);
        org.assertj.core.api.Assertions.assertThatThrownBy(() -> RunCommand.trapReceivers(java.util.List.of(
                "127.0.0.1:162"), Path.of("/c"), "u", Path.of("/s"))).hasMessageContaining("not both");
        org.assertj.core.api.Assertions.assertThatThrownBy(() -> RunCommand.trapReceivers(
                java.util.List.of("127.0.0.1"), Path.of("/c"), null, null)).hasMessage("--snmp-trap: expected HOST:PORT, got '127.0.0.1'");
    }

    @Test
    void haInitMakesThePairKeyOnceSaysHowToCopyItAndNeverPrintsIt(@TempDir Path dir) throws Exception {
        Run made = palisade("ha", "init", "--data", dir.toString());
        assertThat(made.status()).isZero();
        java.nio.file.Path file = dir.resolve("pair.key");
        byte[] key = java.nio.file.Files.readAllBytes(file);
        assertThat(key).hasSize(32);
        assertThat(java.nio.file.attribute.PosixFilePermissions.toString(
                java.nio.file.Files.getPosixFilePermissions(file))).isEqualTo("rw-------");
        String id = net.palisade.controlplane.journal.PairKey.loadIfPresent(dir).orElseThrow().keyId();
        assertThat(made.out()).contains("pair key " + id + " created", "scp -p " + file, "chmod 600");
        String hex = java.util.HexFormat.of().formatHex(key);
        String b64 = java.util.Base64.getEncoder().encodeToString(key);
        assertThat(made.out() + made.err()).doesNotContain(hex.substring(0, 12)).doesNotContain(b64.substring(0, 12));

        Run again = palisade("ha", "init", "--data", dir.toString());
        assertThat(again.status()).isEqualTo(1);
        assertThat(again.err()).contains("exists", id, "not replaced");
        assertThat(java.nio.file.Files.readAllBytes(file)).isEqualTo(key);
    }
}
