package net.palisade.model.wire.ikev2;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import javax.security.auth.x500.X500Principal;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import net.palisade.model.IpAddresses;
import net.palisade.model.IpFamily;
import net.palisade.model.Network;
import net.palisade.model.crypto.AuthAlgorithm;
import net.palisade.model.crypto.DhGroup;
import net.palisade.model.crypto.EncryptionAlgorithm;
import net.palisade.model.wire.Octets;

/** Test fixtures: hex, resources, and messages built with the public builders covering every payload type. */
public final class Samples {
    private Samples() {}

    static final Ikev2Codec CODEC = Ikev2Codec.standard();
    static final long ISPI = 0x0123456789abcdefL;
    static final long RSPI = 0xfedcba9876543210L;

    /** A self-signed P-256 certificate (openssl req -x509, CN=palisade-sample), DER. */
    public static final Octets SAMPLE_CERT = Octets.fromHex(
            "308201893082012fa00302010202140fe04d529774b9e01c926f8aeaace04cd6f3ebee300a06082a8648ce3d040302301a31"
            + "18301606035504030c0f70616c69736164652d73616d706c65301e170d3236313132373134343730375a170d333631313234"
            + "3134343730375a301a3118301606035504030c0f70616c69736164652d73616d706c653059301306072a8648ce3d02010608"
            + "2a8648ce3d03010703420004fbadd5b715c0494b70cf064b3f3d5180da50cc60b638924598955d0bc6466e558e1743c84852"
            + "b1f3ac3ccce6ecca54025c747c9a60447faaa936d48a0de34cb2a3533051301d0603551d0e041604149d62fddc6418816e6a"
            + "3b3dcf084324484f8d5e25301f0603551d230418301680149d62fddc6418816e6a3b3dcf084324484f8d5e25300f0603551d"
            + "130101ff040530030101ff300a06082a8648ce3d040302034800304502206cb390d0bcd75e8763b800bca79743aac16e5bd4"
            + "f5671908ff92f2bdab856c350221008372aff3b652a7e4d9b0e6c57a0a6fe0dd5b0a21a5a59fdfcd1fff1f42427a84");

    /** DER AlgorithmIdentifier of ecdsa-with-SHA256 (RFC 5758). */
    static final Octets ECDSA_SHA256_ALG_ID = Octets.fromHex("300a06082a8648ce3d040302");

    static byte[] hex(String s) {
        return HexFormat.of().parseHex(s);
    }

    static String hex(byte[] b) {
        return HexFormat.of().formatHex(b);
    }

    static Octets seq(int length, int start) {
        byte[] b = new byte[length];
        for (int i = 0; i < length; i++) {
            b[i] = (byte) (start + i);
        }
        return Octets.of(b);
    }

    static InetAddress ip(String text) {
        return IpAddresses.parse(text).orElseThrow();
    }

    static JsonNode json(String resource) {
        try (InputStream in = Samples.class.getResourceAsStream(resource)) {
            if (in == null) {
                throw new IllegalStateException("missing test resource " + resource);
            }
            return new ObjectMapper().readTree(in);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    static String resourceText(String resource) {
        try (InputStream in = Samples.class.getResourceAsStream(resource)) {
            return new String(in.readAllBytes(), java.nio.charset.StandardCharsets.UTF_8);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    static SaPayload ikeSa() {
        return SaPayload.of(
                Proposal.ike(1, Transform.encryption(EncryptionAlgorithm.AES_128_GCM),
                        Transform.prf(AuthAlgorithm.HMAC_SHA2_256), Transform.keyExchange(DhGroup.CURVE25519),
                        Transform.keyExchange(DhGroup.ECP256)),
                Proposal.ike(2, Transform.encryption(EncryptionAlgorithm.AES_256),
                        Transform.integrity(AuthAlgorithm.HMAC_SHA2_256), Transform.prf(AuthAlgorithm.HMAC_SHA2_256),
                        Transform.keyExchange(DhGroup.MODP2048)));
    }

    static SaPayload espSa(long spi) {
        return SaPayload.of(Proposal.esp(1, spi, Transform.encryption(EncryptionAlgorithm.AES_256_GCM),
                Transform.esn(true), Transform.esn(false)));
    }

    static TsPayload tsi() {
        return new TsPayload(true, List.of(
                TrafficSelector.AddressRange.of(Network.parse("10.1.0.0/24"), IpFamily.IPV4),
                TrafficSelector.AddressRange.of(Network.parse("2001:db8:a::/48"), IpFamily.IPV6),
                TrafficSelector.AddressRange.cidr(ip("10.1.5.5"), 32).withProtocol(6).withPorts(443, 443)));
    }

    static TsPayload tsr() {
        return TsPayload.ofNetworks(false, List.of(Network.parse("10.2.0.0/16"), Network.any()), IpFamily.IPV4);
    }

    /** Named messages, together using every payload type and most notify types. */
    static List<Named> messages() {
        List<Named> out = new ArrayList<>();
        out.add(new Named("IKE_SA_INIT request", IkeMessage.of(
                IkeHeader.request(ISPI, 0, ExchangeType.Known.IKE_SA_INIT, 0, true),
                ikeSa(),
                KePayload.of(DhGroup.CURVE25519, seq(32, 1)),
                new NoncePayload(seq(32, 100)),
                NotifyPayload.of(NotifyType.Known.NAT_DETECTION_SOURCE_IP, seq(20, 7)),
                NotifyPayload.of(NotifyType.Known.NAT_DETECTION_DESTINATION_IP, seq(20, 27)),
                NotifyPayload.of(NotifyType.Known.IKEV2_FRAGMENTATION_SUPPORTED),
                NotifyPayload.signatureHashAlgorithms(List.of(HashAlgorithm.Known.SHA2_256,
                        HashAlgorithm.Known.SHA2_384, HashAlgorithm.Known.SHA2_512)),
                new VendorIdPayload(Octets.of("palisade".getBytes(java.nio.charset.StandardCharsets.US_ASCII))))));
        out.add(new Named("IKE_SA_INIT response with CERTREQ", IkeMessage.of(
                IkeHeader.response(ISPI, RSPI, ExchangeType.Known.IKE_SA_INIT, 0, false),
                SaPayload.of(ikeSa().proposals().getFirst()),
                KePayload.of(DhGroup.CURVE25519, seq(32, 50)),
                new NoncePayload(seq(48, 9)),
                CertReqPayload.x509(List.of(seq(20, 0), seq(20, 20))),
                NotifyPayload.of(NotifyType.Known.MULTIPLE_AUTH_SUPPORTED))));
        out.add(new Named("IKE_SA_INIT response COOKIE", IkeMessage.of(
                IkeHeader.response(ISPI, 0, ExchangeType.Known.IKE_SA_INIT, 0, false),
                NotifyPayload.of(NotifyType.Known.COOKIE, seq(16, 3)))));
        out.add(new Named("IKE_SA_INIT response INVALID_KE_PAYLOAD", IkeMessage.of(
                IkeHeader.response(ISPI, 0, ExchangeType.Known.IKE_SA_INIT, 0, false),
                NotifyPayload.invalidKe(DhGroup.MODP2048))));
        out.add(new Named("IKE_AUTH request content", IkeMessage.of(
                IkeHeader.request(ISPI, RSPI, ExchangeType.Known.IKE_AUTH, 1, true),
                IdPayload.fqdn(true, "gw-a.example.net"),
                CertPayload.x509(SAMPLE_CERT),
                NotifyPayload.of(NotifyType.Known.INITIAL_CONTACT),
                CertReqPayload.x509(List.of(seq(20, 40))),
                IdPayload.derDn(false, Octets.of(new X500Principal("CN=gw-b, O=Palisade Lab, C=SE").getEncoded())),
                AuthPayload.of(new AuthPayload.DigitalSignature(ECDSA_SHA256_ALG_ID, seq(64, 33))),
                espSa(0xc0ffee01L),
                tsi(),
                tsr(),
                NotifyPayload.of(NotifyType.Known.USE_TRANSPORT_MODE),
                NotifyPayload.of(NotifyType.Known.ESP_TFC_PADDING_NOT_SUPPORTED),
                NotifyPayload.of(NotifyType.Known.NON_FIRST_FRAGMENTS_ALSO),
                NotifyPayload.of(NotifyType.Known.MOBIKE_SUPPORTED),
                new CpPayload(ConfigType.Known.CFG_REQUEST, List.of(
                        new CpPayload.Attribute(ConfigAttributeType.Known.INTERNAL_IP4_ADDRESS, Octets.empty()),
                        new CpPayload.Attribute(ConfigAttributeType.Known.INTERNAL_IP4_DNS, Octets.empty()))))));
        out.add(new Named("IKE_AUTH response content", IkeMessage.of(
                IkeHeader.response(ISPI, RSPI, ExchangeType.Known.IKE_AUTH, 1, false),
                IdPayload.address(false, ip("192.0.2.2")),
                new AuthPayload(AuthMethod.Known.SHARED_KEY_MIC, seq(32, 77)),
                espSa(0x0badcafeL),
                TsPayload.of(true, TrafficSelector.AddressRange.cidr(ip("10.1.0.0"), 24)),
                TsPayload.of(false, TrafficSelector.AddressRange.cidr(ip("10.2.0.0"), 16)),
                NotifyPayload.of(NotifyType.Known.ADDITIONAL_TS_POSSIBLE))));
        out.add(new Named("CREATE_CHILD_SA rekey request content", IkeMessage.of(
                IkeHeader.request(ISPI, RSPI, ExchangeType.Known.CREATE_CHILD_SA, 2, true),
                NotifyPayload.childSa(NotifyType.Known.REKEY_SA, ProtocolId.Known.ESP, 0xc0ffee01L, Octets.empty()),
                SaPayload.of(Proposal.esp(1, 0xc0ffee02L, Transform.encryption(EncryptionAlgorithm.AES_128),
                        Transform.integrity(AuthAlgorithm.HMAC_SHA2_256), Transform.keyExchange(DhGroup.MODP2048),
                        Transform.esn(false))),
                new NoncePayload(seq(32, 200)),
                KePayload.of(DhGroup.MODP2048, seq(256, 5)),
                tsi(),
                tsr())));
        out.add(new Named("CREATE_CHILD_SA IKE rekey request content", IkeMessage.of(
                IkeHeader.request(ISPI, RSPI, ExchangeType.Known.CREATE_CHILD_SA, 3, false),
                SaPayload.of(Proposal.ikeRekey(1, 0x1111222233334444L,
                        Transform.encryption(EncryptionAlgorithm.CHACHA20_POLY1305),
                        Transform.prf(AuthAlgorithm.HMAC_SHA2_512), Transform.keyExchange(DhGroup.ECP384))),
                new NoncePayload(seq(64, 1)),
                KePayload.of(DhGroup.ECP384, seq(96, 2)))));
        out.add(new Named("INFORMATIONAL deletes and status content", IkeMessage.of(
                IkeHeader.request(ISPI, RSPI, ExchangeType.Known.INFORMATIONAL, 4, true),
                DeletePayload.childSas(ProtocolId.Known.ESP, 0xc0ffee01L, 0xc0ffee02L),
                DeletePayload.ikeSa(),
                NotifyPayload.of(NotifyType.Known.SET_WINDOW_SIZE, Octets.ofUnsigned(4, 4)),
                NotifyPayload.of(NotifyType.Known.IPCOMP_SUPPORTED, Octets.fromHex("123402")))));
        out.add(new Named("INFORMATIONAL error notifies content", IkeMessage.of(
                IkeHeader.response(ISPI, RSPI, ExchangeType.Known.INFORMATIONAL, 5, false),
                NotifyPayload.of(NotifyType.Known.NO_PROPOSAL_CHOSEN),
                NotifyPayload.unsupportedCritical(48),
                NotifyPayload.of(NotifyType.Known.INVALID_SYNTAX),
                NotifyPayload.of(NotifyType.Known.AUTHENTICATION_FAILED),
                NotifyPayload.of(NotifyType.Known.TS_UNACCEPTABLE),
                NotifyPayload.of(NotifyType.Known.SINGLE_PAIR_REQUIRED),
                NotifyPayload.of(NotifyType.Known.NO_ADDITIONAL_SAS),
                NotifyPayload.of(NotifyType.Known.INTERNAL_ADDRESS_FAILURE),
                NotifyPayload.of(NotifyType.Known.FAILED_CP_REQUIRED),
                NotifyPayload.of(NotifyType.Known.TEMPORARY_FAILURE),
                NotifyPayload.childSa(NotifyType.Known.CHILD_SA_NOT_FOUND, ProtocolId.Known.ESP, 0xc0ffee03L,
                        Octets.empty()),
                NotifyPayload.childSa(NotifyType.Known.INVALID_SELECTORS, ProtocolId.Known.ESP, 0xc0ffee04L,
                        seq(28, 0x45)),
                NotifyPayload.of(NotifyType.Known.INVALID_IKE_SPI),
                NotifyPayload.of(NotifyType.Known.INVALID_MAJOR_VERSION),
                NotifyPayload.of(NotifyType.Known.INVALID_MESSAGE_ID, Octets.ofUnsigned(9, 4)),
                NotifyPayload.childSa(NotifyType.Known.INVALID_SPI, ProtocolId.Known.ESP, 0xc0ffee05L,
                        Octets.empty()))));
        out.add(new Named("EAP payload, unsupported and not critical", IkeMessage.of(
                IkeHeader.response(ISPI, RSPI, ExchangeType.Known.IKE_AUTH, 2, false),
                new UnsupportedPayload(PayloadType.Known.EAP, false, Octets.fromHex("0101000501")))));
        EncryptedTemplate sk = CODEC.encryptedTemplate(
                IkeHeader.request(ISPI, RSPI, ExchangeType.Known.INFORMATIONAL, 6, true),
                PayloadType.Known.DELETE, 8, 24, 16);
        byte[] skBytes = sk.datagram();
        for (int i = sk.regions().ivOffset(); i < skBytes.length; i++) {
            skBytes[i] = (byte) (i * 7);
        }
        out.add(new Named("INFORMATIONAL protected (SK)", CODEC.decode(skBytes).orElseThrow()));
        EncryptedTemplate skf = CODEC.fragmentTemplate(
                IkeHeader.request(ISPI, RSPI, ExchangeType.Known.IKE_AUTH, 1, true),
                PayloadType.Known.IDI, 1, 3, 16, 64, 16);
        byte[] skfBytes = skf.datagram();
        for (int i = skf.regions().ivOffset(); i < skfBytes.length; i++) {
            skfBytes[i] = (byte) (i * 13);
        }
        out.add(new Named("IKE_AUTH fragment (SKF)", CODEC.decode(skfBytes).orElseThrow()));
        return out;
    }

    /** A message and what it shows. */
    record Named(String name, IkeMessage message) {
        @Override
        public String toString() {
            return name;
        }
    }
}
