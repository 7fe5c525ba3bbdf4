package net.palisade.dataplane.worker;

/**
 * Entry points for standalone Jazzer ({@code ops/bench/fuzz.sh}): the {@link EspInboundFuzzTest} target in the shape
 * libFuzzer calls ({@code fuzzerTestOneInput}).
 */
public final class FuzzTargets {
    private FuzzTargets() {}

    /** {@link EspInboundFuzzTest#inbound}. */
    public static final class EspInbound {
        public static void fuzzerTestOneInput(byte[] data) throws Exception {
            new EspInboundFuzzTest().inbound(data);
        }
    }
}
