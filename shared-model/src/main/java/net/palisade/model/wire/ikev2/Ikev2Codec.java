package net.palisade.model.wire.ikev2;

import java.net.InetAddress;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.Optional;
import net.palisade.model.IpAddresses;
import net.palisade.model.crypto.DhGroup;
import net.palisade.model.wire.ByteCursor;
import net.palisade.model.wire.ByteSink;
import net.palisade.model.wire.DataAttribute;
import net.palisade.model.wire.MalformedException;
import net.palisade.model.wire.Octets;

/**
 * The IKEv2 message codec (RFC 7296 section 3, RFC 7383 for fragments), pure and stateless: no crypto, no I/O.
 *
 * <p>Decoding a received datagram (without the 4-octet non-ESP marker of port 4500, which the transport strips):
 * <ol>
 *   <li>{@link #decode(byte[])} checks size limits first (datagram length, then header Length against it, version
 *       2, initiator SPI), then walks the payload chain structurally (lengths within the message, SK/SKF last, no
 *       trailing octets, payload count), then decodes every payload body against its RFC rules. It returns a
 *       {@link DecodeResult}: never an exception.
 *   <li>For a protected message, {@link #encryptedRegions(byte[], int, int)} gives the IV, ciphertext and ICV
 *       regions and the AAD boundary once the engine knows the negotiated IV and ICV lengths.
 *   <li>After the engine checked integrity and decrypted, {@link #decodeInner(IkeHeader, PayloadType, byte[])}
 *       decodes the inner payloads; its errors are {@link DecodeResult.ProtectedError}s that may be answered.
 * </ol>
 *
 * <p>Encoding: {@link #encode(IkeMessage)} writes a message byte-exactly (for every well-formed message,
 * {@code encode(decode(x))} equals {@code x}); {@link #encodeInner(List, int)} writes the padded plaintext of an SK
 * payload; {@link #encryptedTemplate} and {@link #fragmentTemplate} lay out a protected message for the cipher.
 * Encoding a value that cannot be represented (a payload over 65535 octets, SK not last) throws
 * {@link IllegalArgumentException}: that is a bug in the caller, not bad input.
 *
 * <p>Instances are immutable and thread-safe.
 */
public final class Ikev2Codec {
    private static final Ikev2Codec STANDARD = new Ikev2Codec(Ikev2Limits.DEFAULT);
    private static final int GENERIC_HEADER = 4;

    private final Ikev2Limits limits;

    /** A codec enforcing {@code limits}. */
    public Ikev2Codec(Ikev2Limits limits) {
        this.limits = Objects.requireNonNull(limits, "limits");
    }

    /** A codec with {@link Ikev2Limits#DEFAULT}. */
    public static Ikev2Codec standard() {
        return STANDARD;
    }

    /** The limits this codec enforces. */
    public Ikev2Limits limits() {
        return limits;
    }

    // ------------------------------------------------------------------------------------------------- decoding

    /**
     * Decodes and validates only the fixed header: enough to find the IKE SA and check the message ID before the
     * rest is looked at. Errors are unprotected.
     */
    public DecodeResult<IkeHeader> decodeHeader(byte[] datagram) {
        try {
            return new DecodeResult.Ok<>(readHeader(datagram).header());
        } catch (MalformedException m) {
            return unprotected(m);
        }
    }

    /**
     * Decodes a whole datagram: header and outer payload chain. An SK or SKF payload stays opaque. Errors are
     * unprotected, except an unsupported critical payload in a message without SK or SKF, which may be answered
     * (in clear) with UNSUPPORTED_CRITICAL_PAYLOAD.
     */
    public DecodeResult<IkeMessage> decode(byte[] datagram) {
        Head head;
        List<Raw> raws;
        try {
            head = readHeader(datagram);
            raws = walk(datagram, IkeHeader.LENGTH, datagram.length - IkeHeader.LENGTH, head.next(), true);
        } catch (MalformedException m) {
            return unprotected(m);
        }
        boolean encrypted = !raws.isEmpty() && isEncrypted(raws.getLast().type());
        try {
            return new DecodeResult.Ok<>(new IkeMessage(head.header(), decodeBodies(datagram, raws, head.header())));
        } catch (MalformedException m) {
            if (m.reason() == RejectReason.UNSUPPORTED_CRITICAL_PAYLOAD && !encrypted) {
                return new DecodeResult.ProtectedError<>((RejectReason) m.reason(), m.detail(),
                        NotifyType.Known.UNSUPPORTED_CRITICAL_PAYLOAD, m.notifyData());
            }
            return unprotected(m);
        }
    }

    /**
     * Locates the parts of the SK or SKF payload (the last payload) of {@code datagram} for a suite with
     * {@code ivBytes} of IV and {@code icvBytes} of ICV (for AEAD, the tag; for CBC, the truncated HMAC). The
     * ciphertext must be at least one octet (the pad length). Errors are unprotected: nothing is verified yet.
     *
     * @throws IllegalArgumentException if {@code ivBytes} or {@code icvBytes} is negative
     */
    public DecodeResult<EncryptedRegions> encryptedRegions(byte[] datagram, int ivBytes, int icvBytes) {
        if (ivBytes < 0 || icvBytes < 0) {
            throw new IllegalArgumentException("IV and ICV lengths must not be negative");
        }
        try {
            Head head = readHeader(datagram);
            List<Raw> raws = walk(datagram, IkeHeader.LENGTH, datagram.length - IkeHeader.LENGTH, head.next(), true);
            if (raws.isEmpty() || !isEncrypted(raws.getLast().type())) {
                throw new MalformedException(RejectReason.NO_ENCRYPTED_PAYLOAD, "the last payload is not SK or SKF");
            }
            Raw sk = raws.getLast();
            PayloadType firstInner = PayloadType.of(sk.nextField());
            int contentOffset = sk.bodyOffset();
            int contentLength = sk.bodyLength();
            int fragment = 0;
            int total = 0;
            if (sk.type() == PayloadType.Known.SKF) {
                ByteCursor r = new ByteCursor(datagram, sk.bodyOffset(), sk.bodyLength(),
                        RejectReason.PAYLOAD_TOO_SHORT, "SKF");
                fragment = r.u16();
                total = r.u16();
                checkFragmentNumbers(fragment, total);
                contentOffset += 4;
                contentLength -= 4;
            }
            if ((long) contentLength < (long) ivBytes + 1 + icvBytes) {
                throw new MalformedException(RejectReason.ENCRYPTED_TOO_SHORT, sk.type().name() + " content of "
                        + contentLength + " octets cannot hold " + ivBytes + " IV + 1 + " + icvBytes + " ICV");
            }
            int ciphertextLength = contentLength - ivBytes - icvBytes;
            return new DecodeResult.Ok<>(new EncryptedRegions(firstInner, contentOffset, contentOffset, ivBytes,
                    contentOffset + ivBytes, ciphertextLength, contentOffset + ivBytes + ciphertextLength, icvBytes,
                    fragment, total));
        } catch (MalformedException m) {
            return unprotected(m);
        }
    }

    /**
     * Decodes the decrypted content of an SK payload (or one SKF fragment's, when the message is not fragmented
     * further): inner payloads, then padding, then the pad-length octet. Call only after the integrity check
     * passed: errors are {@link DecodeResult.ProtectedError}s (INVALID_SYNTAX, or UNSUPPORTED_CRITICAL_PAYLOAD).
     *
     * @param header     the message's header (a response's SA must hold exactly one proposal)
     * @param firstInner the SK payload's Next Payload field
     * @param decrypted  the decrypted ciphertext region
     */
    public DecodeResult<List<Payload>> decodeInner(IkeHeader header, PayloadType firstInner, byte[] decrypted) {
        DecodeResult<Integer> unpadded = unpaddedLength(decrypted);
        if (!(unpadded instanceof DecodeResult.Ok<Integer> ok)) {
            return unpadded.map(x -> List.of());
        }
        return decodeInnerChain(header, firstInner, decrypted, ok.value());
    }

    /**
     * The length of the inner payload chain in decrypted SK content: the content's length less the pad-length
     * octet and the padding it announces. Used to reassemble fragments (RFC 7383 section 2.6), whose chains are
     * concatenated before {@link #decodeInnerChain(IkeHeader, PayloadType, byte[], int)}.
     */
    public DecodeResult<Integer> unpaddedLength(byte[] decrypted) {
        if (decrypted.length < 1) {
            return protectedSyntax(new MalformedException(RejectReason.BAD_PADDING, "no pad length octet"));
        }
        int pad = decrypted[decrypted.length - 1] & 0xff;
        if (pad + 1 > decrypted.length) {
            return protectedSyntax(new MalformedException(RejectReason.BAD_PADDING,
                    "pad length " + pad + " in " + decrypted.length + " octets of plaintext"));
        }
        return new DecodeResult.Ok<>(decrypted.length - pad - 1);
    }

    /**
     * Decodes the first {@code length} octets of {@code chain} as an inner payload chain without padding (for
     * reassembled fragments). Errors are protected, as for {@link #decodeInner(IkeHeader, PayloadType, byte[])}.
     */
    public DecodeResult<List<Payload>> decodeInnerChain(IkeHeader header, PayloadType firstInner, byte[] chain,
            int length) {
        if (length < 0 || length > chain.length) {
            throw new IllegalArgumentException("length " + length + " outside the " + chain.length + "-octet chain");
        }
        try {
            if (length > limits.maxDatagram()) {
                throw new MalformedException(RejectReason.DATAGRAM_TOO_LONG, "inner chain of " + length + " octets");
            }
            List<Raw> raws = walk(chain, 0, length, firstInner, false);
            return new DecodeResult.Ok<>(decodeBodies(chain, raws, header));
        } catch (MalformedException m) {
            if (m.reason() == RejectReason.UNSUPPORTED_CRITICAL_PAYLOAD) {
                return new DecodeResult.ProtectedError<>((RejectReason) m.reason(), m.detail(),
                        NotifyType.Known.UNSUPPORTED_CRITICAL_PAYLOAD, m.notifyData());
            }
            return protectedSyntax(m);
        }
    }

    private record Head(IkeHeader header, PayloadType next) {}

    /** One payload located by the structural walk. */
    private record Raw(PayloadType type, boolean critical, int bodyOffset, int bodyLength, int nextField) {}

    private Head readHeader(byte[] d) throws MalformedException {
        if (d.length > limits.maxDatagram()) {
            throw new MalformedException(RejectReason.DATAGRAM_TOO_LONG,
                    "datagram of " + d.length + " octets; limit " + limits.maxDatagram());
        }
        if (d.length < IkeHeader.LENGTH) {
            throw new MalformedException(RejectReason.DATAGRAM_TOO_SHORT, "datagram of " + d.length + " octets");
        }
        ByteCursor r = new ByteCursor(d, 0, IkeHeader.LENGTH, RejectReason.DATAGRAM_TOO_SHORT, "IKE header");
        long ispi = r.u64();
        long rspi = r.u64();
        int next = r.u8();
        int version = r.u8();
        int exchange = r.u8();
        int flags = r.u8();
        long messageId = r.u32();
        long length = r.u32();
        if (length != d.length) {
            throw new MalformedException(RejectReason.LENGTH_MISMATCH,
                    "header says " + length + " octets, datagram has " + d.length);
        }
        if (version >>> 4 != IkeHeader.MAJOR_VERSION) {
            throw new MalformedException(RejectReason.UNSUPPORTED_MAJOR_VERSION,
                    "version " + (version >>> 4) + "." + (version & 0xf));
        }
        if (ispi == 0) {
            throw new MalformedException(RejectReason.ZERO_INITIATOR_SPI, "initiator SPI is zero");
        }
        return new Head(new IkeHeader(ispi, rspi, version & 0xf, ExchangeType.of(exchange), flags, messageId),
                PayloadType.of(next));
    }

    private static boolean isEncrypted(PayloadType t) {
        return t == PayloadType.Known.SK || t == PayloadType.Known.SKF;
    }

    /** Structural walk: generic headers only; lengths, count, SK/SKF placement, trailing octets. */
    private List<Raw> walk(byte[] buf, int offset, int length, PayloadType first, boolean outer)
            throws MalformedException {
        List<Raw> out = new ArrayList<>();
        int pos = offset;
        int end = offset + length;
        PayloadType type = first;
        while (type != PayloadType.Known.NO_NEXT_PAYLOAD) {
            if (out.size() >= limits.maxPayloads()) {
                throw new MalformedException(RejectReason.TOO_MANY_PAYLOADS,
                        "more than " + limits.maxPayloads() + " payloads");
            }
            if (end - pos < GENERIC_HEADER) {
                throw new MalformedException(RejectReason.PAYLOAD_TRUNCATED,
                        type.name() + " header at offset " + pos + " runs past the end");
            }
            int nextField = buf[pos] & 0xff;
            boolean critical = (buf[pos + 1] & 0x80) != 0;
            int payloadLength = ((buf[pos + 2] & 0xff) << 8) | (buf[pos + 3] & 0xff);
            if (payloadLength < GENERIC_HEADER) {
                throw new MalformedException(RejectReason.PAYLOAD_TOO_SHORT,
                        type.name() + " length " + payloadLength + " at offset " + pos);
            }
            if (payloadLength > end - pos) {
                throw new MalformedException(RejectReason.PAYLOAD_TRUNCATED, type.name() + " of " + payloadLength
                        + " octets at offset " + pos + ", " + (end - pos) + " left");
            }
            out.add(new Raw(type, critical, pos + GENERIC_HEADER, payloadLength - GENERIC_HEADER, nextField));
            pos += payloadLength;
            if (isEncrypted(type)) {
                if (!outer) {
                    throw new MalformedException(RejectReason.NESTED_ENCRYPTED,
                            type.name() + " inside an encrypted payload");
                }
                if (pos != end) {
                    throw new MalformedException(RejectReason.ENCRYPTED_NOT_LAST,
                            type.name() + " ends at offset " + pos + " of " + end);
                }
                return out;
            }
            type = PayloadType.of(nextField);
        }
        if (pos != end) {
            throw new MalformedException(RejectReason.TRAILING_BYTES, (end - pos) + " octets after the last payload");
        }
        return out;
    }

    private static boolean modelled(PayloadType t) {
        if (!(t instanceof PayloadType.Known k)) {
            return false;
        }
        return switch (k) {
            case SA, KE, IDI, IDR, CERT, CERTREQ, AUTH, NONCE, NOTIFY, DELETE, VENDOR_ID, TSI, TSR, SK, CP, SKF -> true;
            default -> false;
        };
    }

    private List<Payload> decodeBodies(byte[] buf, List<Raw> raws, IkeHeader header) throws MalformedException {
        for (Raw raw : raws) {
            if (raw.critical() && !modelled(raw.type())) {
                throw new MalformedException(RejectReason.UNSUPPORTED_CRITICAL_PAYLOAD,
                        "critical payload of unsupported type " + raw.type().name(),
                        Octets.of((byte) raw.type().value()));
            }
        }
        List<Payload> out = new ArrayList<>(raws.size());
        for (Raw raw : raws) {
            out.add(decodeBody(buf, raw, header));
        }
        return out;
    }

    private Payload decodeBody(byte[] buf, Raw raw, IkeHeader header) throws MalformedException {
        ByteCursor r = new ByteCursor(buf, raw.bodyOffset(), raw.bodyLength(), RejectReason.PAYLOAD_TOO_SHORT,
                raw.type().name());
        if (!modelled(raw.type())) {
            return new UnsupportedPayload(raw.type(), raw.critical(), r.rest());
        }
        return switch ((PayloadType.Known) raw.type()) {
            case SA -> decodeSa(r, header);
            case KE -> decodeKe(r);
            case IDI -> decodeId(r, true);
            case IDR -> decodeId(r, false);
            case CERT -> decodeCert(r);
            case CERTREQ -> new CertReqPayload(CertEncoding.of(r.u8()), r.rest());
            case AUTH -> decodeAuth(r);
            case NONCE -> decodeNonce(r);
            case NOTIFY -> decodeNotify(r);
            case DELETE -> decodeDelete(r);
            case VENDOR_ID -> new VendorIdPayload(r.rest());
            case TSI -> decodeTs(r, true);
            case TSR -> decodeTs(r, false);
            case SK -> new SkPayload(PayloadType.of(raw.nextField()), r.rest());
            case SKF -> decodeSkf(r, raw.nextField());
            case CP -> decodeCp(r);
            default -> throw new IllegalStateException("unreachable: " + raw.type());
        };
    }

    private SaPayload decodeSa(ByteCursor r, IkeHeader header) throws MalformedException {
        if (r.remaining() == 0) {
            throw new MalformedException(RejectReason.SA_EMPTY, "SA payload without proposals");
        }
        List<Proposal> proposals = new ArrayList<>();
        while (r.remaining() > 0) {
            if (proposals.size() >= limits.maxProposals()) {
                throw new MalformedException(RejectReason.TOO_MANY_PROPOSALS, "more than " + limits.maxProposals());
            }
            proposals.add(decodeProposal(r));
        }
        if (header.response()) {
            if (proposals.size() != 1 || proposals.getFirst().number() == 0) {
                throw new MalformedException(RejectReason.PROPOSAL_NUMBERING, "a response's SA holds "
                        + proposals.size() + " proposals; it must accept exactly one, numbered 1-255");
            }
        } else {
            for (int i = 0; i < proposals.size(); i++) {
                if (proposals.get(i).number() != i + 1) {
                    throw new MalformedException(RejectReason.PROPOSAL_NUMBERING,
                            "proposal " + (i + 1) + " is numbered "
                            + proposals.get(i).number() + "; a request numbers them 1, 2, 3...");
                }
            }
        }
        return new SaPayload(proposals);
    }

    private Proposal decodeProposal(ByteCursor r) throws MalformedException {
        if (r.remaining() < 8) {
            throw new MalformedException(RejectReason.PROPOSAL_MALFORMED,
                    r.remaining() + " octets left for a proposal");
        }
        int lastMarker = r.u8();
        r.skip(1);
        int proposalLength = r.u16();
        if (proposalLength < 8 || proposalLength - 4 > r.remaining()) {
            throw new MalformedException(RejectReason.PROPOSAL_MALFORMED, "proposal length " + proposalLength + " with "
                    + (r.remaining() + 4) + " octets left");
        }
        ByteCursor p = r.sub(proposalLength - 4, RejectReason.PROPOSAL_MALFORMED, "proposal");
        int expectedMarker = r.remaining() == 0 ? 0 : 2;
        if (lastMarker != expectedMarker) {
            throw new MalformedException(RejectReason.PROPOSAL_MALFORMED,
                    "proposal marker " + lastMarker + " where " + expectedMarker + " belongs");
        }
        int number = p.u8();
        ProtocolId protocol = ProtocolId.of(p.u8());
        int spiSize = p.u8();
        int transformCount = p.u8();
        checkProposalSpiSize(protocol, spiSize);
        Octets spi = p.octets(spiSize);
        if (transformCount > limits.maxTransforms()) {
            throw new MalformedException(RejectReason.TOO_MANY_TRANSFORMS,
                    transformCount + " transforms; limit " + limits.maxTransforms());
        }
        List<Transform> transforms = new ArrayList<>(transformCount);
        while (p.remaining() > 0) {
            if (transforms.size() >= transformCount) {
                throw new MalformedException(RejectReason.TRANSFORM_COUNT_MISMATCH,
                        "more transforms than the count " + transformCount);
            }
            transforms.add(decodeTransform(p));
        }
        if (transforms.size() != transformCount) {
            throw new MalformedException(RejectReason.TRANSFORM_COUNT_MISMATCH,
                    transforms.size() + " transforms, count says " + transformCount);
        }
        return new Proposal(number, protocol, spi, transforms);
    }

    private static void checkProposalSpiSize(ProtocolId protocol, int spiSize) throws MalformedException {
        boolean ok = switch (protocol) {
            case ProtocolId.Known k when k == ProtocolId.Known.IKE -> spiSize == 0 || spiSize == 8;
            case ProtocolId.Known k when k == ProtocolId.Known.ESP || k == ProtocolId.Known.AH -> spiSize == 4;
            default -> true;
        };
        if (!ok) {
            throw new MalformedException(RejectReason.BAD_SPI_SIZE, "SPI size " + spiSize + " for " + protocol.name());
        }
    }

    private Transform decodeTransform(ByteCursor p) throws MalformedException {
        if (p.remaining() < 8) {
            throw new MalformedException(RejectReason.TRANSFORM_MALFORMED,
                    p.remaining() + " octets left for a transform");
        }
        int lastMarker = p.u8();
        p.skip(1);
        int transformLength = p.u16();
        if (transformLength < 8 || transformLength - 4 > p.remaining()) {
            throw new MalformedException(RejectReason.TRANSFORM_MALFORMED,
                    "transform length " + transformLength + " with "
                    + (p.remaining() + 4) + " octets left");
        }
        ByteCursor t = p.sub(transformLength - 4, RejectReason.TRANSFORM_MALFORMED, "transform");
        int expectedMarker = p.remaining() == 0 ? 0 : 3;
        if (lastMarker != expectedMarker) {
            throw new MalformedException(RejectReason.TRANSFORM_MALFORMED,
                    "transform marker " + lastMarker + " where " + expectedMarker + " belongs");
        }
        TransformType type = TransformType.of(t.u8());
        t.skip(1);
        int id = t.u16();
        return new Transform(type, id, readAttributes(t));
    }

    private List<DataAttribute> readAttributes(ByteCursor t) throws MalformedException {
        List<DataAttribute> out = new ArrayList<>();
        while (t.remaining() > 0) {
            if (out.size() >= limits.maxAttributes()) {
                throw new MalformedException(RejectReason.ATTRIBUTE_MALFORMED, "more than " + limits.maxAttributes()
                        + " attributes");
            }
            if (t.remaining() < 4) {
                throw new MalformedException(RejectReason.ATTRIBUTE_MALFORMED,
                        t.remaining() + " octets left for an attribute");
            }
            int typeField = t.u16();
            int value = t.u16();
            if ((typeField & 0x8000) != 0) {
                out.add(DataAttribute.tv(typeField & 0x7fff, value));
            } else {
                if (value > t.remaining()) {
                    throw new MalformedException(RejectReason.ATTRIBUTE_MALFORMED,
                            "attribute " + typeField + " of " + value
                            + " octets with " + t.remaining() + " left");
                }
                out.add(DataAttribute.tlv(typeField, t.octets(value)));
            }
        }
        return out;
    }

    private static KePayload decodeKe(ByteCursor r) throws MalformedException {
        int group = r.u16();
        r.skip(2);
        Octets data = r.rest();
        Optional<DhGroup> known = DhGroup.fromIkev2(group);
        if (known.isPresent() && known.get() != DhGroup.NONE && data.length() != known.get().publicValueBytes()) {
            throw new MalformedException(RejectReason.KE_MALFORMED, "group " + group + " (" + known.get() + ") with "
                    + data.length() + " octets; its public value has " + known.get().publicValueBytes());
        }
        return new KePayload(group, data);
    }

    private static NoncePayload decodeNonce(ByteCursor r) throws MalformedException {
        int n = r.remaining();
        if (n < NoncePayload.MIN_LENGTH || n > NoncePayload.MAX_LENGTH) {
            throw new MalformedException(RejectReason.NONCE_LENGTH, "nonce of " + n + " octets; RFC 7296 wants 16-256");
        }
        return new NoncePayload(r.rest());
    }

    private static IdPayload decodeId(ByteCursor r, boolean initiator) throws MalformedException {
        IdentificationType idType = IdentificationType.of(r.u8());
        r.skip(3);
        Octets data = r.rest();
        int n = data.length();
        boolean ok = switch (idType) {
            case IdentificationType.Known k -> switch (k) {
                case ID_IPV4_ADDR -> n == 4;
                case ID_IPV6_ADDR -> n == 16;
                case ID_NULL -> n == 0;
                default -> n > 0;
            };
            case IdentificationType.Unknown u -> true;
        };
        if (!ok) {
            throw new MalformedException(RejectReason.ID_MALFORMED, idType.name() + " with " + n + " octets");
        }
        return new IdPayload(initiator, idType, data);
    }

    private static CertPayload decodeCert(ByteCursor r) throws MalformedException {
        CertEncoding encoding = CertEncoding.of(r.u8());
        if (r.remaining() == 0) {
            throw new MalformedException(RejectReason.CERT_MALFORMED, "CERT " + encoding.name() + " without data");
        }
        return new CertPayload(encoding, r.rest());
    }

    private static AuthPayload decodeAuth(ByteCursor r) throws MalformedException {
        AuthMethod method = AuthMethod.of(r.u8());
        r.skip(3);
        Octets data = r.rest();
        if (data.isEmpty()) {
            throw new MalformedException(RejectReason.AUTH_MALFORMED, "AUTH " + method.name() + " without data");
        }
        if (method == AuthMethod.Known.DIGITAL_SIGNATURE && AuthPayload.DigitalSignature.parse(data).isEmpty()) {
            throw new MalformedException(RejectReason.AUTH_MALFORMED, "RFC 7427 AlgorithmIdentifier length "
                    + data.get(0) + " in " + data.length() + " octets of data");
        }
        return new AuthPayload(method, data);
    }

    private static NotifyPayload decodeNotify(ByteCursor r) throws MalformedException {
        ProtocolId protocol = ProtocolId.of(r.u8());
        int spiSize = r.u8();
        NotifyType type = NotifyType.of(r.u16());
        if (spiSize > r.remaining()) {
            throw new MalformedException(RejectReason.NOTIFY_MALFORMED, type.name() + " SPI size " + spiSize + " with "
                    + r.remaining() + " octets left");
        }
        Octets spi = r.octets(spiSize);
        Octets data = r.rest();
        Optional<String> problem = NotifyPayload.checkData(type, data.length());
        if (problem.isPresent()) {
            throw new MalformedException(RejectReason.NOTIFY_MALFORMED, problem.get());
        }
        return new NotifyPayload(protocol, spi, type, data);
    }

    private static DeletePayload decodeDelete(ByteCursor r) throws MalformedException {
        ProtocolId protocol = ProtocolId.of(r.u8());
        int spiSize = r.u8();
        int count = r.u16();
        boolean sizeOk = switch (protocol) {
            case ProtocolId.Known k when k == ProtocolId.Known.IKE -> spiSize == 0;
            case ProtocolId.Known k when k == ProtocolId.Known.ESP || k == ProtocolId.Known.AH -> spiSize == 4;
            default -> true;
        };
        if (!sizeOk || (spiSize == 0 && count != 0) || (long) spiSize * count != r.remaining()) {
            throw new MalformedException(RejectReason.DELETE_MALFORMED, "delete " + protocol.name() + " of " + count
                    + " SPIs of " + spiSize + " octets in " + r.remaining() + " octets");
        }
        List<Octets> spis = new ArrayList<>(count);
        for (int i = 0; i < count; i++) {
            spis.add(r.octets(spiSize));
        }
        return new DeletePayload(protocol, spiSize, spis);
    }

    private TsPayload decodeTs(ByteCursor r, boolean initiator) throws MalformedException {
        int count = r.u8();
        r.skip(3);
        if (count == 0) {
            throw new MalformedException(RejectReason.TS_MALFORMED, "TS payload with no selectors");
        }
        if (count > limits.maxSelectors()) {
            throw new MalformedException(RejectReason.TOO_MANY_SELECTORS,
                    count + " selectors; limit " + limits.maxSelectors());
        }
        List<TrafficSelector> selectors = new ArrayList<>(count);
        while (r.remaining() > 0) {
            if (selectors.size() >= count) {
                throw new MalformedException(RejectReason.TS_MALFORMED, "more selectors than the count " + count);
            }
            if (r.remaining() < 4) {
                throw new MalformedException(RejectReason.TS_MALFORMED, r.remaining() + " octets left for a selector");
            }
            TsType type = TsType.of(r.u8());
            int second = r.u8();
            int selectorLength = r.u16();
            if (selectorLength < 4 || selectorLength - 4 > r.remaining()) {
                throw new MalformedException(RejectReason.TS_MALFORMED, "selector length " + selectorLength + " with "
                        + (r.remaining() + 4) + " octets left");
            }
            ByteCursor s = r.sub(selectorLength - 4, RejectReason.TS_MALFORMED, "traffic selector");
            int addressLength = type == TsType.Known.TS_IPV4_ADDR_RANGE ? 4
                    : type == TsType.Known.TS_IPV6_ADDR_RANGE ? 16 : -1;
            if (addressLength < 0) {
                selectors.add(new TrafficSelector.Other(type, second, s.rest()));
                continue;
            }
            if (selectorLength != 8 + 2 * addressLength) {
                throw new MalformedException(RejectReason.TS_MALFORMED,
                        type.name() + " of " + selectorLength + " octets; it has " + (8 + 2 * addressLength));
            }
            int startPort = s.u16();
            int endPort = s.u16();
            InetAddress start = IpAddresses.byAddress(s.bytes(addressLength));
            InetAddress end = IpAddresses.byAddress(s.bytes(addressLength));
            selectors.add(new TrafficSelector.AddressRange(second, startPort, endPort, start, end));
        }
        if (selectors.size() != count) {
            throw new MalformedException(RejectReason.TS_MALFORMED,
                    selectors.size() + " selectors, count says " + count);
        }
        return new TsPayload(initiator, selectors);
    }

    private static void checkFragmentNumbers(int number, int total) throws MalformedException {
        if (total < 1 || number < 1 || number > total) {
            throw new MalformedException(RejectReason.FRAGMENT_NUMBERING, "fragment " + number + " of " + total);
        }
    }

    private static SkfPayload decodeSkf(ByteCursor r, int nextField) throws MalformedException {
        int number = r.u16();
        int total = r.u16();
        checkFragmentNumbers(number, total);
        return new SkfPayload(PayloadType.of(nextField), number, total, r.rest());
    }

    private CpPayload decodeCp(ByteCursor r) throws MalformedException {
        ConfigType type = ConfigType.of(r.u8());
        r.skip(3);
        List<CpPayload.Attribute> attributes = new ArrayList<>();
        while (r.remaining() > 0) {
            if (attributes.size() >= limits.maxConfigAttributes()) {
                throw new MalformedException(RejectReason.CP_MALFORMED, "more than " + limits.maxConfigAttributes()
                        + " attributes");
            }
            if (r.remaining() < 4) {
                throw new MalformedException(RejectReason.CP_MALFORMED,
                        r.remaining() + " octets left for an attribute");
            }
            int attributeType = r.u16() & 0x7fff;
            int length = r.u16();
            if (length > r.remaining()) {
                throw new MalformedException(RejectReason.CP_MALFORMED, "attribute " + attributeType + " of " + length
                        + " octets with " + r.remaining() + " left");
            }
            attributes.add(new CpPayload.Attribute(ConfigAttributeType.of(attributeType), r.octets(length)));
        }
        return new CpPayload(type, attributes);
    }

    private static <T> DecodeResult<T> unprotected(MalformedException m) {
        return new DecodeResult.UnprotectedError<>((RejectReason) m.reason(), m.detail());
    }

    private static <T> DecodeResult<T> protectedSyntax(MalformedException m) {
        return new DecodeResult.ProtectedError<>((RejectReason) m.reason(), m.detail(), NotifyType.Known.INVALID_SYNTAX,
                Octets.empty());
    }

    // ------------------------------------------------------------------------------------------------- encoding

    /**
     * Encodes {@code message}: header (Next Payload and Length computed), then the payload chain.
     *
     * @throws IllegalArgumentException if an SK or SKF payload is not last, a payload exceeds 65535 octets, or the
     *                                  message exceeds the datagram limit
     */
    public byte[] encode(IkeMessage message) {
        ByteSink w = new ByteSink();
        List<Payload> payloads = message.payloads();
        writeHeader(w, message.header(), payloads.isEmpty() ? 0 : payloads.getFirst().type().value());
        writeChain(w, payloads, true);
        return finish(w);
    }

    /**
     * Encodes {@code payloads} as an inner chain without padding (what an SK payload carries before padding).
     *
     * @throws IllegalArgumentException if the chain contains SK or SKF, or a payload exceeds 65535 octets
     */
    public byte[] encodeChain(List<Payload> payloads) {
        ByteSink w = new ByteSink();
        writeChain(w, payloads, false);
        return w.toByteArray();
    }

    /**
     * The plaintext of an SK payload: inner chain, zero padding, pad-length octet, padded so the total is a
     * multiple of {@code blockBytes} (the cipher's block size for CBC; 1 for AEAD modes, which then carry a single
     * zero pad-length octet).
     */
    public byte[] encodeInner(List<Payload> payloads, int blockBytes) {
        if (blockBytes < 1 || blockBytes > 255) {
            throw new IllegalArgumentException("block size " + blockBytes);
        }
        byte[] chain = encodeChain(payloads);
        int pad = (blockBytes - (chain.length + 1) % blockBytes) % blockBytes;
        byte[] out = new byte[chain.length + pad + 1];
        System.arraycopy(chain, 0, out, 0, chain.length);
        out[out.length - 1] = (byte) pad;
        return out;
    }

    /**
     * Lays out a protected message: {@code header}, then an SK payload whose Next Payload is {@code firstInner} and
     * whose content is {@code ivBytes + ciphertextBytes + icvBytes} zero octets for the engine to fill.
     */
    public EncryptedTemplate encryptedTemplate(IkeHeader header, PayloadType firstInner, int ivBytes,
            int ciphertextBytes, int icvBytes) {
        checkSizes(ivBytes, ciphertextBytes, icvBytes);
        ByteSink w = new ByteSink();
        writeHeader(w, header, PayloadType.Known.SK.value());
        int content = ivBytes + ciphertextBytes + icvBytes;
        w.u8(firstInner.value()).u8(0).u16(checkedPayloadLength(GENERIC_HEADER + content)).zeros(content);
        byte[] datagram = finish(w);
        int aad = IkeHeader.LENGTH + GENERIC_HEADER;
        return new EncryptedTemplate(datagram, new EncryptedRegions(firstInner, aad, aad, ivBytes, aad + ivBytes,
                ciphertextBytes, aad + ivBytes + ciphertextBytes, icvBytes, 0, 0));
    }

    /**
     * Lays out one fragment of a protected message (RFC 7383): {@code header}, then an SKF payload numbered
     * {@code fragmentNumber} of {@code totalFragments}. Fragment 1 names {@code firstInner}; the others send 0.
     */
    public EncryptedTemplate fragmentTemplate(IkeHeader header, PayloadType firstInner, int fragmentNumber,
            int totalFragments, int ivBytes, int ciphertextBytes, int icvBytes) {
        checkSizes(ivBytes, ciphertextBytes, icvBytes);
        if (totalFragments < 1 || totalFragments > 0xffff || fragmentNumber < 1 || fragmentNumber > totalFragments) {
            throw new IllegalArgumentException("fragment " + fragmentNumber + " of " + totalFragments);
        }
        PayloadType next = fragmentNumber == 1 ? firstInner : PayloadType.Known.NO_NEXT_PAYLOAD;
        ByteSink w = new ByteSink();
        writeHeader(w, header, PayloadType.Known.SKF.value());
        int content = ivBytes + ciphertextBytes + icvBytes;
        w.u8(next.value()).u8(0).u16(checkedPayloadLength(GENERIC_HEADER + 4 + content))
                .u16(fragmentNumber).u16(totalFragments).zeros(content);
        byte[] datagram = finish(w);
        int aad = IkeHeader.LENGTH + GENERIC_HEADER + 4;
        return new EncryptedTemplate(datagram, new EncryptedRegions(next, aad, aad, ivBytes, aad + ivBytes,
                ciphertextBytes, aad + ivBytes + ciphertextBytes, icvBytes, fragmentNumber, totalFragments));
    }

    private static void checkSizes(int iv, int ciphertext, int icv) {
        if (iv < 0 || ciphertext < 1 || icv < 0) {
            throw new IllegalArgumentException("IV " + iv + ", ciphertext " + ciphertext + ", ICV " + icv);
        }
    }

    private static int checkedPayloadLength(long n) {
        if (n > 0xffff) {
            throw new IllegalArgumentException("payload of " + n + " octets exceeds 65535");
        }
        return (int) n;
    }

    private byte[] finish(ByteSink w) {
        if (w.size() > limits.maxDatagram()) {
            throw new IllegalArgumentException("message of " + w.size() + " octets exceeds the limit "
                    + limits.maxDatagram());
        }
        w.patchU32(24, w.size());
        return w.toByteArray();
    }

    private static void writeHeader(ByteSink w, IkeHeader h, int next) {
        w.u64(h.initiatorSpi()).u64(h.responderSpi()).u8(next).u8((IkeHeader.MAJOR_VERSION << 4) | h.minorVersion())
                .u8(h.exchangeType().value()).u8(h.flags()).u32(h.messageId()).u32(0);
    }

    private static void writeChain(ByteSink w, List<Payload> payloads, boolean outer) {
        for (int i = 0; i < payloads.size(); i++) {
            Payload p = payloads.get(i);
            boolean last = i == payloads.size() - 1;
            int next;
            if (p instanceof SkPayload sk) {
                next = sk.firstInner().value();
            } else if (p instanceof SkfPayload skf) {
                next = skf.firstInner().value();
            } else {
                next = last ? 0 : payloads.get(i + 1).type().value();
            }
            if (isEncrypted(p.type()) && !(p instanceof UnsupportedPayload)) {
                if (!outer) {
                    throw new IllegalArgumentException(p.type().name() + " inside an encrypted payload");
                }
                if (!last) {
                    throw new IllegalArgumentException(p.type().name() + " must be the last payload");
                }
            }
            int start = w.size();
            w.u8(next).u8(p.critical() ? 0x80 : 0).u16(0);
            writeBody(w, p);
            w.patchU16(start + 2, checkedPayloadLength(w.size() - start));
        }
    }

    private static void writeBody(ByteSink w, Payload payload) {
        switch (payload) {
            case SaPayload sa -> writeSa(w, sa);
            case KePayload ke -> w.u16(ke.group()).u16(0).octets(ke.data());
            case IdPayload id -> w.u8(id.idType().value()).zeros(3).octets(id.data());
            case CertPayload c -> w.u8(c.encoding().value()).octets(c.data());
            case CertReqPayload c -> w.u8(c.encoding().value()).octets(c.data());
            case AuthPayload a -> w.u8(a.method().value()).zeros(3).octets(a.data());
            case NoncePayload n -> w.octets(n.nonce());
            case NotifyPayload n -> w.u8(n.protocol().value()).u8(n.spi().length()).u16(n.notifyType().value())
                    .octets(n.spi()).octets(n.data());
            case DeletePayload d -> {
                w.u8(d.protocol().value()).u8(d.spiSize()).u16(d.spis().size());
                d.spis().forEach(w::octets);
            }
            case VendorIdPayload v -> w.octets(v.id());
            case TsPayload ts -> writeTs(w, ts);
            case SkPayload sk -> w.octets(sk.content());
            case SkfPayload skf -> w.u16(skf.fragmentNumber()).u16(skf.totalFragments()).octets(skf.content());
            case CpPayload cp -> {
                w.u8(cp.cfgType().value()).zeros(3);
                for (CpPayload.Attribute a : cp.attributes()) {
                    w.u16(a.attributeType().value()).u16(a.value().length()).octets(a.value());
                }
            }
            case UnsupportedPayload u -> w.octets(u.body());
        }
    }

    private static void writeSa(ByteSink w, SaPayload sa) {
        List<Proposal> proposals = sa.proposals();
        for (int i = 0; i < proposals.size(); i++) {
            Proposal p = proposals.get(i);
            int start = w.size();
            w.u8(i == proposals.size() - 1 ? 0 : 2).u8(0).u16(0)
                    .u8(p.number()).u8(p.protocol().value()).u8(p.spi().length()).u8(p.transforms().size())
                    .octets(p.spi());
            List<Transform> transforms = p.transforms();
            for (int j = 0; j < transforms.size(); j++) {
                Transform t = transforms.get(j);
                int tStart = w.size();
                w.u8(j == transforms.size() - 1 ? 0 : 3).u8(0).u16(0).u8(t.type().value()).u8(0).u16(t.id());
                for (DataAttribute a : t.attributes()) {
                    switch (a) {
                        case DataAttribute.Tv tv -> w.u16(0x8000 | tv.type()).u16(tv.value());
                        case DataAttribute.Tlv tlv -> w.u16(tlv.type()).u16(tlv.value().length()).octets(tlv.value());
                    }
                }
                w.patchU16(tStart + 2, checkedPayloadLength(w.size() - tStart));
            }
            w.patchU16(start + 2, checkedPayloadLength(w.size() - start));
        }
    }

    private static void writeTs(ByteSink w, TsPayload ts) {
        w.u8(ts.selectors().size()).zeros(3);
        for (TrafficSelector s : ts.selectors()) {
            switch (s) {
                case TrafficSelector.AddressRange a -> w.u8(a.tsType().value()).u8(a.ipProtocol())
                        .u16(a.encodedLength()).u16(a.startPort()).u16(a.endPort())
                        .bytes(a.startAddress().getAddress()).bytes(a.endAddress().getAddress());
                case TrafficSelector.Other o -> w.u8(o.tsType().value()).u8(o.secondOctet())
                        .u16(o.encodedLength()).octets(o.content());
            }
        }
    }
}
