package net.palisade.dataplane.sa;

import java.util.ArrayList;
import java.util.List;

/**
 * The outbound security policy database: policies in order, each a (local prefix, remote prefix) pair that sends
 * matching packets to an SA; the first policy whose local prefix holds the packet's source and whose remote prefix
 * holds its destination wins. Immutable; lookups are allocation-free linear scans over primitive arrays, split by
 * family (a gateway has tens of policies, not thousands).
 *
 * @param <T> what a policy leads to (a worker's binding of an outbound SA)
 */
public final class Spd<T> {

    /** One policy. */
    public record Policy<T>(Prefix local, Prefix remote, T target) {
        public Policy {
            if (local.ipv6() != remote.ipv6()) {
                throw new IllegalArgumentException("policy " + local + " -> " + remote + " mixes families");
            }
        }
    }

    private static final Spd<?> EMPTY = new Spd<>(List.of());

    private final List<Policy<T>> policies;
    // IPv4: network and mask of source and destination, as ints
    private final int[] src4;
    private final int[] srcMask4;
    private final int[] dst4;
    private final int[] dstMask4;
    private final Object[] targets4;
    // IPv6: hi/lo of network and mask of source and destination
    private final long[] v6;
    private final Object[] targets6;

    private Spd(List<Policy<T>> policies) {
        this.policies = List.copyOf(policies);
        List<Policy<T>> p4 = new ArrayList<>();
        List<Policy<T>> p6 = new ArrayList<>();
        for (Policy<T> p : policies) {
            (p.local().ipv6() ? p6 : p4).add(p);
        }
        src4 = new int[p4.size()];
        srcMask4 = new int[p4.size()];
        dst4 = new int[p4.size()];
        dstMask4 = new int[p4.size()];
        targets4 = new Object[p4.size()];
        for (int i = 0; i < p4.size(); i++) {
            Policy<T> p = p4.get(i);
            src4[i] = (int) p.local().lo();
            srcMask4[i] = Prefix.mask32(p.local().length());
            dst4[i] = (int) p.remote().lo();
            dstMask4[i] = Prefix.mask32(p.remote().length());
            targets4[i] = p.target();
        }
        v6 = new long[p6.size() * 8];
        targets6 = new Object[p6.size()];
        for (int i = 0; i < p6.size(); i++) {
            Policy<T> p = p6.get(i);
            int k = i * 8;
            v6[k] = p.local().hi();
            v6[k + 1] = p.local().lo();
            v6[k + 2] = Prefix.mask64(p.local().length());
            v6[k + 3] = Prefix.mask64(p.local().length() - 64);
            v6[k + 4] = p.remote().hi();
            v6[k + 5] = p.remote().lo();
            v6[k + 6] = Prefix.mask64(p.remote().length());
            v6[k + 7] = Prefix.mask64(p.remote().length() - 64);
            targets6[i] = p.target();
        }
    }

    @SuppressWarnings("unchecked")
    public static <T> Spd<T> empty() {
        return (Spd<T>) EMPTY;
    }

    /** An SPD with these policies, in this order. */
    public static <T> Spd<T> of(List<Policy<T>> policies) {
        return new Spd<>(policies);
    }

    public List<Policy<T>> policies() {
        return policies;
    }

    /** The first IPv4 policy's target for this source and destination, or null. */
    @SuppressWarnings("unchecked")
    public T lookup4(int source, int destination) {
        for (int i = 0; i < targets4.length; i++) {
            if ((source & srcMask4[i]) == src4[i] && (destination & dstMask4[i]) == dst4[i]) {
                return (T) targets4[i];
            }
        }
        return null;
    }

    /** The first IPv6 policy's target for this source and destination, or null. */
    @SuppressWarnings("unchecked")
    public T lookup6(long srcHi, long srcLo, long dstHi, long dstLo) {
        for (int i = 0; i < targets6.length; i++) {
            int k = i * 8;
            if ((srcHi & v6[k + 2]) == v6[k] && (srcLo & v6[k + 3]) == v6[k + 1]
                    && (dstHi & v6[k + 6]) == v6[k + 4] && (dstLo & v6[k + 7]) == v6[k + 5]) {
                return (T) targets6[i];
            }
        }
        return null;
    }
}
