package net.palisade.model.config;

/**
 * What the node that will run a config can do, as opposed to what the configuration language can say. The language
 * describes IKEv1 tunnels fully (so they parse, print and convert to JSON), but a node refuses to commit a tunnel
 * it would not run as written: accepting {@code aggressive} and then speaking IKEv2 would be a setting quietly
 * ignored. The refusal is an error on the keyword that chose the exchange, with its line and column.
 *
 * @param ikev1             whether IKEv1 (main, aggressive and quick mode with pre-shared keys) is implemented
 * @param ikev1Certificates whether IKEv1 main mode authenticates with certificates (RSA signatures)
 * @param ikev1AggressiveCertificates whether IKEv1 aggressive mode authenticates with certificates
 * @param ikev1Encap        whether an IKEv1 tunnel can be forced into UDP encapsulation ({@code encap}); NAT-T
 *                          detected on the path works without it
 */
public record Support(boolean ikev1, boolean ikev1Certificates, boolean ikev1AggressiveCertificates,
        boolean ikev1Encap) {
    /** Everything the language accepts: for printing, converting and language tests. */
    public static final Support LANGUAGE = new Support(true, true, true, true);
    /** What this build of the node runs: the check applied at commit, at start and by {@code config check}. */
    public static final Support THIS_BUILD = new Support(true, true, false, true);
    /** A node without IKEv1 at all (the builds before it; kept for the refusal's tests). */
    public static final Support IKEV2_ONLY = new Support(false, false, false, false);

    /** The error for an IKEv1 tunnel on a node without IKEv1. */
    static final String NO_IKEV1 = "IKEv1 is not implemented in this version of Palisade, and the tunnel would not"
            + " run as written; use IKEv2 (leave out ikev1/main/aggressive, or write ikesa) or keep this tunnel on"
            + " an IKEv1 gateway (docs/status.md)";
    /** The error for an IKEv1 tunnel with certificates on a node without them. */
    static final String NO_IKEV1_CERTIFICATES = "IKEv1 with certificates is not implemented in this version of"
            + " Palisade; use psk with main or aggressive mode, or IKEv2 for certificates (docs/status.md)";
    /** The error for an IKEv1 aggressive-mode tunnel with certificates on a node without them. */
    static final String NO_IKEV1_AGGRESSIVE_CERTIFICATES = "IKEv1 aggressive mode with certificates is not"
            + " implemented in this version of Palisade; use main mode (which takes cert/key/ca), psk, or IKEv2"
            + " (docs/status.md)";
    /** The error for an IKEv1 tunnel with encap on a node that cannot force it. */
    static final String NO_IKEV1_ENCAP = "forcing UDP encapsulation is not implemented for IKEv1 in this version of"
            + " Palisade (NAT-T detected on the path still encapsulates); remove encap or use IKEv2"
            + " (docs/status.md)";
}
