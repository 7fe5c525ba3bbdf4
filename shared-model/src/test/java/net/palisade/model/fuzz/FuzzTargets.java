package net.palisade.model.fuzz;

import com.code_intelligence.jazzer.api.FuzzedDataProvider;

/**
 * Entry points for Jazzer's standalone driver ({@code ops/bench/fuzz.sh}, long coverage-guided runs): the same
 * properties the {@code @FuzzTest} methods check in the suite.
 */
public final class FuzzTargets {
    private FuzzTargets() {}

    /** IKEv2 datagrams. */
    public static final class Ikev2Decoder {
        public static void fuzzerTestOneInput(byte[] data) {
            DecoderFuzzTest.ikev2Holds(data);
        }
    }

    /** IKEv1 datagrams. */
    public static final class Ikev1Decoder {
        public static void fuzzerTestOneInput(byte[] data) {
            DecoderFuzzTest.ikev1Holds(data);
        }
    }

    /** Config text. */
    public static final class ConfigText {
        public static void fuzzerTestOneInput(FuzzedDataProvider data) {
            ConfigFuzzTest.textHolds(data.consumeRemainingAsString());
        }
    }

    /** The JSON door. */
    public static final class ConfigJsonDoor {
        public static void fuzzerTestOneInput(FuzzedDataProvider data) {
            ConfigFuzzTest.jsonHolds(data.consumeRemainingAsString());
        }
    }
}
