package net.palisade.model.wire.ikev2;

import java.io.ByteArrayOutputStream;

/**
 * Hand assembly of IKEv2 octets, field by field as RFC 7296's figures draw them, independent of the encoder under
 * test. Every helper takes the fields (markers, lengths, counts) explicitly so tests can get them wrong on purpose.
 */
final class Raw {
    private Raw() {}

    static final long ISPI = 0x0123456789abcdefL;

    static byte[] cat(byte[]... parts) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        for (byte[] p : parts) {
            out.writeBytes(p);
        }
        return out.toByteArray();
    }

    static byte[] u8(int v) {
        return new byte[] {(byte) v};
    }

    static byte[] u16(int v) {
        return new byte[] {(byte) (v >>> 8), (byte) v};
    }

    static byte[] u32(long v) {
        return new byte[] {(byte) (v >>> 24), (byte) (v >>> 16), (byte) (v >>> 8), (byte) v};
    }

    static byte[] u64(long v) {
        return cat(u32(v >>> 32), u32(v));
    }

    static byte[] zeros(int n) {
        return new byte[n];
    }

    static byte[] fill(int n, int value) {
        byte[] b = new byte[n];
        java.util.Arrays.fill(b, (byte) value);
        return b;
    }

    /** IKE header (RFC 7296 figure 4) with an explicit Length field. */
    static byte[] header(long ispi, long rspi, int next, int version, int exchange, int flags, long messageId,
            long length) {
        return cat(u64(ispi), u64(rspi), u8(next), u8(version), u8(exchange), u8(flags), u32(messageId), u32(length));
    }

    /** A whole message: header (version 2.0, correct length) and already assembled payloads. */
    static byte[] message(int exchange, int flags, int first, byte[]... payloads) {
        byte[] body = cat(payloads);
        return cat(header(ISPI, 0, first, 0x20, exchange, flags, 0, 28 + body.length), body);
    }

    /** IKE_SA_INIT request (I flag) with {@code payloads}. */
    static byte[] init(int first, byte[]... payloads) {
        return message(34, 0x08, first, payloads);
    }

    /** Generic payload header (RFC 7296 figure 5) with the correct length, then the body. */
    static byte[] payload(int next, boolean critical, byte[] body) {
        return cat(u8(next), u8(critical ? 0x80 : 0), u16(4 + body.length), body);
    }

    static byte[] payload(int next, byte[] body) {
        return payload(next, false, body);
    }

    /** Transform substructure (RFC 7296 figure 8). */
    static byte[] transform(int last, int type, int id, byte[]... attributes) {
        byte[] attrs = cat(attributes);
        return cat(u8(last), u8(0), u16(8 + attrs.length), u8(type), u8(0), u16(id), attrs);
    }

    /** TV attribute (RFC 7296 figure 9, AF = 1). */
    static byte[] tv(int type, int value) {
        return cat(u16(0x8000 | type), u16(value));
    }

    /** Proposal substructure (RFC 7296 figure 7) with the correct length. */
    static byte[] proposal(int last, int number, int protocol, byte[] spi, int transformCount, byte[]... transforms) {
        byte[] t = cat(transforms);
        return cat(u8(last), u8(0), u16(8 + spi.length + t.length), u8(number), u8(protocol), u8(spi.length),
                u8(transformCount), spi, t);
    }

    /** AES-GCM-16 with a 128-bit key: the smallest complete encryption transform. */
    static byte[] gcm(int last) {
        return transform(last, 1, 20, tv(14, 128));
    }

    /** An IKE proposal for IKE_SA_INIT with one transform. */
    static byte[] ikeProposal(int last, int number) {
        return proposal(last, number, 1, zeros(0), 1, gcm(0));
    }

    /** IPv4 traffic selector (RFC 7296 figure 20). */
    static byte[] ts4(int protocol, int startPort, int endPort, String start, String end) {
        return cat(u8(7), u8(protocol), u16(16), u16(startPort), u16(endPort), Samples.ip(start).getAddress(),
                Samples.ip(end).getAddress());
    }
}
