package net.palisade.model;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.ObjectMapper;
import java.net.InetAddress;
import java.time.Duration;
import net.palisade.model.config.ConfigJson;
import org.junit.jupiter.api.Nested;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.ValueSource;

class ValuesTest {
    private final ObjectMapper json = ConfigJson.newMapper();

    @Nested
    class Networks {
        @Test
        void hostAndOneHostNetworkAreDistinct() {
            Network host = Network.parse("10.9.1.1");
            Network slash32 = Network.parse("10.9.1.1/32");
            assertThat(host).isNotEqualTo(slash32);
            assertThat(host.isHost()).isTrue();
            assertThat(slash32.isHost()).isFalse();
            assertThat(host.prefixLength()).isEmpty();
            assertThat(slash32.prefixLength()).hasValue(32);
            assertThat(host.effectivePrefixLength()).isEqualTo(32);
            assertThat(host.toString()).isEqualTo("10.9.1.1");
            assertThat(slash32.toString()).isEqualTo("10.9.1.1/32");
            assertThat(Network.parse("2001:db8::1")).isNotEqualTo(Network.parse("2001:db8::1/128"));
        }

        @ParameterizedTest
        @CsvSource({
            "any,                         any",
            "0.0.0.0/0,                   0.0.0.0/0",
            "2001:DB8:0:0:0:0:0:1,        2001:db8::1",
            "2001:db8:0:0:1:0:0:0/80,     2001:db8:0:0:1::/80",
            "2001:0:0:1:0:0:0:0/64,       2001:0:0:1::/64",
            "fe80::,                      fe80::",
            "::,                          ::",
            "2001:db8:1:2:3:4:5:6,        2001:db8:1:2:3:4:5:6",
            "2001:db8:0:1:1:1:1:1,        2001:db8:0:1:1:1:1:1",
        })
        void canonicalText(String in, String out) {
            assertThat(Network.parse(in).toString()).isEqualTo(out);
        }

        @ParameterizedTest
        @CsvSource(delimiter = '|', value = {
            "10.1.2.3/16     | 10.1.2.3/16 has host bits set; did you mean 10.1.0.0/16?",
            "2001:db8::1/32  | 2001:db8::1/32 has host bits set; did you mean 2001:db8::/32?",
            "10.0.0.0/33     | prefix length 33 is out of range for IPv4 (0-32)",
            "2001:db8::/129  | prefix length 129 is out of range for IPv6 (0-128)",
            "10.0.0.0/       | expected a prefix length after '/', found '10.0.0.0/'",
            "10.0.0.0/08     | expected a prefix length after '/', found '10.0.0.0/08'",
            "10.1            | expected a network (address, address/prefix or any), found '10.1'",
            "010.1.1.1       | expected a network (address, address/prefix or any), found '010.1.1.1'",
            "256.1.1.1       | expected a network (address, address/prefix or any), found '256.1.1.1'",
            "::ffff:1.2.3.4  | expected a network (address, address/prefix or any), found '::ffff:1.2.3.4'",
            "fe80::1%eth0    | expected a network (address, address/prefix or any), found 'fe80::1%eth0'",
            "example.com     | expected a network (address, address/prefix or any), found 'example.com'",
            "ANY             | expected a network (address, address/prefix or any), found 'ANY'",
        })
        void refused(String in, String message) {
            assertThatThrownBy(() -> Network.parse(in)).isInstanceOf(IllegalArgumentException.class).hasMessage(message);
        }

        @Test
        void contains() throws Exception {
            assertThat(Network.parse("10.1.0.0/16").contains(InetAddress.getByName("10.1.200.3"))).isTrue();
            assertThat(Network.parse("10.1.0.0/16").contains(InetAddress.getByName("10.2.0.1"))).isFalse();
            assertThat(Network.parse("10.9.1.1").contains(InetAddress.getByName("10.9.1.1"))).isTrue();
            assertThat(Network.parse("10.9.1.1").contains(InetAddress.getByName("10.9.1.2"))).isFalse();
            assertThat(Network.any().contains(InetAddress.getByName("2001:db8::1"))).isTrue();
            assertThat(Network.parse("2001:db8::/32").contains(InetAddress.getByName("10.0.0.1"))).isFalse();
            assertThat(Network.any().family()).isEmpty();
            assertThat(Network.any().fits(IpFamily.IPV6)).isTrue();
        }

        @Test
        void json() throws Exception {
            assertThat(json.writeValueAsString(Network.parse("10.9.1.1/32"))).isEqualTo("\"10.9.1.1/32\"");
            assertThat(json.readValue("\"any\"", Network.class)).isEqualTo(Network.any());
        }
    }

    @Nested
    class Hosts {
        @Test
        void addressesAndNames() {
            assertThat(Host.parse("192.0.2.1").isIp()).isTrue();
            assertThat(Host.parse("2001:DB8::1").toString()).isEqualTo("2001:db8::1");
            Host name = Host.parse("VPN.Example.NET");
            assertThat(name.isIp()).isFalse();
            assertThat(name.dnsName()).contains("vpn.example.net");
            assertThat(name.family()).isEmpty();
            assertThat(name).isEqualTo(Host.parse("vpn.example.net"));
        }

        @ParameterizedTest
        @ValueSource(strings = {"10.1.1", "1.2.3.4.5", "-bad.example", "bad_name.example", "a..b", "", "x.123"})
        void refused(String in) {
            assertThatThrownBy(() -> Host.parse(in)).isInstanceOf(IllegalArgumentException.class)
                    .hasMessage("expected an IP address or a DNS host name, found '" + in + "'");
        }
    }

    @Nested
    class Identities {
        @ParameterizedTest
        @CsvSource(delimiter = '|', value = {
            "192.0.2.1                 | IPV4",
            "2001:db8::1               | IPV6",
            "vpn.example.com           | FQDN",
            "gw1                       | FQDN",
            "ops@example.com           | USER_FQDN",
            "C=SE, O=Example, CN=gw1   | DN",
            "CN=gw1, E=ops@example.com | DN",
        })
        void typeIsDetected(String text, IdType type) {
            Identity id = Identity.parse(text);
            assertThat(id.type()).isEqualTo(type);
            assertThat(id.value()).isEqualTo(text);
        }

        @Test
        void ikeIdTypeNumbers() {
            assertThat(IdType.IPV4.ikeIdType()).isEqualTo(1);
            assertThat(IdType.FQDN.ikeIdType()).isEqualTo(2);
            assertThat(IdType.USER_FQDN.ikeIdType()).isEqualTo(3);
            assertThat(IdType.IPV6.ikeIdType()).isEqualTo(5);
            assertThat(IdType.DN.ikeIdType()).isEqualTo(9);
        }

        @Test
        void json() throws Exception {
            Identity dn = Identity.parse("C=SE, O=Example, CN=gw1");
            String s = json.writeValueAsString(dn);
            assertThat(s).isEqualTo("{\"type\":\"dn\",\"value\":\"C=SE, O=Example, CN=gw1\"}");
            assertThat(json.readValue(s, Identity.class)).isEqualTo(dn);
            assertThat(json.readValue("\"ops@example.com\"", Identity.class).type()).isEqualTo(IdType.USER_FQDN);
        }
    }

    @Nested
    class Spis {
        @ParameterizedTest
        @CsvSource({
            "256,          256,        256 = 0x00000100",
            "0x100,        256,        256 = 0x00000100",
            "0x101,        257,        257 = 0x00000101",
            "0X1A2B,       6699,       6699 = 0x00001a2b",
            "4096,         4096,       4096 = 0x00001000",
            "0xdeadbeef,   3735928559, 3735928559 = 0xdeadbeef",
            "4294967295,   4294967295, 4294967295 = 0xffffffff",
            "0xFFFFFFFF,   4294967295, 4294967295 = 0xffffffff",
            "00000300,     300,        300 = 0x0000012c",
        })
        void decimalAndHex(String text, long value, String both) {
            Spi spi = Spi.parse(text);
            assertThat(spi.value()).isEqualTo(value);
            assertThat(spi.describe()).isEqualTo(both);
            assertThat(Spi.fromInt(spi.toInt())).isEqualTo(spi);
        }

        @ParameterizedTest
        @CsvSource(delimiter = '|', value = {
            "0           | 0 is reserved (0 means no SPI, 1-255 are reserved by RFC 4303); use 256 (0x100) or more",
            "255         | 255 is reserved (0 means no SPI, 1-255 are reserved by RFC 4303); use 256 (0x100) or more",
            "0xff        | 255 is reserved (0 means no SPI, 1-255 are reserved by RFC 4303); use 256 (0x100) or more",
            "4294967296  | 4294967296 does not fit in 32 bits (largest is 4294967295 = 0xffffffff)",
            "0x100000000 | 4294967296 does not fit in 32 bits (largest is 4294967295 = 0xffffffff)",
            "-1          | expected a decimal or 0x-hex SPI (e.g. 256 or 0x100), found '-1'",
            "0x          | expected a decimal or 0x-hex SPI (e.g. 256 or 0x100), found '0x'",
            "12ab        | expected a decimal or 0x-hex SPI (e.g. 256 or 0x100), found '12ab'",
        })
        void refused(String text, String message) {
            assertThatThrownBy(() -> Spi.parse(text)).isInstanceOf(IllegalArgumentException.class).hasMessage(message);
        }

        @Test
        void textForms() throws Exception {
            Spi s = new Spi(0x101);
            assertThat(s.toString()).isEqualTo("0x00000101");
            assertThat(s.toConfigString()).isEqualTo("0x101");
            assertThat(json.writeValueAsString(s)).isEqualTo("257");
            assertThat(json.readValue("\"0x101\"", Spi.class)).isEqualTo(s);
            assertThat(json.readValue("257", Spi.class)).isEqualTo(s);
        }
    }

    @Nested
    class DurationSyntax {
        @ParameterizedTest
        @CsvSource({"3600, 3600", "45m, 2700", "8h, 28800", "30s, 30", "1d, 86400", "90, 90"})
        void parses(String text, long seconds) {
            assertThat(Durations.parse(text)).isEqualTo(Duration.ofSeconds(seconds));
        }

        @ParameterizedTest
        @CsvSource({"14400, 4h", "3600, 1h", "2700, 45m", "90, 90s", "86400, 1d", "2592000, 30d"})
        void formatsShortest(long seconds, String text) {
            assertThat(Durations.format(Duration.ofSeconds(seconds))).isEqualTo(text);
        }

        @ParameterizedTest
        @ValueSource(strings = {"", "h", "1.5h", "-5", "1h30m", "8 h", "9999999999"})
        void refused(String text) {
            assertThatThrownBy(() -> Durations.parse(text)).isInstanceOf(IllegalArgumentException.class)
                    .hasMessage("expected seconds or a number with s, m, h or d (e.g. 3600, 45m, 8h), found '" + text + "'");
        }

        @Test
        void zeroIsNotADuration() {
            assertThatThrownBy(() -> Durations.parse("0m")).hasMessage("must be positive, found '0m'");
        }
    }
}
