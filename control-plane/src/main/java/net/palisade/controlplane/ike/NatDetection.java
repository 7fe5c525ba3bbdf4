package net.palisade.controlplane.ike;

import java.net.InetSocketAddress;
import java.nio.ByteBuffer;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import net.palisade.model.wire.Octets;
import net.palisade.model.wire.ikev2.NotifyPayload;
import net.palisade.model.wire.ikev2.NotifyType;

/**
 * NAT detection (RFC 7296 section 2.23): SHA-1(SPIi | SPIr | IP address | port) in NAT_DETECTION_SOURCE_IP and
 * NAT_DETECTION_DESTINATION_IP notifies. In the IKE_SA_INIT request SPIr is zero.
 */
final class NatDetection {

    private NatDetection() {
    }

    /** The hash for {@code address}. */
    static Octets hash(long spiI, long spiR, InetSocketAddress address) {
        try {
            MessageDigest sha1 = net.palisade.controlplane.ike.crypto.Jca.digest("SHA-1");
            sha1.update(ByteBuffer.allocate(16).putLong(spiI).putLong(spiR).array());
            sha1.update(address.getAddress().getAddress());
            sha1.update((byte) (address.getPort() >>> 8));
            sha1.update((byte) address.getPort());
            return Octets.of(sha1.digest());
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("SHA-1 is not available", e);
        }
    }

    /** The two notifies a sender from {@code local} to {@code remote} includes. */
    static NotifyPayload[] notifies(long spiI, long spiR, InetSocketAddress local, InetSocketAddress remote) {
        return new NotifyPayload[] {
            NotifyPayload.of(NotifyType.Known.NAT_DETECTION_SOURCE_IP, hash(spiI, spiR, local)),
            NotifyPayload.of(NotifyType.Known.NAT_DETECTION_DESTINATION_IP, hash(spiI, spiR, remote))
        };
    }
}
