package net.palisade.model.wire;

import java.util.Arrays;

/**
 * A bounds-checked, big-endian cursor over part of a byte array, for decoders. Every read checks the remaining
 * length first and reports a short read as a {@link MalformedException} with the reason given at construction, so
 * malformed input never reaches an index exception.
 */
public final class ByteCursor {
    private final byte[] buf;
    private final int end;
    private final Enum<?> shortRead;
    private final String what;
    private int pos;

    /**
     * A cursor over {@code length} octets of {@code buf} from {@code offset}.
     *
     * @param shortRead the reason reported when a read runs past the end
     * @param what      what is being read, for the detail
     */
    public ByteCursor(byte[] buf, int offset, int length, Enum<?> shortRead, String what) {
        if (offset < 0 || length < 0 || offset + length > buf.length) {
            throw new IllegalArgumentException("range " + offset + "+" + length + " outside " + buf.length);
        }
        this.buf = buf;
        this.pos = offset;
        this.end = offset + length;
        this.shortRead = shortRead;
        this.what = what;
    }

    /** Octets left. */
    public int remaining() {
        return end - pos;
    }

    /** The current offset in the underlying array. */
    public int position() {
        return pos;
    }

    /** Fails unless {@code n} more octets are there. */
    public void need(int n) throws MalformedException {
        if (n < 0 || n > end - pos) {
            throw new MalformedException(shortRead, what + ": needs " + n + " more octets at offset " + pos + ", "
                    + (end - pos) + " left");
        }
    }

    /** One unsigned octet. */
    public int u8() throws MalformedException {
        need(1);
        return buf[pos++] & 0xff;
    }

    /** Two octets, unsigned. */
    public int u16() throws MalformedException {
        need(2);
        int v = ((buf[pos] & 0xff) << 8) | (buf[pos + 1] & 0xff);
        pos += 2;
        return v;
    }

    /** Four octets, unsigned. */
    public long u32() throws MalformedException {
        need(4);
        long v = ((long) (buf[pos] & 0xff) << 24) | ((buf[pos + 1] & 0xff) << 16) | ((buf[pos + 2] & 0xff) << 8)
                | (buf[pos + 3] & 0xff);
        pos += 4;
        return v;
    }

    /** Eight octets as a long. */
    public long u64() throws MalformedException {
        long hi = u32();
        long lo = u32();
        return (hi << 32) | lo;
    }

    /** Skips {@code n} octets. */
    public void skip(int n) throws MalformedException {
        need(n);
        pos += n;
    }

    /** The next {@code n} octets. */
    public Octets octets(int n) throws MalformedException {
        need(n);
        Octets o = Octets.copyOf(buf, pos, n);
        pos += n;
        return o;
    }

    /** A copy of the next {@code n} octets. */
    public byte[] bytes(int n) throws MalformedException {
        need(n);
        byte[] b = Arrays.copyOfRange(buf, pos, pos + n);
        pos += n;
        return b;
    }

    /** Everything left. */
    public Octets rest() throws MalformedException {
        return octets(remaining());
    }

    /** A cursor over the next {@code n} octets, which this cursor skips. */
    public ByteCursor sub(int n, Enum<?> reason, String subWhat) throws MalformedException {
        need(n);
        ByteCursor r = new ByteCursor(buf, pos, n, reason, subWhat);
        pos += n;
        return r;
    }
}
