package net.palisade.controlplane.ike;

/**
 * Where a node hands the keys of the SAs it negotiates when an operator explicitly asked to see them (debugging
 * with Wireshark: {@code palisade run --wireshark-keys}). Off by default ({@link #NONE}); a node with a key log also
 * has its sessions report each IKE SA's keys ({@link IkeOutput.IkeSaState}).
 *
 * <p>Called on the IKE outcome lane with every engine outcome, before {@link IkeOutcomes} handles it (which installs
 * and wipes the keys): an implementation reads what it needs at once and keeps no reference to the event.
 */
@FunctionalInterface
public interface KeyLog {
    /** No key log: what every node has unless the operator asks. */
    KeyLog NONE = (label, event) -> {};

    /**
     * One outcome of tunnel {@code label}'s session; only {@link IkeOutput.IkeSaState}, {@link
     * IkeOutput.ChildSaInstalled} and {@link IkeOutput.ChildSaRekeyed} carry keys.
     *
     * @param label the tunnel
     * @param event the outcome
     */
    void record(String label, IkeOutput.Event event);
}
