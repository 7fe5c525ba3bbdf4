package net.palisade.model.wire.ikev2;

import static net.palisade.model.wire.ikev2.Samples.CODEC;
import static net.palisade.model.wire.ikev2.Samples.hex;
import static net.palisade.model.wire.ikev2.Samples.ip;
import static org.assertj.core.api.Assertions.assertThat;

import java.util.List;
import net.palisade.model.crypto.AuthAlgorithm;
import net.palisade.model.crypto.DhGroup;
import net.palisade.model.crypto.EncryptionAlgorithm;
import net.palisade.model.wire.DataAttribute;
import net.palisade.model.wire.Octets;
import org.junit.jupiter.api.Test;

/**
 * The byte layouts RFC 7296 draws (figure numbers as in the RFC), RFC 7383 figure 2 and RFC 7427 section 3,
 * written out octet by octet in the comments; the encoder must produce exactly these octets and the decoder must
 * read them back into the same value.
 */
class Rfc7296LayoutTest {

    static final IkeHeader REQUEST = IkeHeader.request(0x0123456789abcdefL, 0, ExchangeType.Known.IKE_SA_INIT, 0, true);

    /** Encodes {@code payload} alone and decodes the octets back; both must match {@code octets}. */
    static void assertLayout(Payload payload, String octets) {
        byte[] expected = hex(octets.replace(" ", ""));
        assertThat(hex(CODEC.encodeChain(List.of(payload)))).isEqualTo(hex(expected));
        List<Payload> decoded = CODEC.decodeInnerChain(REQUEST, payload.type(), expected, expected.length).orElseThrow();
        assertThat(decoded).containsExactly(payload);
    }

    @Test
    void figure4IkeHeader() {
        IkeMessage m = IkeMessage.of(REQUEST, new VendorIdPayload(Octets.fromHex("cafe")));
        assertThat(hex(CODEC.encode(m))).isEqualTo(""
                + "0123456789abcdef"   // IKE SA Initiator's SPI
                + "0000000000000000"   // IKE SA Responder's SPI
                + "2b"                 // Next Payload: Vendor ID (43)
                + "20"                 // MjVer 2 | MnVer 0
                + "22"                 // Exchange Type: IKE_SA_INIT (34)
                + "08"                 // Flags: I
                + "00000000"           // Message ID
                + "00000022"           // Length: 28 + 6
                + "00000006cafe");     // Vendor ID payload
        IkeHeader response = IkeHeader.response(1, 2, ExchangeType.Known.INFORMATIONAL, 0xfffffffeL, false);
        byte[] r = CODEC.encode(IkeMessage.of(response));
        assertThat(hex(r)).isEqualTo("0000000000000001" + "0000000000000002" + "00" + "20" + "25" + "20" + "fffffffe"
                + "0000001c");
        assertThat(CODEC.decodeHeader(r).orElseThrow()).isEqualTo(response);
    }

    @Test
    void section33ExampleSaWithTwoEspProposals() {
        // RFC 7296 section 3.3: Proposal #1 (ESP, SPI 0x052357bb, 7 transforms) and Proposal #2 (ESP, SPI
        // 0x35a1d6f2, 4 transforms); figures 6 (SA), 7 (proposal), 8 (transform) and 9 (attribute).
        SaPayload sa = SaPayload.of(
                new Proposal(1, ProtocolId.Known.ESP, Octets.fromHex("052357bb"), List.of(
                        aesCbc(128), aesCbc(192), aesCbc(256),
                        Transform.of(TransformType.Known.INTEG, 2),      // AUTH_HMAC_SHA1_96
                        Transform.of(TransformType.Known.INTEG, 5),      // AUTH_AES_XCBC_96
                        Transform.esn(true), Transform.esn(false))),
                new Proposal(2, ProtocolId.Known.ESP, Octets.fromHex("35a1d6f2"), List.of(
                        gcm8(128), gcm8(256), Transform.esn(true), Transform.esn(false))));
        assertLayout(sa, ""
                + "00 00 0088"                      // generic header: length 4 + 80 + 52
                + "02 00 0050 01 03 04 07 052357bb" // proposal 1: more follow, 80 octets, #1 ESP SPI size 4, 7 tf
                + "03 00 000c 01 00 000c 800e0080"  // ENCR_AES_CBC, Key Length 128 (TV)
                + "03 00 000c 01 00 000c 800e00c0"  // ENCR_AES_CBC, 192
                + "03 00 000c 01 00 000c 800e0100"  // ENCR_AES_CBC, 256
                + "03 00 0008 03 00 0002"           // AUTH_HMAC_SHA1_96
                + "03 00 0008 03 00 0005"           // AUTH_AES_XCBC_96
                + "03 00 0008 05 00 0001"           // ESN
                + "00 00 0008 05 00 0000"           // No ESN, last transform
                + "00 00 0034 02 03 04 04 35a1d6f2" // proposal 2: last, 52 octets
                + "03 00 000c 01 00 0012 800e0080"  // AES-GCM with an 8-octet ICV (18), 128
                + "03 00 000c 01 00 0012 800e0100"  // 256
                + "03 00 0008 05 00 0001"
                + "00 00 0008 05 00 0000");
        // What Palisade's algorithm tables make of it: AES-192, XCBC and GCM-8 are not Palisade algorithms.
        List<Transform> p1 = sa.proposals().get(0).transforms();
        assertThat(p1.get(0).algorithm()).isEqualTo(new TransformAlgorithm.Encryption(EncryptionAlgorithm.AES_128));
        assertThat(p1.get(1).algorithm()).hasToString("ENCR UNKNOWN(12)/192");
        assertThat(p1.get(2).algorithm()).isEqualTo(new TransformAlgorithm.Encryption(EncryptionAlgorithm.AES_256));
        assertThat(p1.get(3).algorithm()).isEqualTo(new TransformAlgorithm.Integrity(AuthAlgorithm.HMAC_SHA1));
        assertThat(p1.get(4).algorithm()).isInstanceOf(TransformAlgorithm.Unknown.class);
        assertThat(p1.get(5).algorithm()).isEqualTo(new TransformAlgorithm.Esn(true));
        assertThat(p1.get(6).algorithm()).isEqualTo(new TransformAlgorithm.Esn(false));
        assertThat(sa.proposals().get(1).transforms().get(0).algorithm()).hasToString("ENCR UNKNOWN(18)/128");
        assertThat(sa.proposals().get(1).spiValue()).isEqualTo(0x35a1d6f2L);
    }

    static Transform aesCbc(int bits) {
        return new Transform(TransformType.Known.ENCR, 12, List.of(DataAttribute.tv(14, bits)));
    }

    static Transform gcm8(int bits) {
        return new Transform(TransformType.Known.ENCR, 18, List.of(DataAttribute.tv(14, bits)));
    }

    @Test
    void figure9TlvAttributeLayout() {
        Transform t = new Transform(TransformType.of(241), 1,
                List.of(DataAttribute.tlv(16384, Octets.fromHex("0102")), DataAttribute.tv(14, 256)));
        assertLayout(SaPayload.of(new Proposal(1, ProtocolId.Known.IKE, Octets.empty(), List.of(t))), ""
                + "00 00 001e 00 00 001a 01 01 00 01" // SA 30 octets, proposal 26
                + "00 00 0012 f1 00 0001"             // transform 8 + 6 + 4
                + "4000 0002 0102"                  // AF = 0: type 16384, length 2, value
                + "800e 0100");                     // AF = 1: Key Length 256
    }

    @Test
    void figure10KeyExchange() {
        assertLayout(KePayload.of(DhGroup.CURVE25519, Samples.seq(32, 0)), ""
                + "00 00 0028 001f 0000"            // DH Group Num 31, RESERVED
                + Samples.seq(32, 0).hex());
    }

    @Test
    void figure11Identification() {
        assertLayout(IdPayload.fqdn(true, "gw.example"), "00 00 0012 02 000000 67772e6578616d706c65");
        assertLayout(IdPayload.address(false, ip("192.0.2.2")), "00 00 000c 01 000000 c0000202");
        assertLayout(IdPayload.address(true, ip("2001:db8::1")),
                "00 00 0018 05 000000 20010db8000000000000000000000001");
        assertLayout(IdPayload.rfc822(true, "ops@example.net"), "00 00 0017 03 000000 6f7073406578616d706c652e6e6574");
        assertLayout(IdPayload.keyId(true, Octets.fromHex("abcd")), "00 00 000a 0b 000000 abcd");
        assertThat(IdPayload.fqdn(true, "gw.example").authBody().hex()).isEqualTo("0200000067772e6578616d706c65");
    }

    @Test
    void figures12And13CertificateAndRequest() {
        assertLayout(CertPayload.x509(Octets.fromHex("3003020101")), "00 00 000a 04 3003020101");
        assertLayout(CertReqPayload.x509(List.of(Samples.seq(20, 0))), "00 00 0019 04 " + Samples.seq(20, 0).hex());
        assertLayout(new CertReqPayload(CertEncoding.Known.X509_SIGNATURE, Octets.empty()), "00 00 0005 04");
    }

    @Test
    void figure14AuthenticationAndRfc7427Section3() {
        assertLayout(new AuthPayload(AuthMethod.Known.SHARED_KEY_MIC, Octets.fromHex("00112233")),
                "00 00 000c 02 000000 00112233");
        AuthPayload ds = AuthPayload.of(new AuthPayload.DigitalSignature(Samples.ECDSA_SHA256_ALG_ID,
                Octets.fromHex("aabbcc")));
        assertLayout(ds, "00 00 0018 0e 000000"
                + "0c 300a06082a8648ce3d040302"     // ASN.1 Length, AlgorithmIdentifier (ecdsa-with-SHA256)
                + "aabbcc");                        // Signature Value
        assertThat(ds.digitalSignature().orElseThrow().algorithmIdentifier()).isEqualTo(Samples.ECDSA_SHA256_ALG_ID);
    }

    @Test
    void figure15Nonce() {
        assertLayout(new NoncePayload(Samples.seq(16, 0)), "00 00 0014 " + Samples.seq(16, 0).hex());
    }

    @Test
    void figure16Notify() {
        assertLayout(NotifyPayload.of(NotifyType.Known.NAT_DETECTION_SOURCE_IP, Samples.seq(20, 0)),
                "00 00 001c 00 00 4004 " + Samples.seq(20, 0).hex());
        assertLayout(NotifyPayload.childSa(NotifyType.Known.REKEY_SA, ProtocolId.Known.ESP, 0xc0ffee01L,
                Octets.empty()), "00 00 000c 03 04 4009 c0ffee01");
        assertLayout(NotifyPayload.invalidKe(DhGroup.MODP2048), "00 00 000a 00 00 0011 000e");
        assertLayout(NotifyPayload.signatureHashAlgorithms(List.of(HashAlgorithm.Known.SHA2_256,
                HashAlgorithm.Known.IDENTITY)), "00 00 000c 00 00 402f 0002 0005");
    }

    @Test
    void figure17Delete() {
        assertLayout(DeletePayload.ikeSa(), "00 00 0008 01 00 0000");
        assertLayout(DeletePayload.childSas(ProtocolId.Known.ESP, 0x11223344L, 0x55667788L),
                "00 00 0010 03 04 0002 11223344 55667788");
    }

    @Test
    void figure18VendorId() {
        assertLayout(new VendorIdPayload(Octets.fromHex("882fe56d6fd20dbc2251613b2ebe5beb")),
                "00 00 0014 882fe56d6fd20dbc2251613b2ebe5beb");
    }

    @Test
    void figures19And20TrafficSelectors() {
        TsPayload ts = TsPayload.of(true,
                TrafficSelector.AddressRange.cidr(ip("10.1.0.0"), 24),
                TrafficSelector.AddressRange.cidr(ip("2001:db8::"), 64).withProtocol(17).withPorts(500, 4500));
        assertLayout(ts, "00 00 0040 02 000000"
                + "07 00 0010 0000 ffff 0a010000 0a0100ff"              // TS_IPV4_ADDR_RANGE, any protocol, ports
                + "08 11 0028 01f4 1194"                                 // TS_IPV6_ADDR_RANGE, UDP, 500-4500
                + "20010db8000000000000000000000000"                     // starting address
                + "20010db800000000ffffffffffffffff");                   // ending address
    }

    @Test
    void figure21EncryptedAndRfc5282Aad() {
        EncryptedTemplate t = CODEC.encryptedTemplate(
                IkeHeader.request(1, 2, ExchangeType.Known.INFORMATIONAL, 3, true), PayloadType.Known.DELETE, 8, 9, 16);
        assertThat(hex(t.datagram())).isEqualTo("0000000000000001" + "0000000000000002" + "2e" + "20" + "25" + "08"
                + "00000003" + "00000041"
                + "2a" + "00" + "0025"                     // SK: Next Payload = first inner (Delete), length 4+33
                + "00".repeat(8 + 9 + 16));                // IV, ciphertext, ICV
        EncryptedRegions r = t.regions();
        assertThat(r.aadLength()).as("RFC 5282 5.1: IKE header through the SK generic header").isEqualTo(32);
        assertThat(r.ivOffset()).isEqualTo(32);
        assertThat(r.ciphertextOffset()).isEqualTo(40);
        assertThat(r.icvOffset()).isEqualTo(49);
        assertThat(r.integrityLength()).as("RFC 7296 3.14: checksum covers header through ciphertext").isEqualTo(49);
        assertThat(r.messageLength()).isEqualTo(65);
        assertThat(CODEC.encryptedRegions(t.datagram(), 8, 16).orElseThrow()).isEqualTo(r);
    }

    @Test
    void rfc7383Figure2EncryptedFragment() {
        EncryptedTemplate t = CODEC.fragmentTemplate(
                IkeHeader.request(1, 2, ExchangeType.Known.IKE_AUTH, 1, true), PayloadType.Known.IDI, 2, 3, 16, 16, 12);
        assertThat(hex(t.datagram())).isEqualTo("0000000000000001" + "0000000000000002" + "35" + "20" + "23" + "08"
                + "00000001" + "00000050"                  // Length 28 + 52
                + "00" + "00" + "0034"                     // SKF: Next Payload 0 (not the first fragment), 4+4+44
                + "0002" + "0003"                          // Fragment Number, Total Fragments
                + "00".repeat(16 + 16 + 12));
        assertThat(t.regions().aadLength()).as("RFC 7383 2.5: AAD includes Fragment Number and Total").isEqualTo(36);
        assertThat(t.regions().firstInner()).isEqualTo(PayloadType.Known.NO_NEXT_PAYLOAD);
        assertThat(CODEC.encryptedRegions(t.datagram(), 16, 12).orElseThrow()).isEqualTo(t.regions());
        assertThat(CODEC.decode(t.datagram()).orElseThrow().payloads()).containsExactly(
                new SkfPayload(PayloadType.Known.NO_NEXT_PAYLOAD, 2, 3, Octets.of(new byte[44])));
    }

    @Test
    void figures22And23Configuration() {
        assertLayout(new CpPayload(ConfigType.Known.CFG_REPLY, List.of(
                new CpPayload.Attribute(ConfigAttributeType.Known.INTERNAL_IP4_ADDRESS, Octets.fromHex("0a000001")),
                new CpPayload.Attribute(ConfigAttributeType.Known.INTERNAL_IP6_DNS, Octets.empty()))),
                "00 00 0014 02 000000 0001 0004 0a000001 000a 0000");
    }
}
