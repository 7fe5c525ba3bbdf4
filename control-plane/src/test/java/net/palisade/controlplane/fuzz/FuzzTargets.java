package net.palisade.controlplane.fuzz;

/**
 * Entry points for standalone Jazzer ({@code ops/bench/fuzz.sh}): the {@link EngineFuzzTest} targets, each in the
 * shape libFuzzer calls ({@code fuzzerTestOneInput}).
 */
public final class FuzzTargets {
    private FuzzTargets() {}

    /** {@link EngineFuzzTest#ikev2Responder}. */
    public static final class Ikev2Responder {
        public static void fuzzerTestOneInput(byte[] data) {
            new EngineFuzzTest().ikev2Responder(data);
        }
    }

    /** {@link EngineFuzzTest#ikev2Initiator}. */
    public static final class Ikev2Initiator {
        public static void fuzzerTestOneInput(byte[] data) {
            new EngineFuzzTest().ikev2Initiator(data);
        }
    }

    /** {@link FragmentFuzzTest#reassembly}. */
    public static final class IkeFragments {
        public static void fuzzerTestOneInput(byte[] data) {
            new FragmentFuzzTest().reassembly(data);
        }
    }

    /** {@link EngineFuzzTest#ikev1Responder}. */
    public static final class Ikev1Responder {
        public static void fuzzerTestOneInput(byte[] data) {
            new EngineFuzzTest().ikev1Responder(data);
        }
    }
}
