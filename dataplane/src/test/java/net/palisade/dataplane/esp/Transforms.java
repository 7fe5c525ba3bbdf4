package net.palisade.dataplane.esp;

import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.Random;
import java.util.stream.Stream;
import net.palisade.model.crypto.AuthAlgorithm;
import net.palisade.model.crypto.EncryptionAlgorithm;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.params.provider.Arguments;

/** Every legal (encryption, integrity) pair of the shared algorithm table, with deterministic keys. */
final class Transforms {

    private Transforms() {
    }

    /** A transform suite; AEAD suites also name their implementation (CBC ones always use JCE). */
    record Suite(EncryptionAlgorithm encryption, Optional<AuthAlgorithm> integrity,
            CryptoImplementation implementation) {
        EspTransform create(long seed, boolean esn) {
            assumeInstalled(implementation);
            Random random = new Random(seed);
            byte[] keyMaterial = new byte[EspTransforms.keyMaterialLength(encryption, integrity)];
            random.nextBytes(keyMaterial);
            if (!encryption.aead()) {
                return EspTransforms.create(encryption.keyword(), integrity.orElseThrow().keyword(), keyMaterial,
                        esn);
            }
            return EspTransforms.create(encryption, integrity, keyMaterial, null, esn, implementation);
        }

        @Override
        public String toString() {
            return integrity.map(i -> encryption.keyword() + "/" + i.keyword())
                    .orElse(encryption.keyword() + "[" + implementation + "]");
        }
    }

    /**
     * Skips the calling test when {@code implementation} is {@link CryptoImplementation#IPSECMB} and its library is
     * not installed here (ops/bin/test installs it, so CI runs these); any other reason it is unusable (a refused
     * dispatch, a failed self-check) is left to fail the test.
     */
    static void assumeInstalled(CryptoImplementation implementation) {
        String reason = implementation == CryptoImplementation.IPSECMB ? IpsecMb.unavailableReason() : null;
        Assumptions.assumeFalse(reason != null && reason.startsWith("cannot load"),
                () -> IpsecMb.LIBRARY + " is not installed (Debian package libipsec-mb1; ops/bin/test installs it): "
                        + reason);
    }

    /** Every legal pair; AEAD suites once per {@link CryptoImplementation}. */
    static List<Suite> all() {
        List<Suite> suites = new ArrayList<>();
        for (EncryptionAlgorithm e : EncryptionAlgorithm.values()) {
            if (e.aead()) {
                for (CryptoImplementation impl : CryptoImplementation.values()) {
                    suites.add(new Suite(e, Optional.empty(), impl));
                }
            } else {
                for (AuthAlgorithm i : AuthAlgorithm.values()) {
                    suites.add(new Suite(e, Optional.of(i), CryptoImplementation.JCE));
                }
            }
        }
        return suites;
    }

    static Stream<Arguments> allWithEsn() {
        return all().stream().flatMap(s -> Stream.of(Arguments.of(s, false), Arguments.of(s, true)));
    }
}
