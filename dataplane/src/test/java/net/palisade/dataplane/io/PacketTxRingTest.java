package net.palisade.dataplane.io;

import static java.lang.foreign.ValueLayout.JAVA_BYTE;
import static java.lang.foreign.ValueLayout.JAVA_INT;
import static java.lang.foreign.ValueLayout.JAVA_SHORT;
import static org.assertj.core.api.Assertions.assertThat;

import java.io.ByteArrayOutputStream;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.TimeUnit;

import net.palisade.dataplane.testkit.Root;
import net.palisade.dataplane.testkit.TestPrograms;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * Plain ESP frames written into an AF_PACKET TX ring: what leaves the interface (read back from a TAP device in a
 * namespace of the test's own) is what Wireshark's tshark decodes as Ethernet + IPv4 (good header checksum, DF, TTL
 * 64) + ESP with our SPI and sequence number, and the next hop's MAC comes from the namespace's neighbour table.
 */
@ExtendWith(Root.class)
class PacketTxRingTest {
    private static final byte[] PEER_MAC = HexFormat.ofDelimiter(":").parseHex("02:00:5e:10:20:30");
    private static final int SRC = 0xc6120001; // 198.18.0.1
    private static final int DST = 0xc6120002; // 198.18.0.2
    private static final int ELSEWHERE = 0xc6130002; // 198.19.0.2, no route

    private static byte[] esp(int spi, int seq, int length) {
        byte[] p = new byte[length];
        ByteBuffer.wrap(p).putInt(spi).putInt(seq);
        for (int i = 8; i < length; i++) {
            p[i] = (byte) (i * 7);
        }
        return p;
    }

    @Test
    void framesLeaveTheInterfaceAsTsharkDecodesThem() throws Exception {
        framesLeaveTheInterfaceAsTsharkDecodesThem(true);
    }

    @Test
    void framesSentBySendmmsgOnThePacketSocketAlso() throws Exception {
        framesLeaveTheInterfaceAsTsharkDecodesThem(false);
    }

    private void framesLeaveTheInterfaceAsTsharkDecodesThem(boolean useRing) throws Exception {
        TestPrograms.require("tshark");
        List<byte[]> frames = new ArrayList<>();
        byte[][] sent = {esp(0x2002, 1, 100), esp(0x2002, 2, 1400), esp(0x7fff0001, 0x80000000, 1480)};
        byte[] ourMac;
        try (NetnsThread ns = new NetnsThread("tx-ring-test")) {
            int tapFd = ns.call(() -> tap("tap0"));
            try {
                assertThat(ns.exec("ip", "link", "set", "tap0", "up").exitCode()).isZero();
                assertThat(ns.exec("ip", "addr", "add", "198.18.0.1/24", "dev", "tap0").exitCode()).isZero();
                assertThat(ns.exec("ip", "neigh", "replace", "198.18.0.2", "lladdr", "02:00:5e:10:20:30", "dev",
                        "tap0", "nud", "permanent").exitCode()).isZero();
                Optional<Ipv4Routes.NextHop> hop = ns.call(() -> Ipv4Routes.lookup(DST));
                assertThat(hop).isPresent();
                assertThat(hop.get().device()).isEqualTo("tap0");
                assertThat(hop.get().mac()).isEqualTo(PEER_MAC);
                assertThat(ns.call(() -> Ipv4Routes.lookup(ELSEWHERE))).isEmpty();
                assertThat(ns.call(() -> Ipv4Routes.lookup(0xc6120003))).isEmpty(); // on-link, no neighbour entry

                try (Arena arena = Arena.ofShared()) {
                    ourMac = ns.call(() -> {
                        try (PacketTxRing ring = PacketTxRing.open("tap0", 64, arena, useRing)) {
                            for (byte[] p : sent) {
                                assertThat(ring.queue(hop.get().mac(), SRC, DST, p, 0, p.length)).isTrue();
                            }
                            assertThat(ring.pending()).isEqualTo(3);
                            ring.flush();
                            return ring.mac();
                        }
                    });
                    byte[] mac = linkMac(ns);
                    assertThat(ourMac).isEqualTo(mac);
                    ns.run(() -> {
                        MemorySegment buf = arena.allocate(4096);
                        while (frames.size() < 3) {
                            int n = frame(tapFd, buf);
                            byte[] f = buf.asSlice(0, n).toArray(JAVA_BYTE);
                            if (f.length >= 14 && f[12] == 0x08 && f[13] == 0x00 && f[14 + 9] == 50) {
                                frames.add(f); // the kernel may also send IPv6 router solicitations on the TAP
                            }
                        }
                    });
                }
            } finally {
                Libc.closeQuietly(tapFd);
            }
        }
        for (int i = 0; i < 3; i++) {
            byte[] f = frames.get(i);
            assertThat(f.length).isEqualTo(14 + 20 + sent[i].length);
            assertThat(java.util.Arrays.copyOfRange(f, 34, f.length)).isEqualTo(sent[i]);
        }
        Path pcap = Files.createTempFile("palisade-txring", ".pcap");
        Files.write(pcap, pcapEthernet(frames));
        Process p = new ProcessBuilder("tshark", "-r", pcap.toString(), "-o", "ip.check_checksum:TRUE", "-T",
                "fields", "-E", "separator=|", "-e", "eth.dst", "-e", "eth.src", "-e", "eth.type", "-e", "ip.src",
                "-e", "ip.dst", "-e", "ip.proto", "-e", "ip.ttl", "-e", "ip.flags.df", "-e", "ip.len", "-e",
                "ip.checksum.status", "-e", "esp.spi", "-e", "esp.sequence", "-e", "_ws.malformed")
                .redirectErrorStream(true).start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertThat(p.waitFor(60, TimeUnit.SECONDS)).isTrue();
        String src = HexFormat.ofDelimiter(":").formatHex(ourMac);
        // ip.checksum.status 1 is Wireshark's "Good" (0 bad, 2 unverified); _ws.malformed empty: nothing malformed
        assertThat(out.lines().filter(l -> l.contains("|")).toList()).as(out).containsExactly(
                "02:00:5e:10:20:30|" + src + "|0x0800|198.18.0.1|198.18.0.2|50|64|1|120|1|0x00002002|1|",
                "02:00:5e:10:20:30|" + src + "|0x0800|198.18.0.1|198.18.0.2|50|64|1|1420|1|0x00002002|2|",
                "02:00:5e:10:20:30|" + src + "|0x0800|198.18.0.1|198.18.0.2|50|64|1|1500|1|0x7fff0001|2147483648|");
        Files.delete(pcap);
    }

    @Test
    void aPacketLargerThanTheLinkMtuIsRefused() throws Exception {
        try (NetnsThread ns = new NetnsThread("tx-ring-mtu")) {
            int tapFd = ns.call(() -> tap("tap1"));
            try (Arena arena = Arena.ofShared()) {
                ns.run(() -> {
                    try (PacketTxRing ring = PacketTxRing.open("tap1", 8, arena)) {
                        assertThat(ring.mtu()).isEqualTo(1500);
                        byte[] big = esp(1, 1, 1481);
                        assertThat(ring.queue(PEER_MAC, SRC, DST, big, 0, big.length)).isFalse();
                        assertThat(ring.queue(PEER_MAC, SRC, DST, big, 0, 1480)).isTrue();
                    }
                });
            } finally {
                Libc.closeQuietly(tapFd);
            }
        }
    }

    @Test
    void aNonEthernetInterfaceIsRefused() throws Exception {
        try (NetnsThread ns = new NetnsThread("tx-ring-lo"); Arena arena = Arena.ofShared()) {
            ns.run(() -> {
                try {
                    PacketTxRing.open("lo", 8, arena).close();
                    throw new AssertionError("a TX ring on lo opened");
                } catch (java.io.IOException e) {
                    assertThat(e.getMessage()).contains("not an Ethernet interface");
                }
            });
        }
    }

    /**
     * A frame delivered to a local raw socket (a veth pair in one namespace, the receiver not reading yet) and then
     * the ring wrapped around: does the queued packet still hold what was sent, or the frame written later into the
     * same slot? The kernel frees the ring slot with the original skb, while the raw socket holds a clone.
     */
    @Test
    void aPacketQueuedOnALocalRawSocketKeepsItsBytesWhenTheRingWraps() throws Exception {
        try (NetnsThread ns = new NetnsThread("tx-ring-wrap"); Arena arena = Arena.ofShared()) {
            assertThat(ns.exec("ip", "link", "add", "v0", "type", "veth", "peer", "name", "v1").exitCode()).isZero();
            assertThat(ns.exec("ip", "link", "set", "v0", "up").exitCode()).isZero();
            assertThat(ns.exec("ip", "link", "set", "v1", "up").exitCode()).isZero();
            assertThat(ns.exec("ip", "addr", "add", "198.18.0.2/24", "dev", "v1").exitCode()).isZero();
            String line = ns.exec("ip", "-o", "link", "show", "v1").output();
            int at = line.indexOf("link/ether ");
            byte[] v1Mac = HexFormat.ofDelimiter(":").parseHex(line.substring(at + 11, at + 28));
            List<byte[]> got = ns.call(() -> {
                List<byte[]> r = new ArrayList<>();
                try (RawEspSocket receiver = RawEspSocket.open(java.net.InetAddress.ofLiteral("198.18.0.2"));
                     PacketTxRing ring = PacketTxRing.open("v0", 8, arena)) {
                    receiver.setBufferSizes(4 << 20, 0);
                    for (int i = 0; i < 40; i++) {
                        byte[] p = esp(0x1000 + i, i + 1, 1000);
                        java.util.Arrays.fill(p, 8, p.length, (byte) i);
                        assertThat(ring.queue(v1Mac, SRC, 0xc6120002, p, 0, p.length)).as("slot %d", i).isTrue();
                        ring.flush();
                    }
                    MemorySegment buf = arena.allocate(2048);
                    SockAddr from = SockAddr.allocate(arena);
                    for (int i = 0; i < 40; i++) {
                        int n = receiver.receive(buf, from, 2000);
                        r.add(buf.asSlice(0, n).toArray(JAVA_BYTE));
                    }
                }
                return r;
            });
            for (int i = 0; i < 40; i++) {
                byte[] p = esp(0x1000 + i, i + 1, 1000);
                java.util.Arrays.fill(p, 8, p.length, (byte) i);
                assertThat(got.get(i)).as("packet %d as received", i).isEqualTo(p);
            }
        }
    }

    private static byte[] linkMac(NetnsThread ns) throws Exception {
        String line = ns.exec("ip", "-o", "link", "show", "tap0").output();
        int at = line.indexOf("link/ether ");
        return HexFormat.ofDelimiter(":").parseHex(line.substring(at + 11, at + 28));
    }

    private static int tap(String name) throws Exception {
        try {
            return openTap(name);
        } catch (Exception | Error e) {
            throw e;
        } catch (Throwable t) {
            throw new AssertionError(t);
        }
    }

    private static int frame(int fd, MemorySegment buf) throws Exception {
        try {
            return readFrame(fd, buf);
        } catch (Exception | Error e) {
            throw e;
        } catch (Throwable t) {
            throw new AssertionError(t);
        }
    }

    /** A TAP device (IFF_TAP | IFF_NO_PI), non-blocking, in the calling thread's namespace. */
    private static int openTap(String name) throws Throwable {
        try (Arena a = Arena.ofConfined()) {
            MemorySegment state = Libc.newCallState(a);
            int fd = (int) Libc.OPEN.invokeExact(state, a.allocateFrom("/dev/net/tun"),
                    Libc.O_RDWR | Libc.O_NONBLOCK | Libc.O_CLOEXEC, 0);
            assertThat(fd).isGreaterThanOrEqualTo(0);
            MemorySegment ifr = a.allocate(40, 8);
            ifr.setString(0, name);
            ifr.set(JAVA_SHORT, 16, (short) (0x0002 | 0x1000));
            int rc = (int) Libc.IOCTL.invokeExact(state, fd, 0x400454caL, ifr); // TUNSETIFF
            assertThat(rc).as("TUNSETIFF IFF_TAP").isZero();
            return fd;
        }
    }

    /** One frame from the TAP, waiting up to 5 s. */
    private static int readFrame(int fd, MemorySegment buf) throws Throwable {
        try (Arena a = Arena.ofConfined()) {
            MemorySegment state = Libc.newCallState(a);
            MemorySegment pfd = a.allocate(8);
            pfd.set(JAVA_INT, 0, fd);
            pfd.set(JAVA_SHORT, 4, (short) 1);
            int ready = (int) Libc.POLL.invokeExact(state, pfd, 1L, 5000);
            assertThat(ready).as("a frame on the TAP within 5 s").isEqualTo(1);
            long n = (long) Libc.READ.invokeExact(state, fd, buf, buf.byteSize());
            assertThat(n).isPositive();
            return (int) n;
        }
    }

    /** A classic pcap file, LINKTYPE_ETHERNET (1). */
    private static byte[] pcapEthernet(List<byte[]> frames) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        ByteBuffer h = ByteBuffer.allocate(24).order(ByteOrder.LITTLE_ENDIAN);
        h.putInt(0xa1b2c3d4).putShort((short) 2).putShort((short) 4).putInt(0).putInt(0).putInt(65535).putInt(1);
        out.writeBytes(h.array());
        for (byte[] f : frames) {
            ByteBuffer r = ByteBuffer.allocate(16).order(ByteOrder.LITTLE_ENDIAN);
            r.putInt(0).putInt(0).putInt(f.length).putInt(f.length);
            out.writeBytes(r.array());
            out.writeBytes(f);
        }
        return out.toByteArray();
    }
}
