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

    record Suite(EncryptionAlgorithm encryption, IntegrityAlgorithm integrity) {
        EspTransform create(long seed, boolean esn) {
            Random random = new Random(seed);
            byte[] keyMaterial = new byte[EspTransforms.keyMaterialLength(encryption, integrity)];
            random.nextBytes(keyMaterial);
            return EspTransforms.create(encryption.canonicalName(), integrity.canonicalName(), keyMaterial, esn);
        }

        @Override
        public String toString() {
            return integrity == IntegrityAlgorithm.NONE ? encryption.canonicalName()
                    : encryption.canonicalName() + "/" + integrity.canonicalName();
        }
    }

    static List<Suite> all() {
        List<Suite> suites = new ArrayList<>();
        for (EncryptionAlgorithm e : EncryptionAlgorithm.values()) {
            if (e.isAead()) {
                suites.add(new Suite(e, IntegrityAlgorithm.NONE));
            } else {
                for (IntegrityAlgorithm i : IntegrityAlgorithm.values()) {
                    if (i != IntegrityAlgorithm.NONE) {
                        suites.add(new Suite(e, i));
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
