package net.palisade.model.wire.ikev2;

import static net.palisade.model.wire.ikev2.Raw.cat;
import static net.palisade.model.wire.ikev2.Raw.fill;
import static net.palisade.model.wire.ikev2.Raw.gcm;
import static net.palisade.model.wire.ikev2.Raw.header;
import static net.palisade.model.wire.ikev2.Raw.ikeProposal;
import static net.palisade.model.wire.ikev2.Raw.init;
import static net.palisade.model.wire.ikev2.Raw.message;
import static net.palisade.model.wire.ikev2.Raw.payload;
import static net.palisade.model.wire.ikev2.Raw.proposal;
import static net.palisade.model.wire.ikev2.Raw.transform;
import static net.palisade.model.wire.ikev2.Raw.ts4;
import static net.palisade.model.wire.ikev2.Raw.tv;
import static net.palisade.model.wire.ikev2.Raw.u16;
import static net.palisade.model.wire.ikev2.Raw.u32;
import static net.palisade.model.wire.ikev2.Raw.u8;
import static net.palisade.model.wire.ikev2.Raw.zeros;
import static net.palisade.model.wire.ikev2.Samples.CODEC;
import static org.assertj.core.api.Assertions.assertThat;

import java.util.ArrayList;
import java.util.EnumSet;
import java.util.List;
import java.util.Locale;
import java.util.Set;
import java.util.function.Supplier;
import java.util.stream.Stream;
import net.palisade.model.wire.Octets;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * One malformed input per reject branch (at least), assembled by hand: the result names the branch, carries its
 * counter, and has the right kind (unprotected: drop; protected: answer with INVALID_SYNTAX or
 * UNSUPPORTED_CRITICAL_PAYLOAD). A last test checks that every {@link RejectReason} is exercised here.
 */
class RejectBranchesTest {

    enum Kind { UNPROTECTED, INVALID_SYNTAX, UNSUPPORTED_CRITICAL }

    record Case(String name, RejectReason reason, Kind kind, Supplier<DecodeResult<?>> run) {
        @Override
        public String toString() {
            return reason + ": " + name;
        }
    }

    static final IkeHeader REQUEST = IkeHeader.request(Raw.ISPI, 0, ExchangeType.Known.IKE_AUTH, 1, true);
    static final IkeHeader RESPONSE = IkeHeader.response(Raw.ISPI, 0, ExchangeType.Known.IKE_AUTH, 1, false);

    /** An IKE_SA_INIT request carrying one payload of type {@code type} with {@code body}: outer, unprotected. */
    static Case outer(String name, RejectReason reason, int type, byte[] body) {
        return new Case(name + " (in clear)", reason, Kind.UNPROTECTED, () -> CODEC.decode(init(type, payload(0, body))));
    }

    /** The same payload as the only inner payload of a request: protected, INVALID_SYNTAX. */
    static Case inner(String name, RejectReason reason, int type, byte[] body) {
        return inner(name, reason, REQUEST, type, body);
    }

    static Case inner(String name, RejectReason reason, IkeHeader h, int type, byte[] body) {
        byte[] chain = payload(0, body);
        return new Case(name + " (inner)", reason, Kind.INVALID_SYNTAX,
                () -> CODEC.decodeInnerChain(h, PayloadType.of(type), chain, chain.length));
    }

    static List<Case> both(String name, RejectReason reason, int type, byte[] body) {
        return List.of(outer(name, reason, type, body), inner(name, reason, type, body));
    }

    static byte[] sa(byte[]... proposals) {
        return cat(proposals);
    }

    static byte[] sk(int firstInner, byte[] content) {
        return payload(firstInner, content);
    }

    static Stream<Case> cases() {
        List<Case> c = new ArrayList<>();
        // --- datagram and header: always unprotected, checked before anything else
        c.add(new Case("65536-octet datagram", RejectReason.DATAGRAM_TOO_LONG, Kind.UNPROTECTED,
                () -> CODEC.decode(new byte[65_536])));
        c.add(new Case("datagram over a configured 1280 limit", RejectReason.DATAGRAM_TOO_LONG, Kind.UNPROTECTED,
                () -> new Ikev2Codec(new Ikev2Limits(1280, 128, 64, 64, 16, 64, 64))
                        .decode(init(43, payload(0, zeros(1300))))));
        c.add(new Case("27 octets", RejectReason.DATAGRAM_TOO_SHORT, Kind.UNPROTECTED,
                () -> CODEC.decode(new byte[27])));
        c.add(new Case("header says 100", RejectReason.LENGTH_MISMATCH, Kind.UNPROTECTED,
                () -> CODEC.decode(header(Raw.ISPI, 0, 0, 0x20, 34, 8, 0, 100))));
        c.add(new Case("header says 27", RejectReason.LENGTH_MISMATCH, Kind.UNPROTECTED,
                () -> CODEC.decode(header(Raw.ISPI, 0, 0, 0x20, 34, 8, 0, 27))));
        c.add(new Case("IKEv1 header", RejectReason.UNSUPPORTED_MAJOR_VERSION, Kind.UNPROTECTED,
                () -> CODEC.decode(header(Raw.ISPI, 0, 0, 0x10, 2, 0, 0, 28))));
        c.add(new Case("version 3.0", RejectReason.UNSUPPORTED_MAJOR_VERSION, Kind.UNPROTECTED,
                () -> CODEC.decodeHeader(header(Raw.ISPI, 0, 0, 0x30, 34, 8, 0, 28))));
        c.add(new Case("initiator SPI 0", RejectReason.ZERO_INITIATOR_SPI, Kind.UNPROTECTED,
                () -> CODEC.decode(header(0, 0, 0, 0x20, 34, 8, 0, 28))));
        // --- chain structure
        byte[][] vendorIds = new byte[129][];
        for (int i = 0; i < vendorIds.length; i++) {
            vendorIds[i] = payload(i == vendorIds.length - 1 ? 0 : 43, zeros(0));
        }
        c.add(new Case("129 payloads", RejectReason.TOO_MANY_PAYLOADS, Kind.UNPROTECTED,
                () -> CODEC.decode(init(43, vendorIds))));
        c.add(new Case("header names a payload, none follows", RejectReason.PAYLOAD_TRUNCATED, Kind.UNPROTECTED,
                () -> CODEC.decode(init(33))));
        c.add(new Case("payload length past the end", RejectReason.PAYLOAD_TRUNCATED, Kind.UNPROTECTED,
                () -> CODEC.decode(init(43, cat(u8(0), u8(0), u16(40), zeros(8))))));
        c.add(new Case("payload length 3", RejectReason.PAYLOAD_TOO_SHORT, Kind.UNPROTECTED,
                () -> CODEC.decode(init(43, cat(u8(0), u8(0), u16(3))))));
        c.addAll(both("KE of 2 octets", RejectReason.PAYLOAD_TOO_SHORT, 34, zeros(2)));
        c.addAll(both("Notify of 3 octets", RejectReason.PAYLOAD_TOO_SHORT, 41, zeros(3)));
        c.addAll(both("ID of 3 octets", RejectReason.PAYLOAD_TOO_SHORT, 35, zeros(3)));
        c.addAll(both("Delete of 2 octets", RejectReason.PAYLOAD_TOO_SHORT, 42, zeros(2)));
        c.add(outer("SKF of 3 octets", RejectReason.PAYLOAD_TOO_SHORT, 53, zeros(3)));
        c.add(new Case("4 octets after the last payload", RejectReason.TRAILING_BYTES, Kind.UNPROTECTED,
                () -> CODEC.decode(init(43, payload(0, zeros(4)), zeros(4)))));
        c.add(new Case("SK followed by a payload", RejectReason.ENCRYPTED_NOT_LAST, Kind.UNPROTECTED,
                () -> CODEC.decode(message(37, 8, 46, sk(42, zeros(40)), payload(0, zeros(4))))));
        c.add(new Case("SK inside SK", RejectReason.NESTED_ENCRYPTED, Kind.INVALID_SYNTAX,
                () -> CODEC.decodeInnerChain(REQUEST, PayloadType.Known.SK, sk(42, zeros(40)), 44)));
        c.add(new Case("SKF inside SK", RejectReason.NESTED_ENCRYPTED, Kind.INVALID_SYNTAX,
                () -> CODEC.decodeInnerChain(REQUEST, PayloadType.Known.SKF, payload(0, zeros(8)), 12)));
        // --- critical bit
        c.add(new Case("critical type 200 in IKE_SA_INIT", RejectReason.UNSUPPORTED_CRITICAL_PAYLOAD,
                Kind.UNSUPPORTED_CRITICAL, () -> CODEC.decode(init(200, payload(0, true, zeros(6))))));
        c.add(new Case("critical EAP in clear before SK", RejectReason.UNSUPPORTED_CRITICAL_PAYLOAD,
                Kind.UNPROTECTED, () -> CODEC.decode(message(35, 8, 48, payload(46, true, zeros(5)),
                        sk(35, zeros(40))))));
        c.add(new Case("critical type 99 inside SK", RejectReason.UNSUPPORTED_CRITICAL_PAYLOAD,
                Kind.UNSUPPORTED_CRITICAL, () -> CODEC.decodeInnerChain(REQUEST, PayloadType.of(99),
                        payload(0, true, zeros(2)), 6)));
        // --- SA
        c.addAll(both("SA without proposals", RejectReason.SA_EMPTY, 33, zeros(0)));
        byte[][] many = new byte[65][];
        for (int i = 0; i < many.length; i++) {
            many[i] = ikeProposal(i == many.length - 1 ? 0 : 2, i + 1);
        }
        c.addAll(both("65 proposals", RejectReason.TOO_MANY_PROPOSALS, 33, sa(many)));
        c.addAll(both("proposal marked 2 but last", RejectReason.PROPOSAL_MALFORMED, 33, sa(ikeProposal(2, 1))));
        c.addAll(both("proposal marked 0 but not last", RejectReason.PROPOSAL_MALFORMED, 33,
                sa(ikeProposal(0, 1), ikeProposal(0, 2))));
        c.addAll(both("proposal of 7 octets", RejectReason.PROPOSAL_MALFORMED, 33,
                cat(u8(0), u8(0), u16(7), u8(1), u8(1), u8(0), u8(0))));
        c.addAll(both("proposal longer than the SA", RejectReason.PROPOSAL_MALFORMED, 33,
                cat(u8(0), u8(0), u16(64), u8(1), u8(1), u8(0), u8(0))));
        c.addAll(both("5 octets left for a proposal", RejectReason.PROPOSAL_MALFORMED, 33, zeros(5)));
        c.addAll(both("SPI size past the proposal", RejectReason.PROPOSAL_MALFORMED, 33,
                cat(u8(0), u8(0), u16(10), u8(1), u8(3), u8(4), u8(0), zeros(2))));
        c.addAll(both("proposals 1, 3", RejectReason.PROPOSAL_NUMBERING, 33, sa(ikeProposal(2, 1), ikeProposal(0, 3))));
        c.addAll(both("first proposal 2", RejectReason.PROPOSAL_NUMBERING, 33, sa(ikeProposal(0, 2))));
        c.add(inner("response with 2 proposals", RejectReason.PROPOSAL_NUMBERING, RESPONSE, 33,
                sa(ikeProposal(2, 1), ikeProposal(0, 2))));
        c.add(inner("response proposal 0", RejectReason.PROPOSAL_NUMBERING, RESPONSE, 33, sa(ikeProposal(0, 0))));
        c.addAll(both("ESP with an 8-octet SPI", RejectReason.BAD_SPI_SIZE, 33,
                sa(proposal(0, 1, 3, zeros(8), 1, gcm(0)))));
        c.addAll(both("IKE with a 4-octet SPI", RejectReason.BAD_SPI_SIZE, 33,
                sa(proposal(0, 1, 1, zeros(4), 1, gcm(0)))));
        c.addAll(both("AH without SPI", RejectReason.BAD_SPI_SIZE, 33, sa(proposal(0, 1, 2, zeros(0), 1, gcm(0)))));
        c.addAll(both("65 transforms", RejectReason.TOO_MANY_TRANSFORMS, 33, sa(proposal(0, 1, 1, zeros(0), 65,
                gcm(0)))));
        c.addAll(both("transform marked 3 but last", RejectReason.TRANSFORM_MALFORMED, 33,
                sa(proposal(0, 1, 1, zeros(0), 1, gcm(3)))));
        c.addAll(both("transform marked 0 but not last", RejectReason.TRANSFORM_MALFORMED, 33,
                sa(proposal(0, 1, 1, zeros(0), 2, gcm(0), gcm(0)))));
        c.addAll(both("transform of 7 octets", RejectReason.TRANSFORM_MALFORMED, 33,
                sa(proposal(0, 1, 1, zeros(0), 1, cat(u8(0), u8(0), u16(7), u8(1), u8(0), u16(20))))));
        c.addAll(both("6 octets left for a transform", RejectReason.TRANSFORM_MALFORMED, 33,
                sa(proposal(0, 1, 1, zeros(0), 1, zeros(6)))));
        c.addAll(both("count 2, one transform", RejectReason.TRANSFORM_COUNT_MISMATCH, 33,
                sa(proposal(0, 1, 1, zeros(0), 2, gcm(0)))));
        c.addAll(both("count 1, two transforms", RejectReason.TRANSFORM_COUNT_MISMATCH, 33,
                sa(proposal(0, 1, 1, zeros(0), 1, gcm(3), gcm(0)))));
        c.addAll(both("TLV attribute past the transform", RejectReason.ATTRIBUTE_MALFORMED, 33,
                sa(proposal(0, 1, 1, zeros(0), 1, transform(0, 1, 20, cat(u16(14), u16(8), zeros(2)))))));
        c.addAll(both("2 stray octets after an attribute", RejectReason.ATTRIBUTE_MALFORMED, 33,
                sa(proposal(0, 1, 1, zeros(0), 1, transform(0, 1, 20, tv(14, 128), zeros(2))))));
        byte[][] attrs = new byte[17][];
        for (int i = 0; i < attrs.length; i++) {
            attrs[i] = tv(14, 128);
        }
        c.addAll(both("17 attributes", RejectReason.ATTRIBUTE_MALFORMED, 33,
                sa(proposal(0, 1, 1, zeros(0), 1, transform(0, 1, 20, attrs)))));
        // --- the other payloads
        c.addAll(both("x25519 with 31 octets", RejectReason.KE_MALFORMED, 34, cat(u16(31), u16(0), zeros(31))));
        c.addAll(both("MODP 2048 with 255 octets", RejectReason.KE_MALFORMED, 34, cat(u16(14), u16(0), zeros(255))));
        c.addAll(both("15-octet nonce", RejectReason.NONCE_LENGTH, 40, zeros(15)));
        c.addAll(both("257-octet nonce", RejectReason.NONCE_LENGTH, 40, zeros(257)));
        c.addAll(both("ID_IPV4_ADDR of 5 octets", RejectReason.ID_MALFORMED, 35, cat(u8(1), zeros(3), zeros(5))));
        c.addAll(both("ID_IPV6_ADDR of 4 octets", RejectReason.ID_MALFORMED, 36, cat(u8(5), zeros(3), zeros(4))));
        c.addAll(both("empty ID_FQDN", RejectReason.ID_MALFORMED, 35, cat(u8(2), zeros(3))));
        c.addAll(both("ID_NULL with data", RejectReason.ID_MALFORMED, 35, cat(u8(13), zeros(3), zeros(1))));
        c.addAll(both("CERT without data", RejectReason.CERT_MALFORMED, 37, u8(4)));
        c.addAll(both("AUTH without data", RejectReason.AUTH_MALFORMED, 39, cat(u8(2), zeros(3))));
        c.addAll(both("RFC 7427 AlgorithmIdentifier longer than the data", RejectReason.AUTH_MALFORMED, 39,
                cat(u8(14), zeros(3), u8(20), zeros(10))));
        c.addAll(both("RFC 7427 without signature", RejectReason.AUTH_MALFORMED, 39,
                cat(u8(14), zeros(3), u8(2), zeros(2))));
        c.addAll(both("Notify SPI past the payload", RejectReason.NOTIFY_MALFORMED, 41,
                cat(u8(3), u8(4), u16(16393), zeros(2))));
        c.addAll(both("NAT_DETECTION_SOURCE_IP of 19 octets", RejectReason.NOTIFY_MALFORMED, 41,
                cat(u8(0), u8(0), u16(16388), zeros(19))));
        c.addAll(both("INVALID_KE_PAYLOAD of 3 octets", RejectReason.NOTIFY_MALFORMED, 41,
                cat(u8(0), u8(0), u16(17), zeros(3))));
        c.addAll(both("COOKIE of 65 octets", RejectReason.NOTIFY_MALFORMED, 41, cat(u8(0), u8(0), u16(16390),
                zeros(65))));
        c.addAll(both("empty COOKIE", RejectReason.NOTIFY_MALFORMED, 41, cat(u8(0), u8(0), u16(16390))));
        c.addAll(both("SIGNATURE_HASH_ALGORITHMS of 3 octets", RejectReason.NOTIFY_MALFORMED, 41,
                cat(u8(0), u8(0), u16(16431), zeros(3))));
        c.addAll(both("ESP delete of 2 SPIs in 4 octets", RejectReason.DELETE_MALFORMED, 42,
                cat(u8(3), u8(4), u16(2), zeros(4))));
        c.addAll(both("IKE delete with SPI size 4", RejectReason.DELETE_MALFORMED, 42,
                cat(u8(1), u8(4), u16(1), zeros(4))));
        c.addAll(both("SPI size 0 with 5 SPIs", RejectReason.DELETE_MALFORMED, 42, cat(u8(1), u8(0), u16(5))));
        c.addAll(both("TS count 0", RejectReason.TS_MALFORMED, 44, cat(u8(0), zeros(3))));
        c.addAll(both("TS count 2, one selector", RejectReason.TS_MALFORMED, 44,
                cat(u8(2), zeros(3), ts4(0, 0, 65535, "10.0.0.0", "10.0.0.255"))));
        c.addAll(both("TS count 1, two selectors", RejectReason.TS_MALFORMED, 45,
                cat(u8(1), zeros(3), ts4(0, 0, 65535, "10.0.0.0", "10.0.0.255"),
                        ts4(0, 0, 65535, "10.0.0.0", "10.0.0.255"))));
        c.addAll(both("IPv4 selector of 20 octets", RejectReason.TS_MALFORMED, 44,
                cat(u8(1), zeros(3), u8(7), u8(0), u16(20), zeros(16))));
        c.addAll(both("IPv6 selector of 20 octets (scapy 2.5 writes these)", RejectReason.TS_MALFORMED, 44,
                cat(u8(1), zeros(3), u8(8), u8(0), u16(20), zeros(16))));
        c.addAll(both("selector length past the payload", RejectReason.TS_MALFORMED, 44,
                cat(u8(1), zeros(3), u8(7), u8(0), u16(16), zeros(4))));
        c.addAll(both("3 octets left for a selector", RejectReason.TS_MALFORMED, 44, cat(u8(1), zeros(3), zeros(3))));
        c.addAll(both("65 selectors", RejectReason.TOO_MANY_SELECTORS, 44, cat(u8(65), zeros(3))));
        c.add(outer("SKF fragment 0 of 3", RejectReason.FRAGMENT_NUMBERING, 53, cat(u16(0), u16(3), zeros(8))));
        c.add(outer("SKF fragment 4 of 3", RejectReason.FRAGMENT_NUMBERING, 53, cat(u16(4), u16(3), zeros(8))));
        c.add(outer("SKF fragment 1 of 0", RejectReason.FRAGMENT_NUMBERING, 53, cat(u16(1), u16(0), zeros(8))));
        c.addAll(both("CP attribute past the payload", RejectReason.CP_MALFORMED, 47,
                cat(u8(1), zeros(3), u16(1), u16(4), zeros(2))));
        c.addAll(both("CP with 2 stray octets", RejectReason.CP_MALFORMED, 47, cat(u8(1), zeros(3), zeros(2))));
        byte[][] cpAttrs = new byte[65][];
        for (int i = 0; i < cpAttrs.length; i++) {
            cpAttrs[i] = cat(u16(1), u16(0));
        }
        c.addAll(both("65 CP attributes", RejectReason.CP_MALFORMED, 47, cat(u8(1), zeros(3), cat(cpAttrs))));
        // --- encrypted payload regions and padding
        c.add(new Case("regions of IKE_SA_INIT", RejectReason.NO_ENCRYPTED_PAYLOAD, Kind.UNPROTECTED,
                () -> CODEC.encryptedRegions(init(43, payload(0, zeros(4))), 8, 16)));
        c.add(new Case("regions of an empty message", RejectReason.NO_ENCRYPTED_PAYLOAD, Kind.UNPROTECTED,
                () -> CODEC.encryptedRegions(message(37, 8, 0), 8, 16)));
        c.add(new Case("SK of 24 octets for IV 8 + ICV 16", RejectReason.ENCRYPTED_TOO_SHORT, Kind.UNPROTECTED,
                () -> CODEC.encryptedRegions(message(37, 8, 46, sk(42, zeros(24))), 8, 16)));
        c.add(new Case("SKF of 28 octets for IV 16 + ICV 12", RejectReason.ENCRYPTED_TOO_SHORT, Kind.UNPROTECTED,
                () -> CODEC.encryptedRegions(message(35, 8, 53, payload(35, cat(u16(1), u16(2), zeros(28)))), 16,
                        12)));
        c.add(new Case("SKF numbered 2 of 1 in regions", RejectReason.FRAGMENT_NUMBERING, Kind.UNPROTECTED,
                () -> CODEC.encryptedRegions(message(35, 8, 53, payload(35, cat(u16(2), u16(1), zeros(40)))), 8,
                        16)));
        c.add(new Case("pad length 9 in 9 octets", RejectReason.BAD_PADDING, Kind.INVALID_SYNTAX,
                () -> CODEC.decodeInner(REQUEST, PayloadType.Known.NO_NEXT_PAYLOAD, cat(zeros(8), u8(9)))));
        c.add(new Case("no pad length octet", RejectReason.BAD_PADDING, Kind.INVALID_SYNTAX,
                () -> CODEC.decodeInner(REQUEST, PayloadType.Known.NO_NEXT_PAYLOAD, new byte[0])));
        c.add(new Case("inner chain over the datagram limit", RejectReason.DATAGRAM_TOO_LONG, Kind.INVALID_SYNTAX,
                () -> CODEC.decodeInnerChain(REQUEST, PayloadType.Known.VENDOR_ID, new byte[70_000], 70_000)));
        return c.stream();
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("cases")
    void rejectsWithItsReasonCounterAndKind(Case c) {
        DecodeResult<?> r = c.run().get();
        assertThat(r).isInstanceOf(DecodeResult.Rejected.class);
        DecodeResult.Rejected<?> rejected = (DecodeResult.Rejected<?>) r;
        assertThat(rejected.reason()).as(rejected.detail()).isEqualTo(c.reason());
        assertThat(rejected.counter()).isEqualTo("ikev2.decode." + c.reason().name().toLowerCase(Locale.ROOT));
        assertThat(rejected.detail()).isNotBlank();
        assertThat(r.isOk()).isFalse();
        assertThat(r.toOptional()).isEmpty();
        switch (c.kind()) {
            case UNPROTECTED -> assertThat(r).isInstanceOf(DecodeResult.UnprotectedError.class);
            case INVALID_SYNTAX -> {
                assertThat(r).isInstanceOf(DecodeResult.ProtectedError.class);
                var p = (DecodeResult.ProtectedError<?>) r;
                assertThat(p.notifyType()).isEqualTo(NotifyType.Known.INVALID_SYNTAX);
                assertThat(p.answer()).isEqualTo(NotifyPayload.of(NotifyType.Known.INVALID_SYNTAX));
            }
            case UNSUPPORTED_CRITICAL -> {
                assertThat(r).isInstanceOf(DecodeResult.ProtectedError.class);
                var p = (DecodeResult.ProtectedError<?>) r;
                assertThat(p.notifyType()).isEqualTo(NotifyType.Known.UNSUPPORTED_CRITICAL_PAYLOAD);
                assertThat(p.notifyData().length()).isEqualTo(1);
                assertThat(p.answer().unsupportedPayloadType()).hasValue(p.notifyData().get(0));
            }
        }
    }

    @Test
    void everyRejectReasonHasACase() {
        Set<RejectReason> covered = EnumSet.noneOf(RejectReason.class);
        cases().forEach(c -> covered.add(c.reason()));
        assertThat(covered).containsExactlyInAnyOrder(RejectReason.values());
    }

    @Test
    void unsupportedCriticalPayloadNamesTheType() {
        var r = (DecodeResult.ProtectedError<IkeMessage>) CODEC.decode(init(200, payload(0, true, zeros(6))));
        assertThat(r.notifyData()).isEqualTo(Octets.of((byte) 200));
        assertThat(r.answer()).isEqualTo(NotifyPayload.unsupportedCritical(200));
        assertThat(r.answer().unsupportedPayloadType()).hasValue(200);
    }

    @Test
    void criticalBitIsCheckedBeforeTheOtherPayloadsSyntax() {
        byte[] m = init(40, payload(200, zeros(3)), payload(0, true, zeros(2)));
        assertThat(CODEC.decode(m)).isInstanceOf(DecodeResult.ProtectedError.class)
                .extracting(r -> ((DecodeResult.Rejected<?>) r).reason())
                .isEqualTo(RejectReason.UNSUPPORTED_CRITICAL_PAYLOAD);
    }

    @Test
    void criticalBitOnAKnownPayloadIsIgnored() {
        byte[] m = init(43, payload(0, true, fill(3, 0x41)));
        IkeMessage decoded = CODEC.decode(m).orElseThrow();
        assertThat(decoded.payloads()).containsExactly(new VendorIdPayload(Octets.fromHex("414141")));
    }

    @Test
    void unsupportedNonCriticalPayloadsAreKeptAndReencoded() {
        byte[] m = init(200, payload(48, zeros(2)), payload(0, Octets.fromHex("0101000501").toByteArray()));
        IkeMessage decoded = CODEC.decode(m).orElseThrow();
        assertThat(decoded.payloads()).containsExactly(
                new UnsupportedPayload(PayloadType.of(200), false, Octets.fromHex("0000")),
                new UnsupportedPayload(PayloadType.Known.EAP, false, Octets.fromHex("0101000501")));
        assertThat(decoded.payloads().getFirst().type()).isInstanceOf(PayloadType.Unknown.class);
        assertThat(decoded.payloads().getFirst().type().name()).isEqualTo("UNKNOWN(200)");
        assertThat(CODEC.encode(decoded)).isEqualTo(m);
    }

    @Test
    void everyUnknownTypeIsUnsupportedNotAnError() {
        for (int type = 1; type < 256; type++) {
            if (type == 46 || type == 53) {
                continue;
            }
            PayloadType t = PayloadType.of(type);
            byte[] m = message(37, 0x28, type, payload(0, zeros(0)));
            DecodeResult<IkeMessage> r = CODEC.decode(m);
            if (t instanceof PayloadType.Unknown || t == PayloadType.Known.EAP || t == PayloadType.Known.GSPM
                    || t == PayloadType.Known.IDG || t == PayloadType.Known.GSA || t == PayloadType.Known.KD
                    || t == PayloadType.Known.PS) {
                assertThat(r.orElseThrow().payloads().getFirst()).as("type " + type)
                        .isInstanceOf(UnsupportedPayload.class);
                assertThat(CODEC.encode(r.orElseThrow())).isEqualTo(m);
            }
        }
    }
}
