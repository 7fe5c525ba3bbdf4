package net.palisade.model.wire.ikev1;

import java.util.ArrayList;
import java.util.List;
import net.palisade.model.wire.ByteCursor;
import net.palisade.model.wire.ByteSink;
import net.palisade.model.wire.DataAttribute;
import net.palisade.model.wire.MalformedException;
import net.palisade.model.wire.Octets;

/**
 * The IKEv1 (ISAKMP, RFC 2408/2409) message codec: header and payload chain, pure and stateless. Like the IKEv2
 * codec it checks size limits first (datagram, header Length, version, cookie), then the chain's structure, then
 * each payload against its RFC, and never throws on malformed input.
 *
 * <p>With the E flag the whole body is ciphertext: {@link #decode(byte[])} returns it as
 * {@link Ikev1Message.Encrypted}; the engine decrypts (IKEv1 CBC IVs are chained per exchange) and passes the
 * plaintext to {@link #decodePayloads(Ikev1PayloadType, byte[])}, which ignores up to 255 octets of padding after the
 * last payload (RFC 2409 leaves the padding's content to the sender).
 */
public final class Ikev1Codec {
    /** Largest datagram. */
    public static final int MAX_DATAGRAM = 65_535;
    /** Payloads in one chain. */
    public static final int MAX_PAYLOADS = 64;
    /** Proposals in one SA. */
    public static final int MAX_PROPOSALS = 64;
    /** Transforms in one proposal. */
    public static final int MAX_TRANSFORMS = 64;
    /** Attributes in one transform or Attributes payload. */
    public static final int MAX_ATTRIBUTES = 32;

    private static final Ikev1Codec STANDARD = new Ikev1Codec();
    private static final int GENERIC_HEADER = 4;

    private Ikev1Codec() {}

    /** The codec. */
    public static Ikev1Codec standard() {
        return STANDARD;
    }

    // ------------------------------------------------------------------------------------------------- decoding

    /** Decodes a datagram (without the non-ESP marker of port 4500). */
    public Ikev1DecodeResult<Ikev1Message> decode(byte[] datagram) {
        try {
            ByteCursor r = header(datagram);
            long icookie = r.u64();
            long rcookie = r.u64();
            Ikev1PayloadType next = Ikev1PayloadType.of(r.u8());
            int version = r.u8();
            Ikev1ExchangeType exchange = Ikev1ExchangeType.of(r.u8());
            int flags = r.u8();
            long messageId = r.u32();
            r.skip(4);
            Ikev1Header h = new Ikev1Header(icookie, rcookie, version & 0xf, exchange, flags, messageId);
            if (h.encrypted()) {
                if (r.remaining() == 0) {
                    throw new MalformedException(Ikev1RejectReason.ENCRYPTED_EMPTY, "E flag without a body");
                }
                return new Ikev1DecodeResult.Ok<>(new Ikev1Message.Encrypted(h, next, r.rest()));
            }
            List<Ikev1Payload> payloads = chain(datagram, Ikev1Header.LENGTH, datagram.length - Ikev1Header.LENGTH,
                    next, 0);
            return new Ikev1DecodeResult.Ok<>(new Ikev1Message.Plain(h, payloads));
        } catch (MalformedException m) {
            return rejected(m);
        }
    }

    /**
     * Decodes decrypted payloads: the chain starting with {@code first} (the header's Next Payload), followed by at
     * most 255 octets of padding.
     */
    public Ikev1DecodeResult<List<Ikev1Payload>> decodePayloads(Ikev1PayloadType first, byte[] plaintext) {
        try {
            if (plaintext.length > MAX_DATAGRAM) {
                throw new MalformedException(Ikev1RejectReason.DATAGRAM_TOO_LONG, plaintext.length + " octets");
            }
            return new Ikev1DecodeResult.Ok<>(chain(plaintext, 0, plaintext.length, first, 255));
        } catch (MalformedException m) {
            return rejected(m);
        }
    }

    private static <T> Ikev1DecodeResult<T> rejected(MalformedException m) {
        return new Ikev1DecodeResult.Rejected<>((Ikev1RejectReason) m.reason(), m.detail());
    }

    private static ByteCursor header(byte[] d) throws MalformedException {
        if (d.length > MAX_DATAGRAM) {
            throw new MalformedException(Ikev1RejectReason.DATAGRAM_TOO_LONG, "datagram of " + d.length + " octets");
        }
        if (d.length < Ikev1Header.LENGTH) {
            throw new MalformedException(Ikev1RejectReason.DATAGRAM_TOO_SHORT, "datagram of " + d.length + " octets");
        }
        long length = ((long) (d[24] & 0xff) << 24) | ((d[25] & 0xff) << 16) | ((d[26] & 0xff) << 8) | (d[27] & 0xff);
        if (length != d.length) {
            throw new MalformedException(Ikev1RejectReason.LENGTH_MISMATCH,
                    "header says " + length + " octets, datagram has " + d.length);
        }
        if ((d[17] & 0xff) >>> 4 != Ikev1Header.MAJOR_VERSION) {
            throw new MalformedException(Ikev1RejectReason.UNSUPPORTED_MAJOR_VERSION,
                    "version " + ((d[17] & 0xff) >>> 4) + "." + (d[17] & 0xf));
        }
        boolean zero = true;
        for (int i = 0; i < 8; i++) {
            zero &= d[i] == 0;
        }
        if (zero) {
            throw new MalformedException(Ikev1RejectReason.ZERO_INITIATOR_COOKIE, "initiator cookie is zero");
        }
        return new ByteCursor(d, 0, d.length, Ikev1RejectReason.DATAGRAM_TOO_SHORT, "ISAKMP header");
    }

    private record Raw(Ikev1PayloadType type, int offset, int length) {}

    private List<Ikev1Payload> chain(byte[] buf, int offset, int length, Ikev1PayloadType first, int maxTrailing)
            throws MalformedException {
        List<Raw> raws = new ArrayList<>();
        int pos = offset;
        int end = offset + length;
        Ikev1PayloadType type = first;
        while (type != Ikev1PayloadType.Known.NONE) {
            if (raws.size() >= MAX_PAYLOADS) {
                throw new MalformedException(Ikev1RejectReason.TOO_MANY_PAYLOADS, "more than " + MAX_PAYLOADS);
            }
            if (end - pos < GENERIC_HEADER) {
                throw new MalformedException(Ikev1RejectReason.PAYLOAD_TRUNCATED,
                        type.name() + " header at offset " + pos + " runs past the end");
            }
            int next = buf[pos] & 0xff;
            int payloadLength = ((buf[pos + 2] & 0xff) << 8) | (buf[pos + 3] & 0xff);
            if (payloadLength < GENERIC_HEADER) {
                throw new MalformedException(Ikev1RejectReason.PAYLOAD_TOO_SHORT,
                        type.name() + " length " + payloadLength);
            }
            if (payloadLength > end - pos) {
                throw new MalformedException(Ikev1RejectReason.PAYLOAD_TRUNCATED,
                        type.name() + " of " + payloadLength + " octets with " + (end - pos) + " left");
            }
            raws.add(new Raw(type, pos + GENERIC_HEADER, payloadLength - GENERIC_HEADER));
            pos += payloadLength;
            type = Ikev1PayloadType.of(next);
        }
        if (end - pos > maxTrailing) {
            throw new MalformedException(Ikev1RejectReason.TRAILING_BYTES, (end - pos) + " octets after the last "
                    + "payload");
        }
        List<Ikev1Payload> out = new ArrayList<>(raws.size());
        for (Raw raw : raws) {
            out.add(body(new ByteCursor(buf, raw.offset(), raw.length(), Ikev1RejectReason.PAYLOAD_TOO_SHORT,
                    raw.type().name()), raw.type()));
        }
        return out;
    }

    private static Ikev1Payload body(ByteCursor r, Ikev1PayloadType type) throws MalformedException {
        if (!(type instanceof Ikev1PayloadType.Known k)) {
            return new Ikev1Payload.Unsupported(type, r.rest());
        }
        return switch (k) {
            case SA -> sa(r);
            case PROPOSAL, TRANSFORM -> throw new MalformedException(Ikev1RejectReason.MISPLACED_SUBSTRUCTURE,
                    k.name() + " outside an SA payload");
            case KE -> new Ikev1Payload.Ke(nonEmpty(r, k));
            case ID -> id(r);
            case CERT -> new Ikev1Payload.Cert(r.u8(), nonEmpty(r, k));
            case CR -> new Ikev1Payload.CertRequest(r.u8(), r.rest());
            case HASH -> new Ikev1Payload.Hash(nonEmpty(r, k));
            case SIG -> new Ikev1Payload.Signature(nonEmpty(r, k));
            case NONCE -> nonce(r);
            case N -> notify(r);
            case D -> delete(r);
            case VID -> new Ikev1Payload.VendorId(r.rest());
            case ATTR -> new Ikev1Payload.Attributes(r.u8(), skipThen(r, 1).u16(), attributes(r));
            case NAT_D, NAT_D_DRAFT -> new Ikev1Payload.NatD(k == Ikev1PayloadType.Known.NAT_D_DRAFT, nonEmpty(r, k));
            case NAT_OA, NAT_OA_DRAFT -> natOa(r, k == Ikev1PayloadType.Known.NAT_OA_DRAFT);
            case NONE, FRAGMENT -> new Ikev1Payload.Unsupported(type, r.rest());
        };
    }

    private static ByteCursor skipThen(ByteCursor r, int n) throws MalformedException {
        r.skip(n);
        return r;
    }

    private static Octets nonEmpty(ByteCursor r, Ikev1PayloadType.Known k) throws MalformedException {
        if (r.remaining() == 0) {
            throw new MalformedException(Ikev1RejectReason.EMPTY_PAYLOAD, k.name() + " without data");
        }
        return r.rest();
    }

    private static Ikev1Payload.Sa sa(ByteCursor r) throws MalformedException {
        long doi = r.u32();
        if (doi != Ikev1Payload.IPSEC_DOI) {
            throw new MalformedException(Ikev1RejectReason.UNSUPPORTED_DOI, "DOI " + doi);
        }
        long situation = r.u32();
        if (situation != Ikev1Payload.SIT_IDENTITY_ONLY) {
            throw new MalformedException(Ikev1RejectReason.UNSUPPORTED_SITUATION, "situation " + situation);
        }
        if (r.remaining() == 0) {
            throw new MalformedException(Ikev1RejectReason.SA_EMPTY, "SA without proposals");
        }
        List<Ikev1Proposal> proposals = new ArrayList<>();
        while (r.remaining() > 0) {
            if (proposals.size() >= MAX_PROPOSALS) {
                throw new MalformedException(Ikev1RejectReason.TOO_MANY_PROPOSALS, "more than " + MAX_PROPOSALS);
            }
            proposals.add(proposal(r));
        }
        return new Ikev1Payload.Sa(doi, situation, proposals);
    }

    private static Ikev1Proposal proposal(ByteCursor r) throws MalformedException {
        if (r.remaining() < 8) {
            throw new MalformedException(Ikev1RejectReason.PROPOSAL_MALFORMED, r.remaining() + " octets left");
        }
        int marker = r.u8();
        r.skip(1);
        int length = r.u16();
        if (length < 8 || length - 4 > r.remaining()) {
            throw new MalformedException(Ikev1RejectReason.PROPOSAL_MALFORMED, "proposal length " + length);
        }
        ByteCursor p = r.sub(length - 4, Ikev1RejectReason.PROPOSAL_MALFORMED, "proposal");
        int expected = r.remaining() == 0 ? 0 : 2;
        if (marker != expected) {
            throw new MalformedException(Ikev1RejectReason.PROPOSAL_MALFORMED,
                    "proposal marker " + marker + " where " + expected + " belongs");
        }
        int number = p.u8();
        Ikev1ProtocolId protocol = Ikev1ProtocolId.of(p.u8());
        int spiSize = p.u8();
        int count = p.u8();
        boolean spiOk = switch (protocol) {
            case Ikev1ProtocolId.Known k when k == Ikev1ProtocolId.Known.ISAKMP ->
                    spiSize == 0 || spiSize == 8 || spiSize == 16;
            case Ikev1ProtocolId.Known k when k == Ikev1ProtocolId.Known.IPSEC_AH
                    || k == Ikev1ProtocolId.Known.IPSEC_ESP -> spiSize == 4;
            case Ikev1ProtocolId.Known k when k == Ikev1ProtocolId.Known.IPCOMP -> spiSize == 2 || spiSize == 4;
            default -> true;
        };
        if (!spiOk) {
            throw new MalformedException(Ikev1RejectReason.PROPOSAL_MALFORMED,
                    "SPI size " + spiSize + " for " + protocol.name());
        }
        Octets spi = p.octets(spiSize);
        if (count > MAX_TRANSFORMS) {
            throw new MalformedException(Ikev1RejectReason.TOO_MANY_TRANSFORMS, count + " transforms");
        }
        List<Ikev1Transform> transforms = new ArrayList<>(count);
        while (p.remaining() > 0) {
            if (transforms.size() >= count) {
                throw new MalformedException(Ikev1RejectReason.TRANSFORM_COUNT_MISMATCH, "more than " + count);
            }
            transforms.add(transform(p));
        }
        if (transforms.size() != count) {
            throw new MalformedException(Ikev1RejectReason.TRANSFORM_COUNT_MISMATCH,
                    transforms.size() + " transforms, count says " + count);
        }
        return new Ikev1Proposal(number, protocol, spi, transforms);
    }

    private static Ikev1Transform transform(ByteCursor p) throws MalformedException {
        if (p.remaining() < 8) {
            throw new MalformedException(Ikev1RejectReason.TRANSFORM_MALFORMED, p.remaining() + " octets left");
        }
        int marker = p.u8();
        p.skip(1);
        int length = p.u16();
        if (length < 8 || length - 4 > p.remaining()) {
            throw new MalformedException(Ikev1RejectReason.TRANSFORM_MALFORMED, "transform length " + length);
        }
        ByteCursor t = p.sub(length - 4, Ikev1RejectReason.TRANSFORM_MALFORMED, "transform");
        int expected = p.remaining() == 0 ? 0 : 3;
        if (marker != expected) {
            throw new MalformedException(Ikev1RejectReason.TRANSFORM_MALFORMED,
                    "transform marker " + marker + " where " + expected + " belongs");
        }
        int number = t.u8();
        int id = t.u8();
        t.skip(2);
        return new Ikev1Transform(number, id, attributes(t));
    }

    private static List<DataAttribute> attributes(ByteCursor t) throws MalformedException {
        List<DataAttribute> out = new ArrayList<>();
        while (t.remaining() > 0) {
            if (out.size() >= MAX_ATTRIBUTES || t.remaining() < 4) {
                throw new MalformedException(Ikev1RejectReason.ATTRIBUTE_MALFORMED, out.size() + " attributes, "
                        + t.remaining() + " octets left");
            }
            int typeField = t.u16();
            int value = t.u16();
            if ((typeField & 0x8000) != 0) {
                out.add(DataAttribute.tv(typeField & 0x7fff, value));
            } else {
                if (value > t.remaining()) {
                    throw new MalformedException(Ikev1RejectReason.ATTRIBUTE_MALFORMED,
                            "attribute " + typeField + " of " + value + " octets with " + t.remaining() + " left");
                }
                out.add(DataAttribute.tlv(typeField, t.octets(value)));
            }
        }
        return out;
    }

    private static Ikev1Payload.Id id(ByteCursor r) throws MalformedException {
        Ikev1IdType idType = Ikev1IdType.of(r.u8());
        int protocol = r.u8();
        int port = r.u16();
        Octets data = r.rest();
        int n = data.length();
        boolean ok = switch (idType) {
            case Ikev1IdType.Known k -> switch (k) {
                case ID_IPV4_ADDR -> n == 4;
                case ID_IPV6_ADDR -> n == 16;
                case ID_IPV4_ADDR_SUBNET, ID_IPV4_ADDR_RANGE -> n == 8;
                case ID_IPV6_ADDR_SUBNET, ID_IPV6_ADDR_RANGE -> n == 32;
                default -> n > 0;
            };
            case Ikev1IdType.Unknown u -> true;
        };
        if (!ok) {
            throw new MalformedException(Ikev1RejectReason.ID_MALFORMED, idType.name() + " with " + n + " octets");
        }
        return new Ikev1Payload.Id(idType, protocol, port, data);
    }

    private static Ikev1Payload.Nonce nonce(ByteCursor r) throws MalformedException {
        if (r.remaining() < 8 || r.remaining() > 256) {
            throw new MalformedException(Ikev1RejectReason.NONCE_LENGTH, "nonce of " + r.remaining() + " octets");
        }
        return new Ikev1Payload.Nonce(r.rest());
    }

    private static Ikev1Payload.Notify notify(ByteCursor r) throws MalformedException {
        long doi = r.u32();
        Ikev1ProtocolId protocol = Ikev1ProtocolId.of(r.u8());
        int spiSize = r.u8();
        Ikev1NotifyType type = Ikev1NotifyType.of(r.u16());
        if (spiSize > r.remaining()) {
            throw new MalformedException(Ikev1RejectReason.NOTIFY_MALFORMED,
                    type.name() + " SPI size " + spiSize + " with " + r.remaining() + " octets left");
        }
        Octets spi = r.octets(spiSize);
        return new Ikev1Payload.Notify(doi, protocol, spi, type, r.rest());
    }

    private static Ikev1Payload.Delete delete(ByteCursor r) throws MalformedException {
        long doi = r.u32();
        Ikev1ProtocolId protocol = Ikev1ProtocolId.of(r.u8());
        int spiSize = r.u8();
        int count = r.u16();
        boolean sizeOk = switch (protocol) {
            case Ikev1ProtocolId.Known k when k == Ikev1ProtocolId.Known.ISAKMP -> spiSize == 16;
            case Ikev1ProtocolId.Known k when k == Ikev1ProtocolId.Known.IPSEC_AH
                    || k == Ikev1ProtocolId.Known.IPSEC_ESP -> spiSize == 4;
            default -> spiSize > 0;
        };
        if (!sizeOk || (long) spiSize * count != r.remaining()) {
            throw new MalformedException(Ikev1RejectReason.DELETE_MALFORMED, "delete " + protocol.name() + " of "
                    + count + " SPIs of " + spiSize + " octets in " + r.remaining() + " octets");
        }
        List<Octets> spis = new ArrayList<>(count);
        for (int i = 0; i < count; i++) {
            spis.add(r.octets(spiSize));
        }
        return new Ikev1Payload.Delete(doi, protocol, spiSize, spis);
    }

    private static Ikev1Payload.NatOa natOa(ByteCursor r, boolean draft) throws MalformedException {
        Ikev1IdType idType = Ikev1IdType.of(r.u8());
        r.skip(3);
        Octets address = r.rest();
        boolean ok = idType == Ikev1IdType.Known.ID_IPV4_ADDR && address.length() == 4
                || idType == Ikev1IdType.Known.ID_IPV6_ADDR && address.length() == 16;
        if (!ok) {
            throw new MalformedException(Ikev1RejectReason.NAT_OA_MALFORMED,
                    idType.name() + " with " + address.length() + " octets");
        }
        return new Ikev1Payload.NatOa(draft, idType, address);
    }

    // ------------------------------------------------------------------------------------------------- encoding

    /**
     * Encodes a message: for {@link Ikev1Message.Plain}, header and payloads; for {@link Ikev1Message.Encrypted},
     * header (Next Payload = first payload type) and the ciphertext as given.
     *
     * @throws IllegalArgumentException if a payload exceeds 65535 octets or the message exceeds 65535
     */
    public byte[] encode(Ikev1Message message) {
        ByteSink w = new ByteSink();
        Ikev1Header h = message.header();
        int next = switch (message) {
            case Ikev1Message.Plain p -> p.payloads().isEmpty() ? 0 : p.payloads().getFirst().type().value();
            case Ikev1Message.Encrypted e -> e.firstPayload().value();
        };
        w.u64(h.initiatorCookie()).u64(h.responderCookie()).u8(next).u8((Ikev1Header.MAJOR_VERSION << 4)
                | h.minorVersion()).u8(h.exchangeType().value()).u8(h.flags()).u32(h.messageId()).u32(0);
        switch (message) {
            case Ikev1Message.Plain p -> writeChain(w, p.payloads());
            case Ikev1Message.Encrypted e -> w.octets(e.ciphertext());
        }
        if (w.size() > MAX_DATAGRAM) {
            throw new IllegalArgumentException("message of " + w.size() + " octets");
        }
        w.patchU32(24, w.size());
        return w.toByteArray();
    }

    /** Encodes a payload chain (the plaintext of an encrypted message, before padding). */
    public byte[] encodePayloads(List<Ikev1Payload> payloads) {
        ByteSink w = new ByteSink();
        writeChain(w, payloads);
        return w.toByteArray();
    }

    private static void writeChain(ByteSink w, List<Ikev1Payload> payloads) {
        for (int i = 0; i < payloads.size(); i++) {
            Ikev1Payload p = payloads.get(i);
            int start = w.size();
            w.u8(i == payloads.size() - 1 ? 0 : payloads.get(i + 1).type().value()).u8(0).u16(0);
            writeBody(w, p);
            w.patchU16(start + 2, checked(w.size() - start));
        }
    }

    private static int checked(int n) {
        if (n > 0xffff) {
            throw new IllegalArgumentException("payload of " + n + " octets exceeds 65535");
        }
        return n;
    }

    private static void writeBody(ByteSink w, Ikev1Payload payload) {
        switch (payload) {
            case Ikev1Payload.Sa sa -> {
                w.u32(sa.doi()).u32(sa.situation());
                for (int i = 0; i < sa.proposals().size(); i++) {
                    Ikev1Proposal p = sa.proposals().get(i);
                    int start = w.size();
                    w.u8(i == sa.proposals().size() - 1 ? 0 : 2).u8(0).u16(0).u8(p.number()).u8(p.protocol().value())
                            .u8(p.spi().length()).u8(p.transforms().size()).octets(p.spi());
                    for (int j = 0; j < p.transforms().size(); j++) {
                        Ikev1Transform t = p.transforms().get(j);
                        int tStart = w.size();
                        w.u8(j == p.transforms().size() - 1 ? 0 : 3).u8(0).u16(0).u8(t.number()).u8(t.transformId())
                                .u16(0);
                        writeAttributes(w, t.attributes());
                        w.patchU16(tStart + 2, checked(w.size() - tStart));
                    }
                    w.patchU16(start + 2, checked(w.size() - start));
                }
            }
            case Ikev1Payload.Ke ke -> w.octets(ke.data());
            case Ikev1Payload.Id id -> w.u8(id.idType().value()).u8(id.protocol()).u16(id.port()).octets(id.data());
            case Ikev1Payload.Cert c -> w.u8(c.encoding()).octets(c.data());
            case Ikev1Payload.CertRequest c -> w.u8(c.encoding()).octets(c.authority());
            case Ikev1Payload.Hash h -> w.octets(h.data());
            case Ikev1Payload.Signature s -> w.octets(s.data());
            case Ikev1Payload.Nonce n -> w.octets(n.data());
            case Ikev1Payload.Notify n -> w.u32(n.doi()).u8(n.protocol().value()).u8(n.spi().length())
                    .u16(n.notifyType().value()).octets(n.spi()).octets(n.data());
            case Ikev1Payload.Delete d -> {
                w.u32(d.doi()).u8(d.protocol().value()).u8(d.spiSize()).u16(d.spis().size());
                d.spis().forEach(w::octets);
            }
            case Ikev1Payload.VendorId v -> w.octets(v.id());
            case Ikev1Payload.NatD n -> w.octets(n.hash());
            case Ikev1Payload.NatOa n -> w.u8(n.idType().value()).zeros(3).octets(n.address());
            case Ikev1Payload.Attributes a -> {
                w.u8(a.cfgType()).u8(0).u16(a.identifier());
                writeAttributes(w, a.attributes());
            }
            case Ikev1Payload.Unsupported u -> w.octets(u.body());
        }
    }

    private static void writeAttributes(ByteSink w, List<DataAttribute> attributes) {
        for (DataAttribute a : attributes) {
            switch (a) {
                case DataAttribute.Tv tv -> w.u16(0x8000 | tv.type()).u16(tv.value());
                case DataAttribute.Tlv tlv -> w.u16(tlv.type()).u16(tlv.value().length()).octets(tlv.value());
            }
        }
    }
}
