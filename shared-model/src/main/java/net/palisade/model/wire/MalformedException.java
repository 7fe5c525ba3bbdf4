package net.palisade.model.wire;

/**
 * A codec's internal signal that input is malformed: the codec's reject reason, a detail, and (for IKEv2) the data
 * of the notify that may answer it. Codecs catch it at their public boundary and return a typed result; it never
 * reaches their callers. No stack trace: rejects are routine, not bugs.
 */
public final class MalformedException extends Exception {
    private static final long serialVersionUID = 1L;

    private final transient Enum<?> reason;
    private final transient Octets notifyData;

    /** A reject for {@code reason} with a detail for the log. */
    public MalformedException(Enum<?> reason, String detail) {
        this(reason, detail, Octets.empty());
    }

    /** A reject that carries the data of the notify answering it. */
    public MalformedException(Enum<?> reason, String detail, Octets notifyData) {
        super(detail, null, false, false);
        this.reason = reason;
        this.notifyData = notifyData;
    }

    /** The codec's reject reason. */
    public Enum<?> reason() {
        return reason;
    }

    /** What was wrong. */
    public String detail() {
        return getMessage();
    }

    /** Notify data for the answer, empty if none. */
    public Octets notifyData() {
        return notifyData;
    }
}
