package net.palisade.dataplane.sa;

import java.util.List;
import net.palisade.dataplane.packet.IpPacket;

/**
 * The traffic selectors of one SA pair: the local networks (the tunnel's {@code from}) and the remote networks (its
 * {@code to}). An inbound packet passes the policy check (RFC 4301 Section 5.2, step 4) when its source lies in a
 * remote network and its destination in a local one.
 *
 * @param local the local prefixes, both families mixed
 * @param remote the remote prefixes, both families mixed
 */
public record Selectors(List<Prefix> local, List<Prefix> remote) {

    public Selectors {
        local = List.copyOf(local);
        remote = List.copyOf(remote);
    }

    /** The inbound policy check on a parsed inner packet. Allocation-free. */
    public boolean admitsInbound(IpPacket p) {
        if (p.isIpv6()) {
            return any6(remote, p.srcHi(), p.srcLo()) && any6(local, p.dstHi(), p.dstLo());
        }
        return any4(remote, p.src4()) && any4(local, p.dst4());
    }

    private static boolean any4(List<Prefix> prefixes, int address) {
        for (int i = 0, n = prefixes.size(); i < n; i++) {
            if (prefixes.get(i).contains4(address)) {
                return true;
            }
        }
        return false;
    }

    private static boolean any6(List<Prefix> prefixes, long hi, long lo) {
        for (int i = 0, n = prefixes.size(); i < n; i++) {
            if (prefixes.get(i).contains6(hi, lo)) {
                return true;
            }
        }
        return false;
    }
}
