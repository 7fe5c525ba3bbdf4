package net.palisade.dataplane.esp;

import java.lang.foreign.MemorySegment;

/**
 * The last heap segment made for one pointer argument of a critical downcall: array and offset in, a view from that
 * offset to the array's end out. A worker passes the same packet buffers again and again, so a packet then creates
 * no segment at all, whatever C2's escape analysis decides. Holds on to the caller's last array until the next call
 * with another one. Not thread-safe (one per transform, like the transform itself).
 */
final class SegmentCache {
    private byte[] array;
    private int offset;
    private MemorySegment segment;

    MemorySegment at(byte[] a, int off) {
        if (a != array || off != offset) {
            segment = MemorySegment.ofArray(a).asSlice(off);
            array = a;
            offset = off;
        }
        return segment;
    }
}
