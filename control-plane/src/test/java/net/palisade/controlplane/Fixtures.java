package net.palisade.controlplane;

import static org.assertj.core.api.Assertions.assertThat;

import com.typesafe.config.Config;
import com.typesafe.config.ConfigFactory;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Base64;
import java.util.HexFormat;
import java.util.List;
import net.palisade.controlplane.journal.JournalMapperFactory;
import net.palisade.controlplane.journal.NodeKey;
import net.palisade.controlplane.journal.SecretSealer;
import net.palisade.model.IpsecConfig;
import net.palisade.model.config.ConfigParser;
import net.palisade.model.config.ConfigResult;
import org.apache.pekko.actor.BootstrapSetup;
import org.apache.pekko.actor.setup.ActorSystemSetup;
import org.apache.pekko.actor.typed.ActorSystem;
import org.apache.pekko.actor.typed.javadsl.Behaviors;

/** Configs with canary secrets, and systems wired like a node's. */
public final class Fixtures {
    private Fixtures() {}

    /** A PSK no journal may contain in clear. */
    public static final String CANARY_PSK = "canary-psk-7Hq2Zx9Lw4Rv";
    /** 20 bytes of key (AES-128-GCM key + salt) no journal may contain in clear. */
    public static final String CANARY_KEY_HEX = "c4a7e1f00dbabe5eed1e55c0ffee5a1751dec0de";
    /** An HMAC key (for the non-AEAD manual tunnel). */
    public static final String CANARY_AUTH_HEX = "a11ce0b0b5ca1ab1ecafebabedeadbeef0badf00";

    /** Four tunnels: IKE with a text PSK, IKE with certificates, manual AEAD, manual with HMAC. */
    public static final String CONFIG = """
            ike from 10.1.0.0/16 to 10.2.0.0/16 peer 198.51.100.7 peer 198.51.100.8 psk "%s" dpd 20 label site-b
            ike from 10.1.0.0/16 to 10.3.0.0/16 peer 203.0.113.9 ikesa enc aes-256 group modp2048 childsa enc aes-256-gcm psk 0x5f2c9a label legacy-c
            ike passive from 10.1.0.0/16 to any dstid "C=SE, O=Example, CN=road" cert /etc/palisade/gw1.pem key /etc/palisade/gw1.key ca /etc/palisade/ca.pem label road
            manual from 10.1.0.0/16 to 10.4.0.0/16 local 192.0.2.1 peer 192.0.2.44 spi 0x1000:0x1001 enc aes-128-gcm enckey 0x%s udpencap label static-d
            manual from 10.1.0.0/16 to 10.5.0.0/16 local 192.0.2.1 peer 192.0.2.45 spi 0x2000:0x2001 enc aes-128 enckey 0x00112233445566778899aabbccddeeff auth hmac-sha1 authkey 0x%s label static-e
            """.formatted(CANARY_PSK, CANARY_KEY_HEX, CANARY_AUTH_HEX);

    /** Parses config text, failing the test on errors. */
    public static IpsecConfig parse(String text) {
        ConfigResult r = ConfigParser.parse(text, "test.conf");
        assertThat(r.errors()).as("config errors").isEmpty();
        return r.orThrow();
    }

    /** The canary config. */
    public static IpsecConfig config() {
        return parse(CONFIG);
    }

    /** Every form in which a canary could leak: raw bytes, hex (both cases), base64. */
    public static List<byte[]> canaryForms() {
        List<byte[]> out = new ArrayList<>();
        out.add(CANARY_PSK.getBytes(StandardCharsets.UTF_8));
        out.add(Base64.getEncoder().encode(CANARY_PSK.getBytes(StandardCharsets.UTF_8)));
        for (String hex : List.of(CANARY_KEY_HEX, CANARY_AUTH_HEX)) {
            byte[] raw = HexFormat.of().parseHex(hex);
            out.add(raw);
            out.add(hex.getBytes(StandardCharsets.US_ASCII));
            out.add(hex.toUpperCase().getBytes(StandardCharsets.US_ASCII));
            out.add(Base64.getEncoder().encode(raw));
            // any 8-byte window of the raw key is enough to call it a leak
            out.add(java.util.Arrays.copyOfRange(raw, 6, 14));
        }
        return out;
    }

    /** True when {@code haystack} contains {@code needle}. */
    public static boolean contains(byte[] haystack, byte[] needle) {
        outer:
        for (int i = 0; i + needle.length <= haystack.length; i++) {
            for (int j = 0; j < needle.length; j++) {
                if (haystack[i + j] != needle[j]) {
                    continue outer;
                }
            }
            return true;
        }
        return false;
    }

    /** A local ActorSystem with the node's serialization (sealing with {@code key}) over {@code config}. */
    /**
     * A system for event-sourced behaviours under {@code EventSourcedBehaviorTestKit}: its in-memory journal, and the
     * persistence testkit's in-memory snapshot store, with a random node key.
     */
    public static ActorSystem<Void> eventSourcedSystem(String name) {
        return system(name, NodeKey.random(), org.apache.pekko.persistence.testkit.javadsl.EventSourcedBehaviorTestKit
                .config().withFallback(ConfigFactory.parseString("""
                        pekko.persistence.snapshot-store.plugin = "pekko.persistence.testkit.snapshotstore.pekkopersistence"
                        """)));
    }

    public static ActorSystem<Void> system(String name, NodeKey key, Config config) {
        Config c = config.withFallback(NodeConfig.serialization())
                .withFallback(ConfigFactory.parseString("pekko.loglevel = WARNING"))
                .withFallback(ConfigFactory.load()).resolve();
        return ActorSystem.create(Behaviors.empty(), name, ActorSystemSetup.create(BootstrapSetup.create(c),
                JournalMapperFactory.setup(new SecretSealer(key))));
    }
}
