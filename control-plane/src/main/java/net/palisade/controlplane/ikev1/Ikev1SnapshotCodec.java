package net.palisade.controlplane.ikev1;

import static net.palisade.controlplane.ike.SnapshotFields.address;
import static net.palisade.controlplane.ike.SnapshotFields.bytes;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Optional;
import net.palisade.model.crypto.AuthAlgorithm;
import net.palisade.model.crypto.DhGroup;
import net.palisade.model.crypto.EncryptionAlgorithm;
import net.palisade.model.wire.Octets;
import net.palisade.model.wire.ikev1.Ikev1IdType;
import net.palisade.model.wire.ikev1.Ikev1Payload;

/**
 * The plain bytes of an ISAKMP SA's takeover state ({@link Ikev1Snapshot}) before the pair key seals them, in the
 * scope and under the name an IKEv2 IKE SA's state uses ({@code ike-sa}, the cookie pair): a versioned binary form
 * whose first four octets ({@link #V1}) differ from every IKEv2 state's, so a reader tells them apart ({@link
 * #isIkev1}) and an older node refuses it as "not IKE SA takeover state of this version" (it then negotiates anew).
 * Reading refuses anything it does not fully understand.
 */
public final class Ikev1SnapshotCodec {
    /** "I1", version 1. */
    static final int V1 = 0x49_31_01;
    private static final int MAX_PAIRS = 1024;

    private Ikev1SnapshotCodec() {}

    /** True if {@code plain} is an ISAKMP SA's state (of any version), not an IKEv2 IKE SA's. */
    public static boolean isIkev1(byte[] plain) {
        return plain.length >= 4 && (plain[0] & 0xff) == 0 && (plain[1] & 0xff) == 0x49 && (plain[2] & 0xff) == 0x31;
    }

    /** The bytes of {@code s}; wipe them after sealing. */
    public static byte[] encode(Ikev1Snapshot s) {
        Buffer buf = new Buffer();
        try (DataOutputStream out = new DataOutputStream(buf)) {
            out.writeInt(V1);
            out.writeLong(s.ckyI());
            out.writeLong(s.ckyR());
            out.writeBoolean(s.initiator());
            out.writeBoolean(s.aggressive());
            out.writeUTF(s.encryption().name());
            out.writeUTF(s.hash().name());
            out.writeUTF(s.group().name());
            out.writeLong(s.lifetime());
            for (byte[] b : new byte[][] {s.skeyidD(), s.skeyidA(), s.key(), s.phase1Iv()}) {
                bytes(out, b);
            }
            address(out, s.local());
            address(out, s.remote());
            out.writeUTF(s.natT());
            out.writeBoolean(s.peerDpd());
            out.writeBoolean(s.udpEncapsulation());
            out.writeBoolean(s.behindNat());
            out.writeBoolean(s.peerId().isPresent());
            if (s.peerId().isPresent()) {
                Ikev1Payload.Id id = s.peerId().get();
                out.writeByte(id.idType().value());
                out.writeByte(id.protocol());
                out.writeShort(id.port());
                bytes(out, id.data().toByteArray());
            }
            out.writeLong(s.expiresAt());
            out.writeLong(s.reauthAt());
            out.writeLong(s.dpdSequence());
            out.writeShort(s.pairs().size());
            for (Ikev1Snapshot.Pair p : s.pairs()) {
                out.writeLong(p.spiIn());
                out.writeLong(p.spiOut());
                bytes(out, p.localBase().getAddress());
                out.writeByte(p.localPrefix());
                bytes(out, p.remoteBase().getAddress());
                out.writeByte(p.remotePrefix());
                out.writeLong(p.expiresAt());
                out.writeLong(p.rekeyAt());
                out.writeUTF(p.status().name());
                out.writeLong(p.deleteAt());
            }
            out.flush();
            return buf.toByteArray();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        } finally {
            buf.wipe();
        }
    }

    /**
     * Reads an ISAKMP SA's state.
     *
     * @throws IllegalArgumentException when the bytes are not one this version wrote
     */
    public static Ikev1Snapshot decode(byte[] plain) {
        try (DataInputStream in = new DataInputStream(new ByteArrayInputStream(plain))) {
            int version = in.readInt();
            if (version != V1) {
                throw new IllegalArgumentException("not ISAKMP SA takeover state of this version (0x"
                        + Integer.toHexString(version) + ")");
            }
            long ckyI = in.readLong();
            long ckyR = in.readLong();
            boolean initiator = in.readBoolean();
            boolean aggressive = in.readBoolean();
            EncryptionAlgorithm enc = EncryptionAlgorithm.valueOf(in.readUTF());
            AuthAlgorithm hash = AuthAlgorithm.valueOf(in.readUTF());
            DhGroup group = DhGroup.valueOf(in.readUTF());
            long lifetime = in.readLong();
            byte[] d = bytes(in);
            byte[] a = bytes(in);
            byte[] k = bytes(in);
            byte[] iv = bytes(in);
            InetSocketAddress local = address(in);
            InetSocketAddress remote = address(in);
            String natT = VendorIds.NatT.valueOf(in.readUTF()).name();
            boolean dpd = in.readBoolean();
            boolean udp = in.readBoolean();
            boolean nat = in.readBoolean();
            Optional<Ikev1Payload.Id> peerId = Optional.empty();
            if (in.readBoolean()) {
                Ikev1IdType type = Ikev1IdType.of(in.readUnsignedByte());
                int proto = in.readUnsignedByte();
                int port = in.readUnsignedShort();
                peerId = Optional.of(new Ikev1Payload.Id(type, proto, port, Octets.of(bytes(in))));
            }
            long expiresAt = in.readLong();
            long reauthAt = in.readLong();
            long seq = in.readLong();
            int n = in.readUnsignedShort();
            if (n > MAX_PAIRS) {
                throw new IllegalArgumentException("ISAKMP SA takeover state with " + n + " ESP SA pairs");
            }
            List<Ikev1Snapshot.Pair> pairs = new ArrayList<>(n);
            for (int i = 0; i < n; i++) {
                long spiIn = in.readLong();
                long spiOut = in.readLong();
                InetAddress lb = InetAddress.getByAddress(bytes(in));
                int lp = in.readUnsignedByte();
                InetAddress rb = InetAddress.getByAddress(bytes(in));
                int rp = in.readUnsignedByte();
                pairs.add(new Ikev1Snapshot.Pair(spiIn, spiOut, lb, lp, rb, rp, in.readLong(), in.readLong(),
                        Ikev1Snapshot.Status.valueOf(in.readUTF()), in.readLong()));
            }
            if (in.available() != 0) {
                throw new IllegalArgumentException("ISAKMP SA takeover state has " + in.available()
                        + " octets too many");
            }
            return new Ikev1Snapshot(ckyI, ckyR, initiator, aggressive, enc, hash, group, lifetime, d, a, k, iv, local,
                    remote, natT, dpd, udp, nat, peerId, expiresAt, reauthAt, seq, pairs);
        } catch (IOException e) {
            throw new IllegalArgumentException("ISAKMP SA takeover state is truncated", e);
        }
    }

    /** A buffer whose internal array can be wiped. */
    private static final class Buffer extends ByteArrayOutputStream {
        Buffer() {
            super(512);
        }

        void wipe() {
            Arrays.fill(buf, (byte) 0);
        }
    }




}
