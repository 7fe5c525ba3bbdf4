package net.palisade.controlplane.ike;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Path;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import net.palisade.model.IkeTunnel;
import net.palisade.model.crypto.DhGroup;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * TShark (an independent dissector) reads the SKF fragments two engines exchanged with a 200-octet fragment size:
 * numbered 1 to n of n, no Malformed or error expert info. Skipped with {@code -Dpalisade.skipExternal=true}.
 */
class FragmentTsharkTest {

    @Test
    void tsharkDissectsOurFragments(@TempDir Path dir) throws Exception {
        Path tshark = IkeTsharkTest.tshark();
        IkeTunnel t = IkeLoop.gcm("s", DhGroup.ECP256);
        IkeLoop loop = new IkeLoop(t, IkeLoop.mirror(t), IkeSettings.DEFAULT.withFragmentPacketLimit(200)).start();
        assertThat(loop.a.state()).isEqualTo(IkeState.ESTABLISHED);
        String out = IkeTsharkTest.dissect(tshark, dir.resolve("fragments.pcap"), loop.delivered);
        assertThat(out).contains("Encrypted and Authenticated Fragment (53)");
        Matcher m = Pattern.compile("Fragment Number: (\\d+)\\s+Total Fragments: (\\d+)").matcher(out);
        int fragments = 0;
        int ones = 0;
        while (m.find()) {
            fragments++;
            int number = Integer.parseInt(m.group(1));
            int total = Integer.parseInt(m.group(2));
            assertThat(number).isBetween(1, total);
            assertThat(total).isGreaterThanOrEqualTo(2);
            ones += number == 1 ? 1 : 0;
        }
        assertThat(ones).as("fragment 1 of the IKE_AUTH request and of the response\n" + out).isEqualTo(2);
        assertThat(fragments).isEqualTo(loop.delivered.size() - 2);
    }
}
