package net.palisade.ops.debug;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.io.Writer;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.channels.Channels;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.PosixFilePermission;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.HexFormat;
import java.util.Locale;
import java.util.Optional;
import java.util.Set;
import net.palisade.controlplane.ike.IkeOutput;
import net.palisade.controlplane.ike.IkeSaSnapshot;
import net.palisade.controlplane.ike.KeyLog;
import net.palisade.model.crypto.AuthAlgorithm;
import net.palisade.model.crypto.EncryptionAlgorithm;
import net.palisade.model.secret.Secret;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * {@code palisade run --wireshark-keys DIR}: appends the keys of every IKEv2 SA and every ESP SA the node negotiates
 * to the two tables Wireshark decrypts with, in a directory that works as a Wireshark configuration directory
 * ({@code WIRESHARK_CONFIG_DIR=DIR tshark -r capture.pcap}, or copy the files into a profile):
 * <ul>
 *   <li>{@code ikev2_decryption_table}: initiator and responder SPI, SK_ei, SK_er, encryption, SK_ai, SK_ar,
 *       integrity — Wireshark then shows the encrypted IKE messages (IKE_AUTH, CREATE_CHILD_SA, INFORMATIONAL);</li>
 *   <li>{@code esp_sa}: one record per direction of each Child SA (addresses, SPI, keys) — Wireshark then shows the
 *       packets inside ESP;</li>
 *   <li>{@code preferences}, only when the directory has none: ESP decryption on (Wireshark's default is off).</li>
 * </ul>
 *
 * <p>Whoever reads these files can decrypt every tunnel's traffic captured while they were written: the directory is
 * made mode 0700 and the files 0600, and the node logs a warning at start. The names are Wireshark 4.0's (Debian 12);
 * what it cannot decrypt (ChaCha20-Poly1305; ESP with extended sequence numbers, for which its table has no field)
 * is left out with a line in the log. IKEv1 SAs are not written (only their ESP SAs are), nor IKE SAs a node
 * resumed from the journal.
 */
public final class WiresharkKeys implements KeyLog, AutoCloseable {
    private static final Logger log = LoggerFactory.getLogger(WiresharkKeys.class);
    private static final HexFormat HEX = HexFormat.of();
    private static final Set<PosixFilePermission> OWNER_ONLY = PosixFilePermissions.fromString("rw-------");

    /** The file names Wireshark reads in its configuration directory. */
    public static final String IKEV2_TABLE = "ikev2_decryption_table";
    public static final String ESP_TABLE = "esp_sa";
    public static final String PREFERENCES = "preferences";

    private final Path dir;
    private final Writer ike;
    private final Writer esp;

    private WiresharkKeys(Path dir, Writer ike, Writer esp) {
        this.dir = dir;
        this.ike = ike;
        this.esp = esp;
    }

    /**
     * Opens (creating it mode 0700 if missing) {@code dir} and its two tables for appending (mode 0600; an existing
     * table with wider permissions is narrowed to 0600).
     *
     * @throws IOException when the directory or a file cannot be made
     */
    public static WiresharkKeys open(Path dir) throws IOException {
        if (!Files.isDirectory(dir)) {
            Files.createDirectories(dir, PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rwx------")));
        }
        Path prefs = dir.resolve(PREFERENCES);
        if (!Files.exists(prefs, LinkOption.NOFOLLOW_LINKS)) {
            Files.writeString(prefs, "# written by palisade run --wireshark-keys: decrypt ESP with the esp_sa table\n"
                    + "esp.enable_encryption_decode: TRUE\n", StandardCharsets.UTF_8);
        }
        Writer ike = append(dir.resolve(IKEV2_TABLE));
        try {
            return new WiresharkKeys(dir, ike, append(dir.resolve(ESP_TABLE)));
        } catch (IOException e) {
            ike.close();
            throw e;
        }
    }

    private static Writer append(Path file) throws IOException {
        try {
            Files.createFile(file, PosixFilePermissions.asFileAttribute(OWNER_ONLY));
        } catch (FileAlreadyExistsException e) {
            if (!Files.getPosixFilePermissions(file, LinkOption.NOFOLLOW_LINKS).equals(OWNER_ONLY)) {
                Files.setPosixFilePermissions(file, OWNER_ONLY);
            }
        }
        FileChannel ch = FileChannel.open(file, Set.of(StandardOpenOption.WRITE, StandardOpenOption.APPEND,
                LinkOption.NOFOLLOW_LINKS));
        return Channels.newWriter(ch, StandardCharsets.UTF_8);
    }

    /** @return the directory the tables are in */
    public Path dir() {
        return dir;
    }

    @Override
    public synchronized void record(String label, IkeOutput.Event event) {
        try {
            switch (event) {
                case IkeOutput.IkeSaState s -> ikeSa(label, s.snapshot());
                case IkeOutput.ChildSaInstalled c -> childSa(label, c);
                case IkeOutput.ChildSaRekeyed r -> childSa(label, r.replacement());
                default -> { }
            }
        } catch (IOException e) {
            throw new UncheckedIOException("cannot write to " + dir + ": " + e.getMessage(), e);
        }
    }

    private void ikeSa(String label, IkeSaSnapshot s) throws IOException {
        Optional<String> encryption = ikeEncryption(s.encryption());
        if (encryption.isEmpty()) {
            log.info("tunnel {}: Wireshark cannot decrypt IKE SA {} ({}): not written to {}", label, s.id(),
                    s.encryption().keyword(), dir);
            return;
        }
        var k = s.keys();
        // SPIs and keys are hex octets, unquoted; the algorithm names are quoted strings (Wireshark's UAT syntax)
        ike.write(String.join(",", spi(s.spiI()), spi(s.spiR()), HEX.formatHex(k.skEi()), HEX.formatHex(k.skEr()),
                quote(encryption.get()), hexOrEmpty(k.skAi()), hexOrEmpty(k.skAr()),
                quote(ikeIntegrity(s.integrity()))) + "\n");
        ike.flush();
        log.debug("tunnel {}: keys of IKE SA {} written to {}", label, s.id(), dir);
    }

    private void childSa(String label, IkeOutput.ChildSaInstalled c) throws IOException {
        Optional<String> encryption = espEncryption(c.encryption());
        if (encryption.isEmpty() || c.esn()) {
            log.info("tunnel {}: Wireshark 4.0 cannot decrypt Child SA 0x{} ({}{}): not written to {}", label,
                    Long.toHexString(c.inboundSpi()), c.encryption().keyword(), c.esn() ? ", ESN" : "", dir);
            return;
        }
        String integrity = espIntegrity(c.integrity());
        esp.write(espRecord(c.remote(), c.local(), c.inboundSpi(), encryption.get(), c.inbound(), integrity));
        esp.write(espRecord(c.local(), c.remote(), c.outboundSpi(), encryption.get(), c.outbound(), integrity));
        esp.flush();
        log.debug("tunnel {}: keys of Child SA 0x{} written to {}", label, Long.toHexString(c.inboundSpi()), dir);
    }

    private static String espRecord(InetSocketAddress from, InetSocketAddress to, long spi, String encryption,
            IkeOutput.ChildKeys keys, String integrity) {
        InetAddress src = from.getAddress();
        return String.join(",", quote(src instanceof java.net.Inet6Address ? "IPv6" : "IPv4"),
                quote(src.getHostAddress()), quote(to.getAddress().getHostAddress()),
                quote(String.format(Locale.ROOT, "0x%08x", spi)), quote(encryption),
                quote("0x" + hex(keys.encryption())), quote(integrity),
                quote(keys.integrity().map(k -> "0x" + hex(k)).orElse(""))) + "\n";
    }

    /** Wireshark's name of an IKEv2 encryption transform in its {@code ikev2_decryption_table}. */
    static Optional<String> ikeEncryption(EncryptionAlgorithm a) {
        return switch (a) {
            case AES_128 -> Optional.of("AES-CBC-128 [RFC3602]");
            case AES_256 -> Optional.of("AES-CBC-256 [RFC3602]");
            case AES_128_GCM -> Optional.of("AES-GCM-128 with 16 octet ICV [RFC5282]");
            case AES_256_GCM -> Optional.of("AES-GCM-256 with 16 octet ICV [RFC5282]");
            case TRIPLE_DES -> Optional.of("3DES [RFC2451]");
            case CHACHA20_POLY1305 -> Optional.empty();
        };
    }

    /** Wireshark's name of an IKEv2 integrity transform; {@code NONE} for AEAD. */
    static String ikeIntegrity(Optional<AuthAlgorithm> a) {
        return a.map(i -> switch (i) {
            case HMAC_SHA1 -> "HMAC_SHA1_96 [RFC2404]";
            case HMAC_SHA2_256 -> "HMAC_SHA2_256_128 [RFC4868]";
            case HMAC_SHA2_384 -> "HMAC_SHA2_384_192 [RFC4868]";
            case HMAC_SHA2_512 -> "HMAC_SHA2_512_256 [RFC4868]";
        }).orElse("NONE [RFC4306]");
    }

    /** Wireshark's name of an ESP encryption algorithm in its {@code esp_sa} table. */
    static Optional<String> espEncryption(EncryptionAlgorithm a) {
        return switch (a) {
            case AES_128, AES_256 -> Optional.of("AES-CBC [RFC3602]");
            case AES_128_GCM, AES_256_GCM -> Optional.of("AES-GCM with 16 octet ICV [RFC4106]");
            case TRIPLE_DES -> Optional.of("TripleDES-CBC [RFC2451]");
            case CHACHA20_POLY1305 -> Optional.empty();
        };
    }

    /** Wireshark's name of an ESP authentication algorithm; {@code NULL} for AEAD. */
    static String espIntegrity(Optional<AuthAlgorithm> a) {
        return a.map(i -> switch (i) {
            case HMAC_SHA1 -> "HMAC-SHA-1-96 [RFC2404]";
            case HMAC_SHA2_256 -> "HMAC-SHA-256-128 [RFC4868]";
            case HMAC_SHA2_384 -> "HMAC-SHA-384-192 [RFC4868]";
            case HMAC_SHA2_512 -> "HMAC-SHA-512-256 [RFC4868]";
        }).orElse("NULL");
    }

    private static String spi(long spi) {
        return String.format(Locale.ROOT, "%016x", spi);
    }

    private static String hexOrEmpty(byte[] b) {
        return b.length == 0 ? "\"\"" : HEX.formatHex(b);
    }

    private static String hex(Secret s) {
        byte[] b = s.revealBytes();
        try {
            return HEX.formatHex(b);
        } finally {
            java.util.Arrays.fill(b, (byte) 0);
        }
    }

    private static String quote(String s) {
        return '"' + s + '"';
    }

    @Override
    public synchronized void close() throws IOException {
        try {
            ike.close();
        } finally {
            esp.close();
        }
    }

    @Override
    public String toString() {
        return "WiresharkKeys[" + dir + "]";
    }
}
