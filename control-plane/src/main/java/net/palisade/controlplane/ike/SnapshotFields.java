package net.palisade.controlplane.ike;

import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;

/**
 * The field encodings the IKEv2 and the IKEv1 takeover state share ({@link SnapshotCodec},
 * {@code Ikev1SnapshotCodec}): an octet string as a 16-bit length and its octets, at most {@value #MAX_FIELD}
 * octets when read (a longer one is refused, never allocated), and a socket address as its address octets and
 * port.
 */
public final class SnapshotFields {
    /** The longest octet string a takeover state may hold (a certificate-sized ID is well under it). */
    public static final int MAX_FIELD = 4096;

    private SnapshotFields() {
    }

    public static void bytes(DataOutputStream out, byte[] b) throws IOException {
        out.writeShort(b.length);
        out.write(b);
    }

    public static byte[] bytes(DataInputStream in) throws IOException {
        int n = in.readUnsignedShort();
        if (n > MAX_FIELD) {
            throw new IllegalArgumentException("takeover state field of " + n + " octets (at most " + MAX_FIELD
                    + ")");
        }
        byte[] b = new byte[n];
        in.readFully(b);
        return b;
    }

    public static void address(DataOutputStream out, InetSocketAddress a) throws IOException {
        bytes(out, a.getAddress().getAddress());
        out.writeShort(a.getPort());
    }

    public static InetSocketAddress address(DataInputStream in) throws IOException {
        InetAddress a = InetAddress.getByAddress(bytes(in));
        return new InetSocketAddress(a, in.readUnsignedShort());
    }
}
