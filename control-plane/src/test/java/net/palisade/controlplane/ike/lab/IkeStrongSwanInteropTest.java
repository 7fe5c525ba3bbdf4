package net.palisade.controlplane.ike.lab;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Optional;
import net.palisade.controlplane.lab.LabNamespaces;
import net.palisade.controlplane.lab.StrongSwan;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

/**
 * The engine against Debian's strongSwan 5.9.8 in the namespace lab ({@code ops/lab/netns.sh}, its own prefix;
 * {@code ops/lab/strongswan.sh}): both as initiator and as responder, PSK, forced UDP encapsulation. The Child SA
 * keys and SPIs the engine derives must equal the ones charon logs ({@code chd = 4}), an independent KDF check.
 * Needs root and strongSwan; skipped with {@code -Dpalisade.skipExternal=true}.
 */
class IkeStrongSwanInteropTest {
    private static final String PSK = "interop-lab-psk-not-for-production";

    @RegisterExtension
    static final LabNamespaces LAB = LabNamespaces.of(IkeStrongSwanInteropTest.class);
    private static final String PREFIX = LAB.prefix();

    @Test
    void weInitiateToStrongSwanWithAesGcmAndCurve25519(@TempDir Path dir) throws Exception {
        List<String> driver = negotiate(dir, true, "aes128gcm16-prfsha256-x25519", "aes128gcm16", "aes-128-gcm", "-",
                "curve25519", "none");
        checkAgainstCharon(dir, driver, true);
    }

    @Test
    void strongSwanInitiatesToUsWithAesCbcAndModp2048(@TempDir Path dir) throws Exception {
        List<String> driver = negotiate(dir, false, "aes256-sha256-modp2048", "aes128gcm16-x25519", "aes-256",
                "hmac-sha2-256", "modp2048", "curve25519");
        checkAgainstCharon(dir, driver, false);
    }

    @Test
    void weInitiateToStrongSwanWithChaCha20Poly1305ForIkeAndEsp(@TempDir Path dir) throws Exception {
        List<String> driver = negotiate(dir, true, "chacha20poly1305-prfsha256-x25519", "chacha20poly1305",
                "chacha20-poly1305", "-", "curve25519", "none", "chacha20-poly1305");
        checkAgainstCharon(dir, driver, true);
        assertThat(Files.readString(dir.resolve("ss/charon.log"))).contains("IKE:CHACHA20_POLY1305/")
                .contains("ESP:CHACHA20_POLY1305/");
    }

    private static List<String> negotiate(Path dir, boolean weInitiate, String ssProposal, String ssEsp, String enc,
            String integ, String group, String espGroup) throws Exception {
        return negotiate(dir, weInitiate, ssProposal, ssEsp, enc, integ, group, espGroup, "aes-128-gcm");
    }

    /** Runs strongSwan on one gateway and the driver on the other; returns the driver's output lines. */
    private static List<String> negotiate(Path dir, boolean weInitiate, String ssProposal, String ssEsp, String enc,
            String integ, String group, String espGroup, String espEnc) throws Exception {
        // gw-a (192.0.2.1, 10.1.0.0/16) runs whichever side initiates
        String ssNs = PREFIX + (weInitiate ? "-gwb" : "-gwa");
        String ourNs = PREFIX + (weInitiate ? "-gwa" : "-gwb");
        String ssIp = weInitiate ? "192.0.2.2" : "192.0.2.1";
        String ourIp = weInitiate ? "192.0.2.1" : "192.0.2.2";
        String ssNet = weInitiate ? "10.2.0.0/16" : "10.1.0.0/16";
        String ourNet = weInitiate ? "10.1.0.0/16" : "10.2.0.0/16";
        StrongSwan conf = StrongSwan.psk(ssNs, dir.resolve("ss"), ssIp, ourIp, ssNet, ourNet, PSK, ssProposal, ssEsp)
                .editConf(c -> c.replace("      ike = 2\n", "      ike = 2\n      chd = 4\n"));
        try (StrongSwan ss = conf.start()) {
            String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
            Process p = new ProcessBuilder("ip", "netns", "exec", ourNs, java, "-cp",
                    System.getProperty("java.class.path"), StrongSwanLabDriver.class.getName(),
                    weInitiate ? "initiator" : "responder", ourIp, ssIp, ourNet, ssNet, PSK, enc, integ, group,
                    espGroup, espEnc)
                    .redirectErrorStream(true).start();
            List<String> lines = new ArrayList<>();
            try (BufferedReader r = new BufferedReader(new InputStreamReader(p.getInputStream(),
                    StandardCharsets.UTF_8))) {
                String line;
                while ((line = r.readLine()) != null) {
                    lines.add(line);
                    if (line.equals("READY") && !weInitiate) {
                        assertThat(ss.swanctl("--initiate", "--child", "net").exit()).isZero();
                    }
                }
            }
            assertThat(p.waitFor()).as(String.join("\n", lines)).isZero();
            return lines;
        }
    }

    private static void checkAgainstCharon(Path dir, List<String> driver, boolean weInitiate) throws IOException {
        String all = String.join("\n", driver);
        assertThat(driver).as(all).anyMatch(l -> l.startsWith("EVENT Phase1Up")).contains("ALIVE")
                .anyMatch(l -> l.startsWith("EVENT Phase1Down")).anyMatch(l -> l.startsWith("FINAL CLOSED"));
        String[] child = driver.stream().filter(l -> l.startsWith("CHILD ")).findFirst().orElseThrow().split(" ");
        String inSpi = child[1];
        String outSpi = child[2];
        String inKey = child[3];
        String outKey = child[4];
        assertThat(child[5]).isEqualTo("true");
        String log = Files.readString(dir.resolve("ss/charon.log"));
        // charon's view: SPIs <its inbound>_i <its outbound>_o
        assertThat(log).contains("established with SPIs " + pad(outSpi) + "_i " + pad(inSpi) + "_o");
        List<String> initiatorKeys = charonKeys(log, "encryption initiator key");
        List<String> responderKeys = charonKeys(log, "encryption responder key");
        assertThat(weInitiate ? outKey : inKey).isEqualTo(initiatorKeys.getFirst());
        assertThat(weInitiate ? inKey : outKey).isEqualTo(responderKeys.getFirst());
        // the Child SA rekey we initiated: we are the CREATE_CHILD_SA initiator, whatever our IKE role
        String[] rekeyed = driver.stream().filter(l -> l.startsWith("REKEYED ")).findFirst().orElseThrow().split(" ");
        assertThat(log).contains("established with SPIs " + pad(rekeyed[2]) + "_i " + pad(rekeyed[1]) + "_o");
        assertThat(initiatorKeys).contains(rekeyed[4]);
        assertThat(responderKeys).contains(rekeyed[3]);
        assertThat(driver).contains("DELETED " + inSpi);
    }

    private static String pad(String hexSpi) {
        return "0".repeat(8 - hexSpi.length()) + hexSpi;
    }

    /** Every key charon dumped at level 4 under {@code name}, in log order. */
    static List<String> charonKeys(String log, String name) {
        List<String> out = new ArrayList<>();
        String rest = log;
        Optional<String> k;
        while ((k = charonKey(rest, name)).isPresent()) {
            out.add(k.get());
            rest = rest.substring(rest.indexOf(name + " => ") + name.length());
        }
        return out;
    }

    /** The hex of a key charon dumped at level 4: the lines after "{name} => N bytes", "   0: AA BB ...". */
    static Optional<String> charonKey(String log, String name) {
        String[] lines = log.split("\n");
        for (int i = 0; i < lines.length; i++) {
            if (lines[i].contains(name + " => ")) {
                StringBuilder hex = new StringBuilder();
                for (int j = i + 1; j < lines.length && lines[j].matches(".*\\]\\s+\\d+: .*"); j++) {
                    String rest = lines[j].substring(lines[j].indexOf(": ") + 2);
                    String area = rest.substring(0, Math.min(rest.length(), 47));
                    for (String tok : area.trim().split(" ")) {
                        if (tok.matches("[0-9A-F]{2}")) {
                            hex.append(tok);
                        }
                    }
                }
                return Optional.of(hex.toString().toLowerCase(Locale.ROOT));
            }
        }
        return Optional.empty();
    }

}
