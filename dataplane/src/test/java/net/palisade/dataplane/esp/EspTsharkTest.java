package net.palisade.dataplane.esp;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.fail;

import java.io.ByteArrayOutputStream;
import java.io.File;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HexFormat;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import net.palisade.model.crypto.AuthAlgorithm;
import net.palisade.model.crypto.EncryptionAlgorithm;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Wire-format check by an independent dissector: Wireshark's {@code tshark} (Debian 12 ships 4.0) reads a pcap of
 * tunnel-mode ESP packets that Palisade's transforms sealed, decrypts them with the SA keys given through the
 * {@code esp_sa} UAT and verifies their ICV.
 *
 * <p>The pcap ({@code LINKTYPE_RAW}, 101) holds, for AES-128-GCM and AES-256-GCM (RFC 4106, 16-octet ICV; sealed by
 * JCE and, when libcrypto loads, by OpenSSL too), AES-128-CBC + HMAC-SHA2-256-128 and AES-256-CBC + HMAC-SHA1-96,
 * each of two inner packets (an IPv4 ICMP echo request and an IPv6 UDP datagram, checksums computed here) in each
 * of four wrappings: ESP-in-UDP on port 4500 (RFC 3948) and raw ESP (IP protocol 50), over IPv4 and over IPv6.
 * Every frame has its own SPI and a sequence number above 2^31. For every frame tshark must report no malformed
 * packet and no error-level expert info, our SPI and sequence number, a correct ICV, the padding 1, 2, 3, ... with
 * the right pad length and next header (4 or 41), and the exact inner packet, which it then dissects with good IP,
 * ICMP and UDP checksums, our ICMP identifier and sequence, our UDP ports.
 *
 * <p>A control frame per transform with one ICV bit flipped must be reported as a bad ICV, so that the "ICV
 * correct" assertions cannot pass because tshark skipped the check. tshark 4.0 verifies both the AES-GCM tag and
 * the truncated HMACs. ESN SAs are not covered: tshark 4.0's {@code esp_sa} table has no field for the high
 * sequence bits (IndependentCrossCheckTest and ScapyInteropTest cover ESN).
 *
 * <p>A machine without tshark fails this test with instructions; {@code -Dpalisade.skipExternal=true} skips it.
 * {@code -Dpalisade.tshark=...} names another binary. On a failure the pcap and the tshark command are kept under
 * {@code java.io.tmpdir} and named in the assertion message, to be opened by hand.
 */
class EspTsharkTest {

    private static final String HOW_TO_FIX = "EspTsharkTest needs Wireshark's tshark (4.0 or later) on PATH "
            + "(as root: apt-get update && apt-get install -y tshark), or -Dpalisade.tshark=/path/to/tshark, "
            + "or -Dpalisade.skipExternal=true to skip external interop tests";

    /** One ESP SA configuration, with the names tshark's {@code esp_sa} UAT gives the same algorithms. */
    enum Suite {
        AES_128_GCM("aes-128-gcm", "none", "AES-GCM with 16 octet ICV [RFC4106]", "NULL", 4),
        AES_256_GCM("aes-256-gcm", "none", "AES-GCM with 16 octet ICV [RFC4106]", "NULL", 4),
        AES_128_CBC_SHA256("aes-128", "hmac-sha2-256", "AES-CBC [RFC3602]", "HMAC-SHA-256-128 [RFC4868]", 16),
        AES_256_CBC_SHA1("aes-256", "hmac-sha1", "AES-CBC [RFC3602]", "HMAC-SHA-1-96 [RFC2404]", 16);

        final EncryptionAlgorithm encryption;
        final Optional<AuthAlgorithm> integrity;
        final String tsharkEncryption;
        final String tsharkAuthentication;
        /** What the ciphertext (payload, padding, trailer) must be a multiple of. */
        final int alignment;

        Suite(String encryption, String integrity, String tsharkEncryption, String tsharkAuthentication,
                int alignment) {
            this.encryption = EncryptionAlgorithm.fromKeyword(encryption);
            this.integrity = integrity.equals("none") ? Optional.empty()
                    : Optional.of(AuthAlgorithm.fromKeyword(integrity));
            this.tsharkEncryption = tsharkEncryption;
            this.tsharkAuthentication = tsharkAuthentication;
            this.alignment = alignment;
        }
    }

    enum Inner {
        IPV4_ICMP_ECHO, IPV6_UDP
    }

    enum Outer {
        IPV4_UDP_4500(false, true), IPV4_ESP(false, false), IPV6_UDP_4500(true, true), IPV6_ESP(true, false);

        final boolean ipv6;
        final boolean udp;

        Outer(boolean ipv6, boolean udp) {
            this.ipv6 = ipv6;
            this.udp = udp;
        }
    }

    /** One frame of the pcap: what it is, and what Palisade sealed. */
    record Frame(int number, Suite suite, CryptoImplementation implementation, Inner inner, Outer outer,
            boolean corruptIcv, int spi, long sequence, byte[] encryptionKey, byte[] integrityKey, byte[] innerPacket,
            byte[] esp, byte[] wire) {

        @Override
        public String toString() {
            return "frame " + number + " " + suite.encryption + suite.integrity.map(i -> "/" + i).orElse("")
                    + (suite.encryption.aead() ? " (" + implementation + ")" : "")
                    + " " + inner + " in " + outer + (corruptIcv ? " with a corrupted ICV" : "")
                    + String.format(Locale.ROOT, " spi=0x%08x seq=%d", spi, sequence);
        }
    }

    // Addresses from the documentation ranges (RFC 5737, RFC 3849).
    private static final byte[] OUTER4_SRC = {(byte) 192, 0, 2, 1};
    private static final byte[] OUTER4_DST = {(byte) 198, 51, 100, 2};
    private static final byte[] OUTER6_SRC = HexFormat.of().parseHex("20010db8000000a10000000000000001");
    private static final byte[] OUTER6_DST = HexFormat.of().parseHex("20010db8000000b20000000000000002");
    private static final byte[] INNER4_SRC = {10, 1, 0, 7};
    private static final byte[] INNER4_DST = {10, 2, 0, 9};
    private static final byte[] INNER6_SRC = HexFormat.of().parseHex("20010db8000100000000000000000010");
    private static final byte[] INNER6_DST = HexFormat.of().parseHex("20010db8000200000000000000000020");
    private static final int INNER_UDP_SRC_PORT = 40001;
    /** The discard port: tshark's dissector for it accepts any payload. */
    private static final int INNER_UDP_DST_PORT = 9;
    private static final int NAT_T_PORT = 4500;

    private static final List<Frame> FRAMES = buildFrames();

    private static Path workDir;
    private static Path pcap;
    private static List<String> tsharkCommand;
    private static Map<Integer, String> verbose;
    private static Map<Integer, Map<String, String>> fields;
    /** Set by any failed check: then the pcap is kept for a look by hand. */
    private static volatile boolean failed;

    static Stream<Frame> frames() {
        return FRAMES.stream().filter(f -> !f.corruptIcv());
    }

    static Stream<Frame> corruptedFrames() {
        return FRAMES.stream().filter(Frame::corruptIcv);
    }

    // ---- running tshark -----------------------------------------------------------------------------------

    @BeforeAll
    static void runTshark() throws Exception {
        Assumptions.assumeFalse(Boolean.getBoolean("palisade.skipExternal"),
                "palisade.skipExternal=true: tshark interop skipped");
        String tshark = findTshark().orElseGet(() -> fail("tshark not found on PATH. " + HOW_TO_FIX));
        Result version = run(List.of(tshark, "-v"), null);
        if (version.exitCode() != 0 || !version.stdout().contains("TShark")) {
            fail(tshark + " -v failed (" + version.stderr().strip() + "). " + HOW_TO_FIX);
        }

        workDir = Files.createTempDirectory("palisade-tshark");
        pcap = workDir.resolve("palisade-esp.pcap");
        Files.write(pcap, pcap(FRAMES));
        // An empty personal configuration directory: a developer's own esp_sa table or preferences must not change
        // what this test sees.
        Path config = Files.createDirectories(workDir.resolve("config"));

        List<String> common = new ArrayList<>(List.of(tshark, "-n", "-r", pcap.toString(),
                "-o", "esp.enable_encryption_decode:TRUE",
                "-o", "esp.enable_authentication_check:TRUE",
                "-o", "ip.check_checksum:TRUE",
                "-o", "udp.check_checksum:TRUE"));
        for (Frame f : FRAMES) {
            common.add("-o");
            common.add("uat:esp_sa:" + uatRecord(f));
        }

        List<String> verboseCommand = new ArrayList<>(common);
        verboseCommand.add("-V");
        tsharkCommand = verboseCommand;
        Result v = run(verboseCommand, config);
        assertThat(v.exitCode()).as("tshark -V failed: %s", v.stderr()).isZero();
        assertThat(v.stderr()).as("tshark complained (UAT or preference errors?)")
                .doesNotContainIgnoringCase("error").doesNotContainIgnoringCase("invalid");
        verbose = splitFrames(v.stdout());

        List<String> fieldCommand = new ArrayList<>(common);
        fieldCommand.addAll(List.of("-T", "fields", "-E", "separator=/t", "-E", "occurrence=a", "-E",
                "aggregator=,"));
        for (String field : FIELDS) {
            fieldCommand.add("-e");
            fieldCommand.add(field);
        }
        Result t = run(fieldCommand, config);
        assertThat(t.exitCode()).as("tshark -T fields failed: %s", t.stderr()).isZero();
        fields = parseFields(t.stdout());

        assertThat(verbose.keySet()).as("frames tshark read from %s", pcap).hasSize(FRAMES.size());
        assertThat(fields.keySet()).as("frames tshark read from %s", pcap).hasSize(FRAMES.size());
    }

    @AfterAll
    static void cleanUp() throws IOException {
        if (workDir == null) {
            return;
        }
        if (failed) {
            Files.writeString(workDir.resolve("tshark-command.txt"), String.join("\n", tsharkCommand) + "\n");
            System.err.println("EspTsharkTest: kept " + pcap + " and " + workDir.resolve("tshark-command.txt"));
            return;
        }
        try (Stream<Path> paths = Files.walk(workDir)) {
            paths.sorted((a, b) -> b.getNameCount() - a.getNameCount()).map(Path::toFile).forEach(File::delete);
        }
    }

    private static Optional<String> findTshark() {
        String configured = System.getProperty("palisade.tshark");
        if (configured != null && !configured.isBlank()) {
            if (!Files.isExecutable(Path.of(configured))) {
                fail("-Dpalisade.tshark=" + configured + " is not an executable file. " + HOW_TO_FIX);
            }
            return Optional.of(configured);
        }
        String path = System.getenv().getOrDefault("PATH", "/usr/bin:/bin");
        return Stream.of(path.split(File.pathSeparator)).filter(dir -> !dir.isEmpty())
                .map(dir -> Path.of(dir, "tshark")).filter(Files::isExecutable).map(Path::toString).findFirst();
    }

    /**
     * One record of tshark's {@code esp_sa} UAT: protocol, source, destination, SPI, encryption algorithm, its key
     * (cipher key followed by the salt for AES-GCM), authentication algorithm, its key.
     */
    private static String uatRecord(Frame f) throws IOException {
        String protocol = f.outer().ipv6 ? "IPv6" : "IPv4";
        String src = address(f.outer().ipv6 ? OUTER6_SRC : OUTER4_SRC);
        String dst = address(f.outer().ipv6 ? OUTER6_DST : OUTER4_DST);
        return String.join(",", quote(protocol), quote(src), quote(dst),
                quote(String.format(Locale.ROOT, "0x%08x", f.spi())), quote(f.suite().tsharkEncryption),
                quote("0x" + hex(f.encryptionKey())), quote(f.suite().tsharkAuthentication),
                quote(f.integrityKey().length == 0 ? "" : "0x" + hex(f.integrityKey())));
    }

    private static String quote(String s) {
        return '"' + s + '"';
    }

    private static String address(byte[] a) throws IOException {
        return java.net.InetAddress.getByAddress(a).getHostAddress();
    }

    record Result(int exitCode, String stdout, String stderr) {
    }

    private static Result run(List<String> command, Path configDir) throws IOException, InterruptedException {
        ProcessBuilder pb = new ProcessBuilder(command);
        if (configDir != null) {
            pb.environment().put("WIRESHARK_CONFIG_DIR", configDir.toString());
        }
        pb.redirectInput(ProcessBuilder.Redirect.from(new File("/dev/null")));
        Process p = pb.start();
        ByteArrayOutputStream err = new ByteArrayOutputStream();
        Thread errReader = Thread.ofVirtual().start(() -> {
            try {
                p.getErrorStream().transferTo(err);
            } catch (IOException ignored) {
                // the process ended
            }
        });
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        // A guard against a hung tshark, not a timing assertion.
        if (!p.waitFor(5, TimeUnit.MINUTES)) {
            p.destroyForcibly();
            fail("tshark did not finish: " + command);
        }
        errReader.join();
        return new Result(p.exitValue(), out, err.toString(StandardCharsets.UTF_8));
    }

    private static final Pattern FRAME_START = Pattern.compile("(?m)^Frame (\\d+): ");

    private static Map<Integer, String> splitFrames(String output) {
        Map<Integer, String> byFrame = new HashMap<>();
        Matcher m = FRAME_START.matcher(output);
        int number = -1;
        int start = -1;
        while (m.find()) {
            if (number > 0) {
                byFrame.put(number, output.substring(start, m.start()));
            }
            number = Integer.parseInt(m.group(1));
            start = m.start();
        }
        if (number > 0) {
            byFrame.put(number, output.substring(start));
        }
        return byFrame;
    }

    private static final List<String> FIELDS = List.of("frame.number", "frame.protocols", "_ws.malformed",
            "esp.spi", "esp.sequence", "esp.iv", "esp.icv", "esp.icv_good", "esp.icv_bad", "esp.decrypted_data",
            "esp.contained_data", "esp.pad", "esp.pad_len", "esp.protocol", "ip.src", "ip.dst",
            "ip.checksum.status", "ipv6.src", "ipv6.dst", "udp.srcport", "udp.dstport", "udp.checksum.status",
            "icmp.type", "icmp.ident", "icmp.seq", "icmp.checksum.status");

    private static Map<Integer, Map<String, String>> parseFields(String output) {
        Map<Integer, Map<String, String>> byFrame = new HashMap<>();
        for (String line : output.split("\n")) {
            if (line.isBlank()) {
                continue;
            }
            String[] values = line.split("\t", -1);
            Map<String, String> m = new HashMap<>();
            for (int i = 0; i < FIELDS.size(); i++) {
                m.put(FIELDS.get(i), i < values.length ? values[i].strip() : "");
            }
            byFrame.put(Integer.parseInt(m.get("frame.number")), m);
        }
        return byFrame;
    }

    // ---- the checks ---------------------------------------------------------------------------------------

    @ParameterizedTest(name = "{0}")
    @MethodSource("frames")
    @DisplayName("tshark parses, ICV-checks and decrypts a tunnel-mode packet Palisade sealed")
    void tsharkDecryptsOurPacket(Frame f) {
        keepPcapIfFailing(() -> checkDecrypted(f));
    }

    private static void checkDecrypted(Frame f) {
        String text = verbose.get(f.number());
        Map<String, String> v = fields.get(f.number());
        String where = "tshark on " + f + " (pcap " + pcap + ")\n" + text;

        // Nothing tshark considers broken.
        assertThat(text).as(where).doesNotContain("Malformed").doesNotContain("[Expert Info (Error")
                .doesNotContain("Invalid length").doesNotContain("incorrect").doesNotContain("Bad: True")
                .doesNotContain("[unchecked]");
        assertThat(v.get("_ws.malformed")).as(where).isEmpty();

        // Framing: the outer headers and the ESP header.
        String outerPrefix = "raw:" + (f.outer().ipv6 ? "ipv6" : "ip") + (f.outer().udp ? ":udp:udpencap" : "")
                + ":esp:";
        String innerProtocols = f.inner() == Inner.IPV4_ICMP_ECHO ? "ip:icmp:data" : "ipv6:udp:";
        assertThat(v.get("frame.protocols")).as(where).startsWith(outerPrefix + innerProtocols);
        if (f.outer().udp) {
            assertThat(text).as(where).contains("UDP Encapsulation of IPsec Packets")
                    .contains("Src Port: " + NAT_T_PORT + ", Dst Port: " + NAT_T_PORT);
        }
        assertThat(text).as(where)
                .contains(String.format(Locale.ROOT, "ESP SPI: 0x%08x (%d)", f.spi(), f.spi() & 0xFFFF_FFFFL))
                .contains("ESP Sequence: " + f.sequence());
        assertThat(Long.decode(v.get("esp.spi"))).as(where).isEqualTo(f.spi() & 0xFFFF_FFFFL);
        assertThat(Long.parseLong(v.get("esp.sequence"))).as(where).isEqualTo(f.sequence());
        int ivLength = f.suite().encryption.aead() ? EspConstants.AEAD_EXPLICIT_IV_LENGTH : 16;
        assertThat(v.get("esp.iv")).as(where).isEqualTo(hex(f.esp(), 8, ivLength));

        // Integrity: tshark recomputed the AES-GCM tag / the truncated HMAC and found ours.
        int icvLength = f.suite().encryption.aead() ? EspConstants.AEAD_ICV_LENGTH
                : f.suite().integrity.orElseThrow().icvBytes();
        assertThat(v.get("esp.icv")).as(where).isEqualTo(hex(f.esp(), f.esp().length - icvLength, icvLength));
        assertThat(text).as(where).containsPattern("ESP ICV: [0-9a-f]+ \\(" + icvLength + " bytes\\) <[^>]+> "
                + "\\[correct\\]").contains("[Good: True]").contains("[Bad: False]");
        assertThat(v.get("esp.icv_good")).as(where).isIn("1", "True");
        assertThat(v.get("esp.icv_bad")).as(where).isIn("0", "False");

        // Encryption and the trailer: the exact inner packet, padding 1, 2, 3, ..., pad length, next header.
        assertThat(v.get("esp.contained_data")).as(where).isEqualTo(hex(f.innerPacket()));
        int padLength = Integer.decode(v.get("esp.pad_len"));
        byte[] expectedPad = new byte[padLength];
        for (int i = 0; i < padLength; i++) {
            expectedPad[i] = (byte) (i + 1);
        }
        assertThat(v.get("esp.pad")).as(where).isEqualTo(hex(expectedPad));
        int ciphertextLength = f.innerPacket().length + padLength + EspConstants.TRAILER_LENGTH;
        assertThat(v.get("esp.decrypted_data").length()).as(where).isEqualTo(2 * ciphertextLength);
        assertThat(ciphertextLength % f.suite().alignment).as(where).isZero();
        assertThat(padLength).as("minimal padding: " + where).isLessThan(f.suite().alignment);
        assertThat(8 + ivLength + ciphertextLength + icvLength).as(where).isEqualTo(f.esp().length);
        int nextHeader = f.inner() == Inner.IPV4_ICMP_ECHO ? EspConstants.NEXT_HEADER_IPV4
                : EspConstants.NEXT_HEADER_IPV6;
        assertThat(Integer.decode(v.get("esp.protocol"))).as(where).isEqualTo(nextHeader);
        assertThat(text).as(where).contains(f.inner() == Inner.IPV4_ICMP_ECHO ? "Next header: IPIP (0x04)"
                : "Next header: IPv6 (0x29)");

        // The decrypted inner packet, as tshark dissects it.
        if (f.inner() == Inner.IPV4_ICMP_ECHO) {
            assertThat(text).as(where).contains("Internet Protocol Version 4, Src: 10.1.0.7, Dst: 10.2.0.9")
                    .contains("Type: 8 (Echo (ping) request)")
                    .contains("Identifier (BE): " + icmpIdentifier(f) + " (")
                    .contains("Sequence Number (BE): " + icmpSequence(f) + " (");
            assertThat(last(v.get("ip.src"))).as(where).isEqualTo("10.1.0.7");
            assertThat(last(v.get("ip.dst"))).as(where).isEqualTo("10.2.0.9");
            assertThat(last(v.get("ip.checksum.status"))).as("inner IPv4 header checksum good: " + where)
                    .isEqualTo(GOOD);
            assertThat(v.get("icmp.type")).as(where).isEqualTo("8");
            assertThat(v.get("icmp.ident")).as(where).isEqualTo(Integer.toString(icmpIdentifier(f)));
            assertThat(v.get("icmp.seq")).as(where).isEqualTo(Integer.toString(icmpSequence(f)));
            assertThat(v.get("icmp.checksum.status")).as("ICMP checksum good: " + where).isEqualTo(GOOD);
        } else {
            assertThat(text).as(where)
                    .contains("Internet Protocol Version 6, Src: 2001:db8:1::10, Dst: 2001:db8:2::20")
                    .contains("User Datagram Protocol, Src Port: " + INNER_UDP_SRC_PORT + ", Dst Port: "
                            + INNER_UDP_DST_PORT);
            assertThat(last(v.get("ipv6.src"))).as(where).isEqualTo("2001:db8:1::10");
            assertThat(last(v.get("ipv6.dst"))).as(where).isEqualTo("2001:db8:2::20");
            assertThat(last(v.get("udp.srcport"))).as(where).isEqualTo(Integer.toString(INNER_UDP_SRC_PORT));
            assertThat(last(v.get("udp.dstport"))).as(where).isEqualTo(Integer.toString(INNER_UDP_DST_PORT));
            assertThat(last(v.get("udp.checksum.status"))).as("inner UDP checksum good: " + where)
                    .isEqualTo(GOOD);
        }
        // Outer checksums: IPv4 header checksum, and the UDP checksum when we sent one (zero over IPv4, as
        // RFC 3948 Section 2.1 recommends; computed over IPv6, where zero is not allowed).
        if (!f.outer().ipv6) {
            assertThat(first(v.get("ip.checksum.status"))).as("outer IPv4 header checksum good: " + where)
                    .isEqualTo(GOOD);
        }
        if (f.outer().udp) {
            assertThat(first(v.get("udp.checksum.status"))).as("outer UDP checksum: " + where)
                    .isEqualTo(f.outer().ipv6 ? GOOD : NOT_PRESENT);
        }
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("corruptedFrames")
    @DisplayName("control: tshark reports a flipped ICV bit as a bad ICV (so the checks above are real)")
    void tsharkRejectsCorruptedIcv(Frame f) {
        keepPcapIfFailing(() -> checkRejected(f));
    }

    private static void checkRejected(Frame f) {
        String text = verbose.get(f.number());
        Map<String, String> v = fields.get(f.number());
        String where = "tshark on " + f + " (pcap " + pcap + ")\n" + text;
        assertThat(text).as(where).containsPattern("ESP ICV: [0-9a-f]+ \\(\\d+ bytes\\) <[^>]+> \\[incorrect")
                .contains("[Bad: True]");
        assertThat(v.get("esp.icv_bad")).as(where).isIn("1", "True");
        assertThat(Long.decode(v.get("esp.spi"))).as(where).isEqualTo(f.spi() & 0xFFFF_FFFFL);
    }

    private static void keepPcapIfFailing(Runnable checks) {
        try {
            checks.run();
        } catch (AssertionError | RuntimeException e) {
            failed = true;
            throw e;
        }
    }

    /** tshark's checksum status values (PROTO_CHECKSUM_E_GOOD, PROTO_CHECKSUM_E_NOT_PRESENT in epan/proto.h). */
    private static final String GOOD = "1";
    private static final String NOT_PRESENT = "3";

    private static String first(String aggregated) {
        return aggregated.split(",", -1)[0];
    }

    private static String last(String aggregated) {
        String[] parts = aggregated.split(",", -1);
        return parts[parts.length - 1];
    }

    // ---- building the packets -----------------------------------------------------------------------------

    private static List<Frame> buildFrames() {
        List<CryptoImplementation> aeadImplementations = CryptoImplementation.OPENSSL.isAvailable()
                ? List.of(CryptoImplementation.JCE, CryptoImplementation.OPENSSL)
                : List.of(CryptoImplementation.JCE);
        List<Frame> frames = new ArrayList<>();
        for (Suite suite : Suite.values()) {
            List<CryptoImplementation> implementations = suite.encryption.aead() ? aeadImplementations
                    : List.of(CryptoImplementation.JCE);
            for (CryptoImplementation implementation : implementations) {
                for (Inner inner : Inner.values()) {
                    for (Outer outer : Outer.values()) {
                        frames.add(frame(frames.size() + 1, suite, implementation, inner, outer, false));
                    }
                }
            }
            frames.add(frame(frames.size() + 1, suite, CryptoImplementation.JCE, Inner.IPV4_ICMP_ECHO,
                    Outer.IPV4_ESP, true));
        }
        return List.copyOf(frames);
    }

    private static Frame frame(int number, Suite suite, CryptoImplementation implementation, Inner inner,
            Outer outer, boolean corruptIcv) {
        // Distinct, deterministic keys per frame; SPIs with the top bit set and sequence numbers above 2^31, so
        // that a signedness slip would show.
        byte[] encryptionKey = pattern(suite.encryption.keyMaterialBytes(), 0x11 * number);
        byte[] integrityKey = pattern(suite.integrity.map(AuthAlgorithm::keyBytes).orElse(0), 0x5a + number);
        int spi = 0xC0DE0000 | number;
        long sequence = 0x8000_0000L + 1000L * number + 7;

        // Payload lengths that walk through every padding length the alignment allows.
        byte[] innerPacket = inner == Inner.IPV4_ICMP_ECHO
                ? ipv4IcmpEcho(INNER4_SRC, INNER4_DST, 0x4000 + number, 0x100 + number, 48 + number % 16)
                : ipv6Udp(INNER6_SRC, INNER6_DST, INNER_UDP_SRC_PORT, INNER_UDP_DST_PORT, 21 + 3 * number % 16);

        EspTransform transform = suite.encryption.aead()
                ? EspTransforms.create(suite.encryption, suite.integrity, encryptionKey, null, false,
                        implementation)
                : EspTransforms.create(suite.encryption.keyword(), suite.integrity.orElseThrow().keyword(),
                        concat(encryptionKey, integrityKey), false);
        byte[] esp = new byte[transform.sealedLength(innerPacket.length)];
        int written = transform.sealTunnel(spi, sequence, innerPacket, 0, innerPacket.length, esp, 0);
        assertThat(written).isEqualTo(esp.length);
        if (corruptIcv) {
            esp[esp.length - 1] ^= 0x01;
        }
        byte[] wire = switch (outer) {
            case IPV4_UDP_4500 -> ipv4(OUTER4_SRC, OUTER4_DST, 17, udp(null, null, NAT_T_PORT, NAT_T_PORT, esp),
                    number);
            case IPV4_ESP -> ipv4(OUTER4_SRC, OUTER4_DST, 50, esp, number);
            case IPV6_UDP_4500 -> ipv6(OUTER6_SRC, OUTER6_DST, 17,
                    udp(OUTER6_SRC, OUTER6_DST, NAT_T_PORT, NAT_T_PORT, esp));
            case IPV6_ESP -> ipv6(OUTER6_SRC, OUTER6_DST, 50, esp);
        };
        return new Frame(number, suite, implementation, inner, outer, corruptIcv, spi, sequence, encryptionKey,
                integrityKey, innerPacket, esp, wire);
    }

    private static int icmpIdentifier(Frame f) {
        return 0x4000 + f.number();
    }

    private static int icmpSequence(Frame f) {
        return 0x100 + f.number();
    }

    private static byte[] pattern(int length, int seed) {
        byte[] b = new byte[length];
        for (int i = 0; i < length; i++) {
            b[i] = (byte) (seed + 7 * i + 1);
        }
        return b;
    }

    /** An IPv4 ICMP echo request with {@code dataLength} octets of data and valid header and ICMP checksums. */
    static byte[] ipv4IcmpEcho(byte[] src, byte[] dst, int identifier, int sequence, int dataLength) {
        byte[] icmp = new byte[8 + dataLength];
        icmp[0] = 8; // echo request, code 0
        putShort(icmp, 4, identifier);
        putShort(icmp, 6, sequence);
        for (int i = 0; i < dataLength; i++) {
            icmp[8 + i] = (byte) (0x20 + i);
        }
        putShort(icmp, 2, checksum(0, icmp, 0, icmp.length));
        return ipv4(src, dst, 1, icmp, identifier);
    }

    /** An IPv6 UDP datagram with {@code dataLength} octets of data and a valid UDP checksum. */
    static byte[] ipv6Udp(byte[] src, byte[] dst, int srcPort, int dstPort, int dataLength) {
        byte[] data = new byte[dataLength];
        for (int i = 0; i < dataLength; i++) {
            data[i] = (byte) ('a' + i % 26);
        }
        return ipv6(src, dst, 17, udp(src, dst, srcPort, dstPort, data));
    }

    /** An IPv4 header (DF set, TTL 64, valid header checksum) followed by {@code payload}. */
    static byte[] ipv4(byte[] src, byte[] dst, int protocol, byte[] payload, int identification) {
        byte[] p = new byte[20 + payload.length];
        p[0] = 0x45;
        putShort(p, 2, p.length);
        putShort(p, 4, identification);
        p[6] = 0x40; // don't fragment
        p[8] = 64;
        p[9] = (byte) protocol;
        System.arraycopy(src, 0, p, 12, 4);
        System.arraycopy(dst, 0, p, 16, 4);
        putShort(p, 10, checksum(0, p, 0, 20));
        System.arraycopy(payload, 0, p, 20, payload.length);
        return p;
    }

    /** An IPv6 header (hop limit 64) followed by {@code payload}. */
    static byte[] ipv6(byte[] src, byte[] dst, int nextHeader, byte[] payload) {
        byte[] p = new byte[40 + payload.length];
        p[0] = 0x60;
        putShort(p, 4, payload.length);
        p[6] = (byte) nextHeader;
        p[7] = 64;
        System.arraycopy(src, 0, p, 8, 16);
        System.arraycopy(dst, 0, p, 24, 16);
        System.arraycopy(payload, 0, p, 40, payload.length);
        return p;
    }

    /**
     * A UDP header and {@code payload}; the checksum is computed over the IPv6 pseudo-header (RFC 8200 Section
     * 8.1) when {@code src6}/{@code dst6} are given, else left zero (RFC 3948 Section 2.1, over IPv4).
     */
    static byte[] udp(byte[] src6, byte[] dst6, int srcPort, int dstPort, byte[] payload) {
        byte[] u = new byte[8 + payload.length];
        putShort(u, 0, srcPort);
        putShort(u, 2, dstPort);
        putShort(u, 4, u.length);
        System.arraycopy(payload, 0, u, 8, payload.length);
        if (src6 != null) {
            byte[] pseudo = new byte[40];
            System.arraycopy(src6, 0, pseudo, 0, 16);
            System.arraycopy(dst6, 0, pseudo, 16, 16);
            putShort(pseudo, 32, u.length >>> 16);
            putShort(pseudo, 34, u.length & 0xffff);
            pseudo[39] = 17;
            int c = checksum(sum(0, pseudo, 0, pseudo.length), u, 0, u.length);
            putShort(u, 6, c == 0 ? 0xffff : c);
        }
        return u;
    }

    private static int sum(int acc, byte[] b, int off, int len) {
        for (int i = 0; i < len; i += 2) {
            int hi = b[off + i] & 0xff;
            int lo = i + 1 < len ? b[off + i + 1] & 0xff : 0;
            acc += (hi << 8) | lo;
        }
        return acc;
    }

    /** RFC 1071 Internet checksum of {@code b[off, off+len)}, starting from the partial sum {@code acc}. */
    private static int checksum(int acc, byte[] b, int off, int len) {
        long s = sum(acc, b, off, len) & 0xFFFF_FFFFL;
        while ((s >>> 16) != 0) {
            s = (s & 0xffff) + (s >>> 16);
        }
        return (int) (~s & 0xffff);
    }

    private static void putShort(byte[] b, int off, int v) {
        b[off] = (byte) (v >>> 8);
        b[off + 1] = (byte) v;
    }

    private static byte[] concat(byte[] a, byte[] b) {
        byte[] out = new byte[a.length + b.length];
        System.arraycopy(a, 0, out, 0, a.length);
        System.arraycopy(b, 0, out, a.length, b.length);
        return out;
    }

    /** A classic pcap file (little-endian, microseconds) with {@code LINKTYPE_RAW} (101): IPv4 or IPv6 frames. */
    static byte[] pcap(List<Frame> frames) {
        int size = 24;
        for (Frame f : frames) {
            size += 16 + f.wire().length;
        }
        ByteBuffer b = ByteBuffer.allocate(size).order(ByteOrder.LITTLE_ENDIAN);
        b.putInt(0xa1b2c3d4).putShort((short) 2).putShort((short) 4).putInt(0).putInt(0).putInt(65535).putInt(101);
        for (Frame f : frames) {
            b.putInt(1_798_000_000 + f.number()).putInt(0).putInt(f.wire().length).putInt(f.wire().length)
                    .put(f.wire());
        }
        return b.array();
    }

    private static String hex(byte[] b) {
        return HexFormat.of().formatHex(b);
    }

    private static String hex(byte[] b, int off, int len) {
        return HexFormat.of().formatHex(b, off, off + len);
    }
}
