package net.palisade.model;

/** Address family. */
public enum IpFamily {
    IPV4(32),
    IPV6(128);

    private final int bits;

    IpFamily(int bits) {
        this.bits = bits;
    }

    /** Address length in bits (32 or 128). */
    public int bits() {
        return bits;
    }

    /** "IPv4" or "IPv6". */
    public String display() {
        return this == IPV4 ? "IPv4" : "IPv6";
    }
}
