package net.palisade.model.config;

/**
 * What the node that will run a config can do, as opposed to what the configuration language can say. The language
 * describes IKEv1 tunnels fully (so they parse, print and convert to JSON), but a node refuses to commit a tunnel
 * it would not run as written: accepting {@code aggressive} and then speaking IKEv2 would be a setting quietly
 * ignored. The refusal is an error on the keyword that chose the exchange, with its line and column.
 *
 * @param ikev1 whether IKEv1 (main, aggressive and quick mode) is implemented
 */
public record Support(boolean ikev1) {
    /** Everything the language accepts: for printing, converting and language tests. */
    public static final Support LANGUAGE = new Support(true);
    /** What this build of the node runs: the check applied at commit, at start and by {@code config check}. */
    public static final Support THIS_BUILD = new Support(false);

    /** The error for an IKEv1 tunnel on a node without IKEv1. */
    static final String NO_IKEV1 = "IKEv1 is not implemented in this version of Palisade, and the tunnel would not"
            + " run as written; use IKEv2 (leave out ikev1/main/aggressive, or write ikesa) or keep this tunnel on"
            + " an IKEv1 gateway (docs/status.md)";
}
