package net.palisade.controlplane.ike.crypto;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.ByteArrayOutputStream;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HexFormat;
import java.util.List;
import java.util.concurrent.TimeUnit;
import net.palisade.model.crypto.DhGroup;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The seeded stream a resumed node draws our in-flight IKE SA rekey's key exchange from again: HMAC-SHA-256 keyed
 * with the seed over a 64-bit big-endian counter from 1, judged by OpenSSL's HMAC; read in uneven pieces it is the
 * same stream; the same seed gives the same key exchange, another seed another one.
 */
class RandomnessSeedTest {
    static final HexFormat HEX = HexFormat.of();

    @TempDir
    Path tmp;

    @Test
    void theStreamIsHmacSha256OfTheCounterAsOpenSslComputesIt() throws Exception {
        byte[] seed = HEX.parseHex("000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f");
        ByteArrayOutputStream expected = new ByteArrayOutputStream();
        for (long counter = 1; counter <= 3; counter++) {
            Path block = tmp.resolve("counter-" + counter);
            Files.write(block, ByteBuffer.allocate(8).putLong(counter).array());
            expected.write(HEX.parseHex(openssl("dgst", "-sha256", "-mac", "HMAC", "-macopt",
                    "hexkey:" + HEX.formatHex(seed), "-r", block.toString()).split(" ")[0]));
        }
        Randomness r = Randomness.fromSeed(seed);
        ByteArrayOutputStream drawn = new ByteArrayOutputStream();
        for (int piece : new int[] {5, 40, 1, 50}) { // across the 32-octet blocks, not on their edges
            byte[] out = new byte[piece];
            r.nextBytes(out);
            drawn.write(out);
        }
        assertThat(HEX.formatHex(drawn.toByteArray())).isEqualTo(HEX.formatHex(expected.toByteArray()));
    }

    @Test
    void theSameSeedGivesTheSameKeyExchangeAndAnotherSeedAnotherOne() throws Exception {
        byte[] seed = new byte[32];
        seed[0] = 7;
        byte[] other = seed.clone();
        other[31] = 1;
        for (DhGroup g : List.of(DhGroup.CURVE25519, DhGroup.ECP256)) {
            KeyExchange first = KeyExchanges.generate(g, Randomness.fromSeed(seed));
            KeyExchange again = KeyExchanges.generate(g, Randomness.fromSeed(seed));
            KeyExchange peer = KeyExchanges.generate(g, Randomness.secure());
            assertThat(again.publicValue()).as("%s", g).isEqualTo(first.publicValue());
            // the one made again agrees with the peer on what the first would have
            assertThat(again.sharedSecret(peer.publicValue())).as("%s", g)
                    .isEqualTo(peer.sharedSecret(first.publicValue()));
            assertThat(KeyExchanges.generate(g, Randomness.fromSeed(other)).publicValue()).as("%s", g)
                    .isNotEqualTo(first.publicValue());
        }
    }

    static String openssl(String... args) throws Exception {
        List<String> cmd = new java.util.ArrayList<>(List.of("openssl"));
        cmd.addAll(List.of(args));
        Process p = new ProcessBuilder(cmd).redirectErrorStream(true).start();
        String out = new String(p.getInputStream().readAllBytes()).strip();
        assertThat(p.waitFor(30, TimeUnit.SECONDS)).isTrue();
        assertThat(p.exitValue()).as(out).isZero();
        return out;
    }
}
