package net.palisade.dataplane.esp;

/**
 * Mutable answer of {@link EspTransform#open}, reused by the caller from packet to packet so that the hot path
 * allocates nothing. Fields other than {@link #outcome()} are meaningful only when the outcome is
 * {@link EspOutcome#OK}.
 */
public final class EspOpenResult {

    private EspOutcome outcome = EspOutcome.MALFORMED;
    private int payloadOffset;
    private int payloadLength;
    private int nextHeader;
    private int padLength;

    public EspOutcome outcome() {
        return outcome;
    }

    /** Offset of the decrypted payload (the inner packet in tunnel mode) in the output array. */
    public int payloadOffset() {
        return payloadOffset;
    }

    public int payloadLength() {
        return payloadLength;
    }

    /** 4 for IPv4, 41 for IPv6, 59 for a dummy packet; any other value is the caller's to judge. */
    public int nextHeader() {
        return nextHeader;
    }

    public int padLength() {
        return padLength;
    }

    EspOutcome fail(EspOutcome failure) {
        this.outcome = failure;
        this.payloadOffset = 0;
        this.payloadLength = 0;
        this.nextHeader = 0;
        this.padLength = 0;
        return failure;
    }

    EspOutcome ok(int offset, int length, int nextHeaderValue, int padLengthValue) {
        this.outcome = EspOutcome.OK;
        this.payloadOffset = offset;
        this.payloadLength = length;
        this.nextHeader = nextHeaderValue;
        this.padLength = padLengthValue;
        return EspOutcome.OK;
    }

    @Override
    public String toString() {
        return outcome == EspOutcome.OK
                ? "OK[payload=" + payloadLength + "@" + payloadOffset + ", nextHeader=" + nextHeader
                        + ", pad=" + padLength + "]"
                : outcome.name();
    }
}
