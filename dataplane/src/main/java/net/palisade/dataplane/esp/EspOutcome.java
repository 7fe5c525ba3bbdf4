package net.palisade.dataplane.esp;

/**
 * What {@link EspTransform#open} concluded about one inbound packet. Every value but {@link #OK} means: drop it,
 * and count the drop under this name.
 */
public enum EspOutcome {
    /** The ICV verified and the trailer is well formed: the payload is in the output array. */
    OK,
    /** The integrity check failed: forged, corrupted, or sealed under another key. */
    ICV_FAILED,
    /**
     * The packet cannot be an ESP packet of this SA: too short, ciphertext not aligned to the cipher's block, or
     * (after a successful ICV check) a pad length larger than the data or padding bytes that are not 1, 2, 3...
     */
    MALFORMED
}
