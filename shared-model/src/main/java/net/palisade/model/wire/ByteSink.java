package net.palisade.model.wire;

import java.util.Arrays;

/** A growable big-endian byte buffer for encoders, with back-patching of length fields. */
public final class ByteSink {
    private byte[] buf = new byte[256];
    private int size;

    private void ensure(int more) {
        if (size + more > buf.length) {
            buf = Arrays.copyOf(buf, Math.max(buf.length * 2, size + more));
        }
    }

    /** Octets written so far. */
    public int size() {
        return size;
    }

    /** One octet (the low 8 bits of {@code v}). */
    public ByteSink u8(int v) {
        ensure(1);
        buf[size++] = (byte) v;
        return this;
    }

    /** Two octets. */
    public ByteSink u16(int v) {
        ensure(2);
        buf[size++] = (byte) (v >>> 8);
        buf[size++] = (byte) v;
        return this;
    }

    /** Four octets. */
    public ByteSink u32(long v) {
        ensure(4);
        buf[size++] = (byte) (v >>> 24);
        buf[size++] = (byte) (v >>> 16);
        buf[size++] = (byte) (v >>> 8);
        buf[size++] = (byte) v;
        return this;
    }

    /** Eight octets. */
    public ByteSink u64(long v) {
        u32(v >>> 32);
        return u32(v & 0xffff_ffffL);
    }

    /** {@code n} zero octets. */
    public ByteSink zeros(int n) {
        ensure(n);
        size += n;
        return this;
    }

    /** The octets of {@code o}. */
    public ByteSink octets(Octets o) {
        ensure(o.length());
        o.copyTo(buf, size);
        size += o.length();
        return this;
    }

    /** The octets of {@code b}. */
    public ByteSink bytes(byte[] b) {
        ensure(b.length);
        System.arraycopy(b, 0, buf, size, b.length);
        size += b.length;
        return this;
    }

    /** Overwrites two octets at {@code at}. */
    public void patchU16(int at, int v) {
        buf[at] = (byte) (v >>> 8);
        buf[at + 1] = (byte) v;
    }

    /** Overwrites four octets at {@code at}. */
    public void patchU32(int at, long v) {
        buf[at] = (byte) (v >>> 24);
        buf[at + 1] = (byte) (v >>> 16);
        buf[at + 2] = (byte) (v >>> 8);
        buf[at + 3] = (byte) v;
    }

    /** A copy of what was written. */
    public byte[] toByteArray() {
        return Arrays.copyOf(buf, size);
    }
}
