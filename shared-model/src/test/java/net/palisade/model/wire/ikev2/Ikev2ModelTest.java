package net.palisade.model.wire.ikev2;

import static net.palisade.model.wire.ikev2.Samples.CODEC;
import static net.palisade.model.wire.ikev2.Samples.ip;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.List;
import java.util.OptionalInt;
import javax.crypto.Cipher;
import javax.crypto.spec.GCMParameterSpec;
import javax.crypto.spec.SecretKeySpec;
import net.palisade.model.IdType;
import net.palisade.model.IpFamily;
import net.palisade.model.Network;
import net.palisade.model.crypto.AuthAlgorithm;
import net.palisade.model.crypto.DhGroup;
import net.palisade.model.crypto.EncryptionAlgorithm;
import net.palisade.model.wire.DataAttribute;
import net.palisade.model.wire.Octets;
import org.junit.jupiter.api.Nested;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.EnumSource;
import org.junit.jupiter.params.provider.MethodSource;

/** The value types, builders and encoder of the IKEv2 codec. */
class Ikev2ModelTest {

    static List<Samples.Named> samples() {
        return Samples.messages();
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("samples")
    void builtMessagesRoundTrip(Samples.Named sample) {
        byte[] encoded = CODEC.encode(sample.message());
        IkeMessage decoded = CODEC.decode(encoded).orElseThrow();
        assertThat(decoded).isEqualTo(sample.message());
        assertThat(CODEC.encode(decoded)).isEqualTo(encoded);
    }

    @Nested
    class OpenEnums {
        @Test
        void knownNumbersGiveTheirConstant() {
            assertThat(ExchangeType.of(34)).isSameAs(ExchangeType.Known.IKE_SA_INIT);
            assertThat(ExchangeType.of(35)).isSameAs(ExchangeType.Known.IKE_AUTH);
            assertThat(ExchangeType.of(36)).isSameAs(ExchangeType.Known.CREATE_CHILD_SA);
            assertThat(ExchangeType.of(37)).isSameAs(ExchangeType.Known.INFORMATIONAL);
            assertThat(PayloadType.of(46)).isSameAs(PayloadType.Known.SK);
            assertThat(PayloadType.of(53)).isSameAs(PayloadType.Known.SKF);
            assertThat(TransformType.of(4)).isSameAs(TransformType.Known.KE);
            assertThat(ProtocolId.of(3)).isSameAs(ProtocolId.Known.ESP);
            assertThat(AuthMethod.of(14)).isSameAs(AuthMethod.Known.DIGITAL_SIGNATURE);
            assertThat(IdentificationType.of(11)).isSameAs(IdentificationType.Known.ID_KEY_ID);
            assertThat(TsType.of(8)).isSameAs(TsType.Known.TS_IPV6_ADDR_RANGE);
        }

        @Test
        void unknownNumbersKeepTheirValue() {
            ExchangeType x = ExchangeType.of(240);
            assertThat(x).isEqualTo(new ExchangeType.Unknown(240));
            assertThat(x.value()).isEqualTo(240);
            assertThat(x.name()).isEqualTo("UNKNOWN(240)");
            assertThat(x).hasToString("UNKNOWN(240)");
            assertThat(NotifyType.of(40_000).name()).isEqualTo("UNKNOWN(40000)");
        }

        @Test
        void anUnknownValueCannotHoldAKnownNumberOrOverflow() {
            assertThatThrownBy(() -> new ExchangeType.Unknown(34)).hasMessageContaining("IKE_SA_INIT");
            assertThatThrownBy(() -> ExchangeType.of(256)).isInstanceOf(IllegalArgumentException.class);
            assertThatThrownBy(() -> NotifyType.of(-1)).isInstanceOf(IllegalArgumentException.class);
            assertThatThrownBy(() -> ConfigAttributeType.of(0x8000)).isInstanceOf(IllegalArgumentException.class);
        }

        @ParameterizedTest
        @CsvSource({
            "UNSUPPORTED_CRITICAL_PAYLOAD, 1", "INVALID_IKE_SPI, 4", "INVALID_MAJOR_VERSION, 5", "INVALID_SYNTAX, 7",
            "INVALID_MESSAGE_ID, 9", "INVALID_SPI, 11", "NO_PROPOSAL_CHOSEN, 14", "INVALID_KE_PAYLOAD, 17",
            "AUTHENTICATION_FAILED, 24", "SINGLE_PAIR_REQUIRED, 34", "NO_ADDITIONAL_SAS, 35",
            "INTERNAL_ADDRESS_FAILURE, 36", "FAILED_CP_REQUIRED, 37", "TS_UNACCEPTABLE, 38", "INVALID_SELECTORS, 39",
            "TEMPORARY_FAILURE, 43", "CHILD_SA_NOT_FOUND, 44",
            "INITIAL_CONTACT, 16384", "SET_WINDOW_SIZE, 16385", "ADDITIONAL_TS_POSSIBLE, 16386",
            "IPCOMP_SUPPORTED, 16387", "NAT_DETECTION_SOURCE_IP, 16388", "NAT_DETECTION_DESTINATION_IP, 16389",
            "COOKIE, 16390", "USE_TRANSPORT_MODE, 16391", "REKEY_SA, 16393", "ESP_TFC_PADDING_NOT_SUPPORTED, 16394",
            "NON_FIRST_FRAGMENTS_ALSO, 16395", "MOBIKE_SUPPORTED, 16396", "IKEV2_FRAGMENTATION_SUPPORTED, 16430",
            "SIGNATURE_HASH_ALGORITHMS, 16431",
        })
        void notifyTypesHaveIanasNumbers(String name, int value) {
            NotifyType t = NotifyType.Known.valueOf(name);
            assertThat(t.value()).isEqualTo(value);
            assertThat(NotifyType.of(value)).isSameAs(t);
            assertThat(t.isError()).isEqualTo(value < 16384);
        }

        @Test
        void errorAndStatusRangesForUnknownTypes() {
            assertThat(NotifyType.of(8192).isError()).isTrue();
            assertThat(NotifyType.of(16383).isError()).isTrue();
            assertThat(NotifyType.of(40960).isError()).isFalse();
        }
    }

    @Nested
    class Transforms {
        @ParameterizedTest
        @EnumSource(EncryptionAlgorithm.class)
        void encryptionTransformsMapBackToTheTable(EncryptionAlgorithm a) {
            Transform t = Transform.encryption(a);
            assertThat(t.id()).isEqualTo(a.ikev2Id());
            assertThat(t.keyLength()).isEqualTo(a.keyLengthAttribute());
            assertThat(t.algorithm()).isEqualTo(new TransformAlgorithm.Encryption(a));
        }

        @ParameterizedTest
        @EnumSource(AuthAlgorithm.class)
        void prfAndIntegrityMapBack(AuthAlgorithm a) {
            assertThat(Transform.prf(a).algorithm()).isEqualTo(new TransformAlgorithm.Prf(a));
            assertThat(Transform.integrity(a).algorithm()).isEqualTo(new TransformAlgorithm.Integrity(a));
        }

        @ParameterizedTest
        @EnumSource(DhGroup.class)
        void groupsMapBack(DhGroup g) {
            assertThat(Transform.keyExchange(g).algorithm()).isEqualTo(new TransformAlgorithm.KeyExchange(g));
            assertThat(Transform.of(TransformType.Known.ADDKE1, g.ikev2Id()).algorithm())
                    .isEqualTo(new TransformAlgorithm.KeyExchange(g));
        }

        @Test
        void othersAreExplicitlyUnknown() {
            assertThat(Transform.of(TransformType.Known.ENCR, 13).algorithm())
                    .isEqualTo(new TransformAlgorithm.Unknown(TransformType.Known.ENCR, 13, OptionalInt.empty()));
            assertThat(Transform.of(TransformType.Known.ENCR, 12).algorithm()).hasToString("ENCR UNKNOWN(12)");
            assertThat(Transform.of(TransformType.Known.KE, 22).algorithm()).hasToString("KE UNKNOWN(22)");
            assertThat(Transform.of(TransformType.Known.ESN, 2).algorithm()).isInstanceOf(TransformAlgorithm.Unknown.class);
            assertThat(Transform.of(TransformType.of(200), 1).algorithm()).hasToString("UNKNOWN(200) UNKNOWN(1)");
            assertThat(Transform.of(TransformType.Known.INTEG, 0).algorithm()).isEqualTo(new TransformAlgorithm.NoIntegrity());
            assertThat(Transform.esn(true).algorithm()).isEqualTo(new TransformAlgorithm.Esn(true));
        }

        @Test
        void keyLengthOnlyFromTvAttribute14() {
            Transform t = new Transform(TransformType.Known.ENCR, 12, List.of(DataAttribute.tlv(14, Octets.fromHex("0080"))));
            assertThat(t.keyLength()).isEmpty();
            assertThat(Transform.encryption(EncryptionAlgorithm.AES_256)).hasToString("ENCR 12/256");
        }

        @Test
        void proposalHelpers() {
            Proposal p = Samples.ikeSa().proposals().get(1);
            assertThat(p.transforms(TransformType.Known.INTEG)).containsExactly(
                    Transform.integrity(AuthAlgorithm.HMAC_SHA2_256));
            assertThat(Proposal.esp(1, 0xc0ffee01L).spi().hex()).isEqualTo("c0ffee01");
            assertThat(Proposal.ikeRekey(1, 0x0102030405060708L).spiValue()).isEqualTo(0x0102030405060708L);
            assertThat(Proposal.ah(1, 7).protocol()).isEqualTo(ProtocolId.Known.AH);
            assertThat(p.withNumber(5).number()).isEqualTo(5);
            assertThat(p.withSpi(Octets.fromHex("01020304")).spi().length()).isEqualTo(4);
        }
    }

    @Nested
    class TrafficSelectors {
        @Test
        void fromCidrAndBack() {
            var r = TrafficSelector.AddressRange.cidr(ip("10.1.2.3"), 16);
            assertThat(r.startAddress()).isEqualTo(ip("10.1.0.0"));
            assertThat(r.endAddress()).isEqualTo(ip("10.1.255.255"));
            assertThat(r.toNetwork()).contains(Network.parse("10.1.0.0/16"));
            assertThat(r.anyPort()).isTrue();
            assertThat(r.contains(ip("10.1.9.9"))).isTrue();
            assertThat(r.contains(ip("10.2.0.0"))).isFalse();
            assertThat(r.contains(ip("::1"))).isFalse();
            assertThat(r).hasToString("10.1.0.0/16");
        }

        @Test
        void fromConfigNetworks() {
            assertThat(TrafficSelector.AddressRange.of(Network.any(), IpFamily.IPV6).toNetwork())
                    .contains(Network.parse("::/0"));
            assertThat(TrafficSelector.AddressRange.of(Network.parse("10.9.1.1"), IpFamily.IPV4).toNetwork())
                    .contains(Network.parse("10.9.1.1/32"));
            var v6 = TrafficSelector.AddressRange.of(Network.parse("2001:db8::/32"), IpFamily.IPV4);
            assertThat(v6.tsType()).isEqualTo(TsType.Known.TS_IPV6_ADDR_RANGE);
            assertThat(v6.endAddress()).isEqualTo(ip("2001:db8:ffff:ffff:ffff:ffff:ffff:ffff"));
            assertThat(TsPayload.ofNetworks(false, List.of(Network.parse("10.0.0.0/8")), IpFamily.IPV4).type())
                    .isEqualTo(PayloadType.Known.TSR);
        }

        @Test
        void rangesThatAreNotOneNetwork() {
            var r = new TrafficSelector.AddressRange(6, 443, 443, ip("10.0.0.1"), ip("10.0.0.6"));
            assertThat(r.toNetwork()).isEmpty();
            assertThat(r).hasToString("10.0.0.1-10.0.0.6 proto 6 ports 443-443");
            assertThat(new TrafficSelector.AddressRange(0, 0, 65535, ip("10.0.0.8"), ip("10.0.0.1")).toNetwork())
                    .isEmpty();
            assertThat(new TrafficSelector.AddressRange(0, 0, 65535, ip("10.0.0.2"), ip("10.0.0.5")).toNetwork())
                    .isEmpty();
        }

        @Test
        void refusesMixedFamiliesAndBadPorts() {
            assertThatThrownBy(() -> new TrafficSelector.AddressRange(0, 0, 1, ip("10.0.0.1"), ip("::1")))
                    .hasMessageContaining("families");
            assertThatThrownBy(() -> new TrafficSelector.AddressRange(0, 0, 70000, ip("10.0.0.1"), ip("10.0.0.1")))
                    .isInstanceOf(IllegalArgumentException.class);
        }
    }

    @Nested
    class Payloads {
        @Test
        void identification() {
            IdPayload v4 = IdPayload.address(true, ip("192.0.2.1"));
            assertThat(v4.address()).contains(ip("192.0.2.1"));
            assertThat(v4.modelType()).contains(IdType.IPV4);
            assertThat(v4.type()).isEqualTo(PayloadType.Known.IDI);
            assertThat(IdPayload.fqdn(false, "a.example").text()).contains("a.example");
            assertThat(IdPayload.fqdn(false, "a.example").type()).isEqualTo(PayloadType.Known.IDR);
            assertThat(IdPayload.keyId(true, Octets.fromHex("01")).modelType()).isEmpty();
            assertThat(IdPayload.keyId(true, Octets.fromHex("01")).text()).isEmpty();
        }

        @Test
        void notifyAccessors() {
            assertThat(NotifyPayload.invalidKe(DhGroup.ECP256).acceptedGroup()).hasValue(19);
            assertThat(NotifyPayload.of(NotifyType.Known.COOKIE, Octets.fromHex("01")).acceptedGroup()).isEmpty();
            assertThat(NotifyPayload.signatureHashAlgorithms(List.of(HashAlgorithm.Known.SHA2_512, HashAlgorithm.of(99)))
                    .hashAlgorithms().orElseThrow()).containsExactly(HashAlgorithm.Known.SHA2_512, HashAlgorithm.of(99));
            assertThat(NotifyPayload.unsupportedCritical(48).isError()).isTrue();
            assertThat(NotifyPayload.childSa(NotifyType.Known.REKEY_SA, ProtocolId.Known.ESP, 0xfffffffeL,
                    Octets.empty()).spiValue()).isEqualTo(0xfffffffeL);
            IkeMessage m = Samples.messages().getFirst().message();
            assertThat(m.notify(NotifyType.Known.IKEV2_FRAGMENTATION_SUPPORTED)).isPresent();
            assertThat(m.notify(NotifyType.Known.COOKIE)).isEmpty();
            assertThat(m.notifies()).hasSize(4);
            assertThat(m.first(KePayload.class).orElseThrow().dhGroup()).contains(DhGroup.CURVE25519);
            assertThat(m.encrypted()).isFalse();
        }

        @Test
        void deleteAndCertReq() {
            assertThat(DeletePayload.childSas(ProtocolId.Known.ESP, 1, 2).spiValues()).containsExactly(1L, 2L);
            assertThat(new CertReqPayload(CertEncoding.Known.X509_SIGNATURE, Octets.of(new byte[21]))
                    .authorityKeyHashes()).isEmpty();
            assertThatThrownBy(() -> CertReqPayload.x509(List.of(Octets.of(new byte[19]))))
                    .isInstanceOf(IllegalArgumentException.class);
        }

        @Test
        void digitalSignatureStructure() {
            assertThat(AuthPayload.DigitalSignature.parse(Octets.fromHex("01ff"))).isEmpty();
            assertThat(AuthPayload.DigitalSignature.parse(Octets.fromHex("0000"))).isEmpty();
            assertThat(AuthPayload.DigitalSignature.parse(Octets.fromHex("01aabb")).orElseThrow().signature())
                    .isEqualTo(Octets.fromHex("bb"));
            assertThat(new AuthPayload(AuthMethod.Known.SHARED_KEY_MIC, Octets.fromHex("01aabb")).digitalSignature())
                    .isEmpty();
        }

        @Test
        void recordsRefuseWhatTheWireCannotCarry() {
            assertThatThrownBy(() -> new NoncePayload(Octets.of(new byte[15]))).isInstanceOf(IllegalArgumentException.class);
            assertThatThrownBy(() -> new SaPayload(List.of())).isInstanceOf(IllegalArgumentException.class);
            assertThatThrownBy(() -> new TsPayload(true, List.of())).isInstanceOf(IllegalArgumentException.class);
            assertThatThrownBy(() -> new SkfPayload(PayloadType.Known.IDI, 3, 2, Octets.empty()))
                    .isInstanceOf(IllegalArgumentException.class);
            assertThatThrownBy(() -> new IkeHeader(1, 0, 16, ExchangeType.Known.IKE_AUTH, 0, 0))
                    .isInstanceOf(IllegalArgumentException.class);
            assertThatThrownBy(() -> new IkeHeader(1, 0, 0, ExchangeType.Known.IKE_AUTH, 0, 1L << 32))
                    .isInstanceOf(IllegalArgumentException.class);
            assertThatThrownBy(() -> DataAttribute.tv(0x8000, 1)).isInstanceOf(IllegalArgumentException.class);
            assertThatThrownBy(() -> DataAttribute.tv(1, 0x10000)).isInstanceOf(IllegalArgumentException.class);
            assertThatThrownBy(() -> new DeletePayload(ProtocolId.Known.ESP, 4, List.of(Octets.of(new byte[3]))))
                    .isInstanceOf(IllegalArgumentException.class);
        }

        @Test
        void headerFlagsAndText() {
            IkeHeader h = new IkeHeader(0x0102030405060708L, 0, 0, ExchangeType.Known.IKE_SA_INIT, 0x38, 0);
            assertThat(h.initiator()).isTrue();
            assertThat(h.response()).isTrue();
            assertThat(h.higherVersion()).isTrue();
            assertThat(h).hasToString("IKE_SA_INIT response I V 0102030405060708:0000000000000000 #0");
            assertThat(h.withResponderSpi(9).responderSpi()).isEqualTo(9);
            assertThat(h.withMessageId(7).messageId()).isEqualTo(7);
        }
    }

    @Nested
    class Encoding {
        @Test
        void skMustBeLastAndOnlyOuter() {
            IkeHeader h = IkeHeader.request(1, 2, ExchangeType.Known.INFORMATIONAL, 1, true);
            SkPayload sk = new SkPayload(PayloadType.Known.DELETE, Octets.of(new byte[30]));
            assertThatThrownBy(() -> CODEC.encode(IkeMessage.of(h, sk, new VendorIdPayload(Octets.empty()))))
                    .hasMessageContaining("last");
            assertThatThrownBy(() -> CODEC.encodeChain(List.of(sk))).hasMessageContaining("inside");
        }

        @Test
        void refusesOversizedPayloadsAndMessages() {
            IkeHeader h = IkeHeader.request(1, 2, ExchangeType.Known.INFORMATIONAL, 1, true);
            VendorIdPayload big = new VendorIdPayload(Octets.of(new byte[65_532]));
            assertThatThrownBy(() -> CODEC.encode(IkeMessage.of(h, big))).hasMessageContaining("65535");
            VendorIdPayload half = new VendorIdPayload(Octets.of(new byte[40_000]));
            assertThatThrownBy(() -> CODEC.encode(IkeMessage.of(h, half, half))).hasMessageContaining("limit");
        }

        @ParameterizedTest
        @CsvSource({"1", "4", "8", "16"})
        void innerPaddingFillsTheBlock(int block) {
            List<Payload> inner = List.of(DeletePayload.childSas(ProtocolId.Known.ESP, 0x01020304L));
            byte[] padded = CODEC.encodeInner(inner, block);
            assertThat(padded.length % block).isZero();
            int pad = padded[padded.length - 1];
            assertThat(pad).isBetween(0, block - 1);
            assertThat(padded.length - pad - 1).isEqualTo(12);
            assertThat(CODEC.decodeInner(IkeHeader.request(1, 2, ExchangeType.Known.INFORMATIONAL, 1, true),
                    PayloadType.Known.DELETE, padded).orElseThrow()).isEqualTo(inner);
        }

        @Test
        void sealAndOpenWithTheTemplateAndRegions() throws Exception {
            IkeHeader h = IkeHeader.request(1, 2, ExchangeType.Known.IKE_AUTH, 1, true);
            List<Payload> inner = Samples.messages().get(4).message().payloads();
            byte[] plain = CODEC.encodeInner(inner, 1);
            EncryptedTemplate t = CODEC.encryptedTemplate(h, inner.getFirst().type(), 8, plain.length, 16);
            byte[] key = new byte[16];
            byte[] nonce = new byte[12];
            byte[] d = t.datagram();
            Cipher c = Cipher.getInstance("AES/GCM/NoPadding");
            c.init(Cipher.ENCRYPT_MODE, new SecretKeySpec(key, "AES"), new GCMParameterSpec(128, nonce));
            c.updateAAD(t.regions().aad(d));
            byte[] sealed = c.doFinal(plain);
            System.arraycopy(sealed, 0, d, t.regions().ciphertextOffset(), sealed.length);

            IkeMessage outer = CODEC.decode(d).orElseThrow();
            SkPayload sk = outer.first(SkPayload.class).orElseThrow();
            EncryptedRegions r = CODEC.encryptedRegions(d, 8, 16).orElseThrow();
            assertThat(r).isEqualTo(t.regions());
            c.init(Cipher.DECRYPT_MODE, new SecretKeySpec(key, "AES"), new GCMParameterSpec(128, nonce));
            c.updateAAD(r.aad(d));
            c.update(r.ciphertext(d));
            byte[] opened = c.doFinal(r.icv(d));
            assertThat(CODEC.decodeInner(outer.header(), sk.firstInner(), opened).orElseThrow()).isEqualTo(inner);
        }

        @Test
        void templatesRefuseImpossibleSizes() {
            IkeHeader h = IkeHeader.request(1, 2, ExchangeType.Known.IKE_AUTH, 1, true);
            assertThatThrownBy(() -> CODEC.encryptedTemplate(h, PayloadType.Known.IDI, 8, 0, 16))
                    .isInstanceOf(IllegalArgumentException.class);
            assertThatThrownBy(() -> CODEC.fragmentTemplate(h, PayloadType.Known.IDI, 0, 2, 8, 8, 16))
                    .isInstanceOf(IllegalArgumentException.class);
            assertThatThrownBy(() -> CODEC.encryptedRegions(new byte[28], -1, 16))
                    .isInstanceOf(IllegalArgumentException.class);
            assertThatThrownBy(() -> CODEC.encodeInner(List.of(), 0)).isInstanceOf(IllegalArgumentException.class);
        }

        @Test
        void mapKeepsErrors() {
            DecodeResult<IkeHeader> err = CODEC.decodeHeader(new byte[3]);
            DecodeResult<Long> mapped = err.map(IkeHeader::messageId);
            assertThat(mapped).isInstanceOf(DecodeResult.UnprotectedError.class);
            assertThatThrownBy(mapped::orElseThrow).hasMessageContaining("DATAGRAM_TOO_SHORT");
            assertThat(CODEC.decodeHeader(CODEC.encode(Samples.messages().getFirst().message()))
                    .map(IkeHeader::messageId).orElseThrow()).isZero();
        }
    }

    @Test
    void octets() {
        Octets o = Octets.fromHex("01:02 0a");
        assertThat(o.hex()).isEqualTo("01020a");
        assertThat(o.get(2)).isEqualTo(10);
        assertThat(o.toUnsignedLong()).isEqualTo(0x01020aL);
        assertThat(o.slice(1, 3)).isEqualTo(Octets.fromHex("020a"));
        assertThat(Octets.ofUnsigned(0x1ff, 2).hex()).isEqualTo("01ff");
        assertThat(Octets.of(new byte[100]).toString()).endsWith("...(100 bytes)");
        assertThat(Octets.empty().isEmpty()).isTrue();
        assertThatThrownBy(() -> Octets.of(new byte[9]).toUnsignedLong()).isInstanceOf(IllegalStateException.class);
    }
}
