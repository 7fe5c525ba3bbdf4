package net.palisade.controlplane.ike;

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
import net.palisade.controlplane.ike.crypto.IkeSaKeys;
import net.palisade.model.crypto.AuthAlgorithm;
import net.palisade.model.crypto.DhGroup;
import net.palisade.model.crypto.EncryptionAlgorithm;
import net.palisade.model.secret.Secret;
import net.palisade.model.wire.Octets;
import net.palisade.model.wire.ikev2.IdPayload;
import net.palisade.model.wire.ikev2.IdentificationType;
import net.palisade.model.wire.ikev2.TrafficSelector;

/**
 * The plain bytes of takeover state, before the pair key seals them: an {@link IkeSaSnapshot}, or a Child SA as
 * the engine reported it ({@link IkeOutput.ChildSaInstalled}, keys of both directions included). A small versioned
 * binary form rather than JSON, so the buffers that held keys can be wiped ({@link #wipe}); algorithms are written by
 * their enum names, which the journal's other events use too.
 *
 * <p>Reading refuses anything it does not fully understand (another version, a truncated or over-long value): a
 * node then renegotiates rather than resume from state it misread.
 */
public final class SnapshotCodec {
    private static final int IKE_V1 = 0x49_4b_01;
    /** V1 and whether a message ID sync has been made on the IKE SA (V1 state reads as: not yet). */
    private static final int IKE_V2 = 0x49_4b_02;
    /** V2 and our IKE SA rekey in flight; written only when one is, so a state without it reads as V2 anywhere. */
    private static final int IKE_V3 = 0x49_4b_03;
    /**
     * V2, then which of our requests in flight follow (bit 0: an IKE SA rekey, as in V3; bit 1: a Child SA request,
     * {@link ChildRequestInFlight}); written only when a Child SA request is, so other states read as V2 or V3
     * anywhere.
     */
    private static final int IKE_V4 = 0x49_4b_04;
    /**
     * V4 (the follow byte always written), then the peer's identity as IKE_AUTH authenticated it (its ID type and
     * data); written only when the state has one, so other states read as before anywhere.
     */
    private static final int IKE_V5 = 0x49_4b_05;
    private static final int CHILD_V1 = 0x43_48_01;

    private SnapshotCodec() {}

    /** The bytes of {@code s}; wipe them after sealing. */
    public static byte[] encode(IkeSaSnapshot s) {
        return write(out -> {
            out.writeInt(s.peerId().isPresent() ? IKE_V5 : s.child().isPresent() ? IKE_V4
                    : s.rekey().isPresent() ? IKE_V3 : IKE_V2);
            out.writeLong(s.spiI());
            out.writeLong(s.spiR());
            out.writeBoolean(s.initiatorRole());
            out.writeUTF(s.encryption().name());
            out.writeUTF(s.integrity().map(Enum::name).orElse(""));
            out.writeUTF(s.prf().name());
            out.writeUTF(s.group().name());
            IkeSaKeys k = s.keys();
            for (byte[] b : new byte[][] {k.skD(), k.skAi(), k.skAr(), k.skEi(), k.skEr(), k.skPi(), k.skPr()}) {
                bytes(out, b);
            }
            address(out, s.local());
            address(out, s.remote());
            out.writeBoolean(s.udpEncapsulation());
            out.writeBoolean(s.behindNat());
            out.writeBoolean(s.peerFragmentation());
            out.writeBoolean(s.peerMidSync());
            out.writeLong(s.nextRequestId());
            out.writeLong(s.expectedPeerRequestId());
            out.writeBoolean(s.midSyncUsed());
            if (s.child().isPresent() || s.peerId().isPresent()) {
                out.writeByte((s.rekey().isPresent() ? 1 : 0) | (s.child().isPresent() ? 2 : 0));
            }
            if (s.rekey().isPresent()) {
                writeRekey(out, s.rekey().get());
            }
            if (s.child().isPresent()) {
                writeChild(out, s.child().get());
            }
            if (s.peerId().isPresent()) {
                out.writeByte(s.peerId().get().idType().value());
                bytes(out, s.peerId().get().data().toByteArray());
            }
        });
    }

    /**
     * Reads an IKE SA's state.
     *
     * @throws IllegalArgumentException when the bytes are not one this version wrote
     */
    public static IkeSaSnapshot decodeIke(byte[] plain) {
        return read(plain, in -> {
            int version = in.readInt();
            if (version != IKE_V1 && version != IKE_V2 && version != IKE_V3 && version != IKE_V4
                    && version != IKE_V5) {
                throw new IllegalArgumentException("not IKE SA takeover state of this version (0x"
                        + Integer.toHexString(version) + ")");
            }
            long spiI = in.readLong();
            long spiR = in.readLong();
            boolean initiator = in.readBoolean();
            EncryptionAlgorithm enc = EncryptionAlgorithm.valueOf(in.readUTF());
            String integ = in.readUTF();
            AuthAlgorithm prf = AuthAlgorithm.valueOf(in.readUTF());
            DhGroup group = DhGroup.valueOf(in.readUTF());
            byte[][] k = new byte[7][];
            for (int i = 0; i < k.length; i++) {
                k[i] = bytes(in);
            }
            IkeSaKeys keys = new IkeSaKeys(k[0], k[1], k[2], k[3], k[4], k[5], k[6]);
            InetSocketAddress local = address(in);
            InetSocketAddress remote = address(in);
            boolean udp = in.readBoolean();
            boolean nat = in.readBoolean();
            boolean frag = in.readBoolean();
            boolean midSync = in.readBoolean();
            long next = in.readLong();
            long expected = in.readLong();
            boolean synced = version != IKE_V1 && in.readBoolean();
            int follow = version >= IKE_V4 ? in.readUnsignedByte() : version == IKE_V3 ? 1 : 0;
            if (follow > 3) {
                throw new IllegalArgumentException("IKE SA takeover state names unknown requests (" + follow + ")");
            }
            Optional<IkeSaSnapshot.RekeyInFlight> rekey = (follow & 1) != 0 ? Optional.of(readRekey(in))
                    : Optional.empty();
            Optional<ChildRequestInFlight> child = (follow & 2) != 0 ? Optional.of(readChild(in)) : Optional.empty();
            Optional<IdPayload> peer = version == IKE_V5 ? Optional.of(new IdPayload(true,
                    IdentificationType.of(in.readUnsignedByte()), Octets.of(bytes(in)))) : Optional.empty();
            return new IkeSaSnapshot(spiI, spiR, initiator, enc, integ.isEmpty() ? Optional.empty()
                    : Optional.of(AuthAlgorithm.valueOf(integ)), prf, group, keys, local, remote, udp, nat, frag,
                    midSync, next, expected, synced, rekey, child, peer);
        });
    }

    private static void writeRekey(DataOutputStream out, IkeSaSnapshot.RekeyInFlight r) throws IOException {
        out.writeLong(r.newSpiI());
        writeSeeded(out, r.nonce(), r.group(), r.keySeed(), r.retried(), r.request());
    }

    private static IkeSaSnapshot.RekeyInFlight readRekey(DataInputStream in) throws IOException {
        long newSpi = in.readLong();
        Seeded s = readSeeded(in);
        try {
            return new IkeSaSnapshot.RekeyInFlight(newSpi, s.nonce(), s.group(), s.seed(), s.retried(), s.request());
        } finally {
            Arrays.fill(s.seed(), (byte) 0);
        }
    }

    private static void writeChild(DataOutputStream out, ChildRequestInFlight c) throws IOException {
        out.writeUTF(c.kind().name());
        out.writeLong(c.oldSpiIn());
        out.writeLong(c.oldSpiOut());
        out.writeLong(c.newSpiIn());
        writeSeeded(out, c.nonce(), c.group(), c.keySeed(), c.retried(), c.request());
    }

    private static ChildRequestInFlight readChild(DataInputStream in) throws IOException {
        ChildRequestInFlight.Kind kind = ChildRequestInFlight.Kind.valueOf(in.readUTF());
        long oldIn = in.readLong();
        long oldOut = in.readLong();
        long newIn = in.readLong();
        Seeded s = readSeeded(in);
        try {
            return new ChildRequestInFlight(kind, oldIn, oldOut, newIn, s.nonce(), s.group(), s.seed(), s.retried(),
                    s.request());
        } finally {
            Arrays.fill(s.seed(), (byte) 0);
        }
    }

    /**
     * What both kinds of request in flight keep after their SPIs, in this order: our nonce, the key exchange's group,
     * its seed, whether it is a second try, the datagrams. The caller wipes {@code seed} once it is copied.
     */
    private record Seeded(byte[] nonce, DhGroup group, byte[] seed, boolean retried, List<byte[]> request) {}

    /** Writes {@link Seeded}'s fields; {@code seed} (a copy) is wiped once written. */
    private static void writeSeeded(DataOutputStream out, byte[] nonce, DhGroup group, byte[] seed, boolean retried,
            List<byte[]> request) throws IOException {
        bytes(out, nonce);
        out.writeUTF(group.name());
        bytes(out, seed);
        Arrays.fill(seed, (byte) 0);
        out.writeBoolean(retried);
        datagrams(out, request);
    }

    private static Seeded readSeeded(DataInputStream in) throws IOException {
        byte[] nonce = bytes(in);
        DhGroup g = DhGroup.valueOf(in.readUTF());
        byte[] seed = bytes(in);
        try {
            return new Seeded(nonce, g, seed, in.readBoolean(), datagrams(in));
        } catch (IOException | RuntimeException e) {
            Arrays.fill(seed, (byte) 0);
            throw e;
        }
    }

    private static void datagrams(DataOutputStream out, List<byte[]> request) throws IOException {
        out.writeByte(request.size());
        for (byte[] d : request) {
            bytes(out, d);
        }
    }

    private static List<byte[]> datagrams(DataInputStream in) throws IOException {
        int n = in.readUnsignedByte();
        List<byte[]> request = new ArrayList<>();
        for (int i = 0; i < n; i++) {
            request.add(bytes(in));
        }
        return request;
    }

    /** The bytes of Child SA {@code c}; wipe them after sealing. */
    public static byte[] encode(IkeOutput.ChildSaInstalled c) {
        return write(out -> {
            out.writeInt(CHILD_V1);
            out.writeLong(c.inboundSpi());
            out.writeLong(c.outboundSpi());
            out.writeUTF(c.encryption().name());
            out.writeUTF(c.integrity().map(Enum::name).orElse(""));
            keys(out, c.inbound());
            keys(out, c.outbound());
            selectors(out, c.localSelectors());
            selectors(out, c.remoteSelectors());
            address(out, c.local());
            address(out, c.remote());
            out.writeBoolean(c.udpEncapsulation());
            out.writeUTF(c.pfs().map(Enum::name).orElse(""));
            out.writeBoolean(c.esn());
        });
    }

    /**
     * Reads a Child SA's state.
     *
     * @throws IllegalArgumentException when the bytes are not one this version wrote
     */
    public static IkeOutput.ChildSaInstalled decodeChild(byte[] plain) {
        return read(plain, in -> {
            expect(in, CHILD_V1, "Child SA");
            long inSpi = in.readLong();
            long outSpi = in.readLong();
            EncryptionAlgorithm enc = EncryptionAlgorithm.valueOf(in.readUTF());
            String integ = in.readUTF();
            IkeOutput.ChildKeys inbound = keys(in);
            IkeOutput.ChildKeys outbound = keys(in);
            List<TrafficSelector> localTs = selectors(in);
            List<TrafficSelector> remoteTs = selectors(in);
            InetSocketAddress local = address(in);
            InetSocketAddress remote = address(in);
            boolean udp = in.readBoolean();
            String pfs = in.readUTF();
            boolean esn = in.readBoolean();
            return new IkeOutput.ChildSaInstalled(inSpi, outSpi, enc, integ.isEmpty() ? Optional.empty()
                    : Optional.of(AuthAlgorithm.valueOf(integ)), inbound, outbound, localTs, remoteTs, local, remote,
                    udp, pfs.isEmpty() ? Optional.empty() : Optional.of(DhGroup.valueOf(pfs)), esn);
        });
    }

    /** Zeroes {@code plain}. */
    public static void wipe(byte[] plain) {
        Arrays.fill(plain, (byte) 0);
    }

    // ------------------------------------------------------------------------------------------------- parts

    private interface Writer {
        void write(DataOutputStream out) throws IOException;
    }

    private interface Reader<T> {
        T read(DataInputStream in) throws IOException;
    }

    /** A buffer whose internal array can be wiped. */
    private static final class WipingBuffer extends ByteArrayOutputStream {
        WipingBuffer() {
            super(512);
        }

        void wipe() {
            Arrays.fill(buf, (byte) 0);
        }
    }

    private static byte[] write(Writer w) {
        WipingBuffer buf = new WipingBuffer();
        try (DataOutputStream out = new DataOutputStream(buf)) {
            w.write(out);
            out.flush();
            return buf.toByteArray();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        } finally {
            buf.wipe();
        }
    }

    private static <T> T read(byte[] plain, Reader<T> r) {
        try (DataInputStream in = new DataInputStream(new ByteArrayInputStream(plain))) {
            T t = r.read(in);
            if (in.available() != 0) {
                throw new IllegalArgumentException("takeover state has " + in.available() + " octets too many");
            }
            return t;
        } catch (IOException e) {
            throw new IllegalArgumentException("takeover state is truncated", e);
        }
    }

    private static void expect(DataInputStream in, int magic, String what) throws IOException {
        int m = in.readInt();
        if (m != magic) {
            throw new IllegalArgumentException("not " + what + " takeover state of this version (0x"
                    + Integer.toHexString(m) + ")");
        }
    }



    private static void keys(DataOutputStream out, IkeOutput.ChildKeys k) throws IOException {
        secret(out, k.encryption());
        out.writeBoolean(k.integrity().isPresent());
        if (k.integrity().isPresent()) {
            secret(out, k.integrity().get());
        }
    }

    private static void secret(DataOutputStream out, Secret s) throws IOException {
        byte[] b = s.revealBytes();
        try {
            bytes(out, b);
        } finally {
            Arrays.fill(b, (byte) 0);
        }
    }

    private static IkeOutput.ChildKeys keys(DataInputStream in) throws IOException {
        Secret enc = Secret.adopt(bytes(in));
        Optional<Secret> integ = in.readBoolean() ? Optional.of(Secret.adopt(bytes(in))) : Optional.empty();
        return new IkeOutput.ChildKeys(enc, integ);
    }



    /** Address ranges only: the dataplane matches nothing else (what it installed from them is what resumes). */
    private static void selectors(DataOutputStream out, List<TrafficSelector> list) throws IOException {
        List<TrafficSelector.AddressRange> ranges = list.stream()
                .filter(TrafficSelector.AddressRange.class::isInstance).map(TrafficSelector.AddressRange.class::cast)
                .toList();
        out.writeShort(ranges.size());
        for (TrafficSelector.AddressRange r : ranges) {
            out.writeByte(r.ipProtocol());
            out.writeShort(r.startPort());
            out.writeShort(r.endPort());
            bytes(out, r.startAddress().getAddress());
            bytes(out, r.endAddress().getAddress());
        }
    }

    private static List<TrafficSelector> selectors(DataInputStream in) throws IOException {
        int n = in.readUnsignedShort();
        if (n > 256) {
            throw new IllegalArgumentException("takeover state with " + n + " traffic selectors");
        }
        List<TrafficSelector> out = new ArrayList<>(n);
        for (int i = 0; i < n; i++) {
            int proto = in.readUnsignedByte();
            int start = in.readUnsignedShort();
            int end = in.readUnsignedShort();
            InetAddress a = InetAddress.getByAddress(bytes(in));
            InetAddress b = InetAddress.getByAddress(bytes(in));
            out.add(new TrafficSelector.AddressRange(proto, start, end, a, b));
        }
        return out;
    }
}
