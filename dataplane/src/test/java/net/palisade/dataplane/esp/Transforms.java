package net.palisade.dataplane.esp;

import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.stream.Stream;
import org.junit.jupiter.params.provider.Arguments;

/** Every legal (encryption, integrity) pair, with deterministic keys, for parameterized tests. */
final class Transforms {

    private Transforms() {
    }

    /** A transform suite; AEAD suites also name their implementation (CBC ones always use JCE). */
    record Suite(EncryptionAlgorithm encryption, IntegrityAlgorithm integrity, CryptoImplementation implementation) {
        EspTransform create(long seed, boolean esn) {
            Random random = new Random(seed);
            byte[] keyMaterial = new byte[EspTransforms.keyMaterialLength(encryption, integrity)];
            random.nextBytes(keyMaterial);
            if (!encryption.isAead()) {
                return EspTransforms.create(encryption.canonicalName(), integrity.canonicalName(), keyMaterial, esn);
            }
            return EspTransforms.create(encryption, integrity, keyMaterial, null, esn, implementation);
        }

        @Override
        public String toString() {
            return integrity == IntegrityAlgorithm.NONE ? encryption.canonicalName() + "[" + implementation + "]"
                    : encryption.canonicalName() + "/" + integrity.canonicalName();
        }
    }

    /** Every legal pair; AEAD suites once per {@link CryptoImplementation}. */
    static List<Suite> all() {
        List<Suite> suites = new ArrayList<>();
        for (EncryptionAlgorithm e : EncryptionAlgorithm.values()) {
            if (e.isAead()) {
                for (CryptoImplementation impl : CryptoImplementation.values()) {
                    suites.add(new Suite(e, IntegrityAlgorithm.NONE, impl));
                }
            } else {
                for (IntegrityAlgorithm i : IntegrityAlgorithm.values()) {
                    if (i != IntegrityAlgorithm.NONE) {
                        suites.add(new Suite(e, i, CryptoImplementation.JCE));
                    }
                }
            }
        }
        return suites;
    }

    static Stream<Arguments> allWithEsn() {
        return all().stream().flatMap(s -> Stream.of(Arguments.of(s, false), Arguments.of(s, true)));
    }
}
