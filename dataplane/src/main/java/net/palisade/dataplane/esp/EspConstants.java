package net.palisade.dataplane.esp;

/**
 * Numbers fixed by the ESP specifications (wire format), kept apart from the implementation's own choices.
 */
public final class EspConstants {

    // ---- Specification constants (RFC 4303, RFC 4106, RFC 7634, RFC 3602) ----

    /** SPI (4 octets) and sequence number (4 octets): RFC 4303 Section 2. */
    public static final int HEADER_LENGTH = 8;
    /** Pad Length and Next Header octets of the ESP trailer: RFC 4303 Section 2.4 and 2.6. */
    public static final int TRAILER_LENGTH = 2;
    /** Padding is at most 255 octets: RFC 4303 Section 2.4. */
    public static final int MAX_PAD_LENGTH = 255;
    /** The ciphertext must end on a 4-octet boundary whatever the cipher: RFC 4303 Section 2.4. */
    public static final int MIN_ALIGNMENT = 4;
    /** Next Header value of a tunnelled IPv4 packet (IANA protocol number 4). */
    public static final int NEXT_HEADER_IPV4 = 4;
    /** Next Header value of a tunnelled IPv6 packet (IANA protocol number 41). */
    public static final int NEXT_HEADER_IPV6 = 41;
    /** Next Header of a dummy (traffic-flow-confidentiality) packet, to be dropped: RFC 4303 Section 2.6. */
    public static final int NEXT_HEADER_NO_NEXT = 59;
    /** Explicit IV of AES-GCM (RFC 4106 Section 3.1) and ChaCha20-Poly1305 (RFC 7634 Section 2). */
    public static final int AEAD_EXPLICIT_IV_LENGTH = 8;
    /** Salt taken from the end of the key material: RFC 4106 Section 8.1, RFC 7634 Section 2. */
    public static final int AEAD_SALT_LENGTH = 4;
    /** Full 16-octet tag (the only ICV length this implementation offers): RFC 4106 Section 6. */
    public static final int AEAD_ICV_LENGTH = 16;

    // Implementation choices live with the code they tune: replay window sizes in
    // net.palisade.dataplane.replay.ReplayWindow, the CBC IV construction in IvGenerator.

    private EspConstants() {
    }
}
