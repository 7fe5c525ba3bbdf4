package net.palisade.model.fuzz;

import static org.assertj.core.api.Assertions.assertThat;

import com.code_intelligence.jazzer.junit.FuzzTest;
import net.palisade.model.wire.ikev1.Ikev1Codec;
import net.palisade.model.wire.ikev1.Ikev1DecodeResult;
import net.palisade.model.wire.ikev1.Ikev1Message;
import net.palisade.model.wire.ikev2.DecodeResult;
import net.palisade.model.wire.ikev2.IkeMessage;
import net.palisade.model.wire.ikev2.Ikev2Codec;

/**
 * The IKE decoders take any datagram from the network. Whatever the bytes, a decoder answers Ok or Rejected and
 * never throws; what it accepts it can write again, and what it writes it reads back to the same bytes (the
 * encoding is a fixpoint after one normalisation). In the suite each target replays its kept inputs
 * ({@code src/test/resources/net/palisade/model/fuzz/DecoderFuzzTestInputs/METHOD/}); {@code ops/bench/fuzz.sh}
 * runs them coverage-guided for as long as it is given.
 */
class DecoderFuzzTest {
    private static final Ikev2Codec V2 = Ikev2Codec.standard();
    private static final Ikev1Codec V1 = Ikev1Codec.standard();

    @FuzzTest(maxDuration = "10s")
    void ikev2(byte[] datagram) {
        if (datagram != null) { // the mutator's null: the socket never hands one over
            ikev2Holds(datagram);
        }
    }

    @FuzzTest(maxDuration = "10s")
    void ikev1(byte[] datagram) {
        if (datagram != null) {
            ikev1Holds(datagram);
        }
    }

    static void ikev2Holds(byte[] datagram) {
        DecodeResult<IkeMessage> r = V2.decode(datagram);
        if (r instanceof DecodeResult.Ok<IkeMessage> ok) {
            byte[] once = V2.encode(ok.value());
            DecodeResult<IkeMessage> again = V2.decode(once);
            assertThat(again).as("re-encoded message decodes").isInstanceOf(DecodeResult.Ok.class);
            assertThat(V2.encode(((DecodeResult.Ok<IkeMessage>) again).value())).isEqualTo(once);
        }
        V2.decodeHeader(datagram);
    }

    static void ikev1Holds(byte[] datagram) {
        Ikev1DecodeResult<Ikev1Message> r = V1.decode(datagram);
        if (r.isOk()) {
            byte[] once = V1.encode(r.orElseThrow());
            Ikev1DecodeResult<Ikev1Message> again = V1.decode(once);
            assertThat(again.isOk()).as("re-encoded message decodes").isTrue();
            assertThat(V1.encode(again.orElseThrow())).isEqualTo(once);
        }
    }
}
