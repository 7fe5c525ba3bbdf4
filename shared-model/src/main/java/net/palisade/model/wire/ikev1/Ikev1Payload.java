package net.palisade.model.wire.ikev1;

import java.net.InetAddress;
import java.util.List;
import java.util.Objects;
import java.util.Optional;
import net.palisade.model.IpAddresses;
import net.palisade.model.wire.DataAttribute;
import net.palisade.model.wire.Octets;

/**
 * One IKEv1 payload (RFC 2408 section 3, RFC 2407, RFC 3947): one record per payload type. The generic header (next
 * payload, reserved, length) is derived by the encoder. Proposals and transforms are substructures of {@link Sa}.
 */
public sealed interface Ikev1Payload {

    /** IPsec DOI (RFC 2407). */
    long IPSEC_DOI = 1;
    /** SIT_IDENTITY_ONLY (RFC 2407 section 4.2). */
    long SIT_IDENTITY_ONLY = 1;

    /** The payload type. */
    Ikev1PayloadType type();

    /**
     * Security Association (RFC 2408 section 3.4, RFC 2407 section 4.6.1): IPsec DOI, SIT_IDENTITY_ONLY.
     *
     * @param doi       domain of interpretation, 1
     * @param situation the situation bitmap, 1
     * @param proposals at least one
     */
    record Sa(long doi, long situation, List<Ikev1Proposal> proposals) implements Ikev1Payload {
        /** Copies the list; refuses an empty one. */
        public Sa {
            proposals = List.copyOf(proposals);
            if (proposals.isEmpty()) {
                throw new IllegalArgumentException("an SA holds at least one proposal");
            }
        }

        @Override
        public Ikev1PayloadType type() {
            return Ikev1PayloadType.Known.SA;
        }
    }

    /**
     * Key Exchange (RFC 2408 section 3.7): the DH public value.
     *
     * @param data the public value
     */
    record Ke(Octets data) implements Ikev1Payload {
        @Override
        public Ikev1PayloadType type() {
            return Ikev1PayloadType.Known.KE;
        }
    }

    /**
     * Identification (RFC 2407 section 4.6.2): type, IP protocol, port, data.
     *
     * @param idType   identification type
     * @param protocol IP protocol, 0 for any
     * @param port     port, 0 for any
     * @param data     identification data
     */
    record Id(Ikev1IdType idType, int protocol, int port, Octets data) implements Ikev1Payload {
        /** Validates the ranges. */
        public Id {
            Objects.requireNonNull(idType, "idType");
            if (protocol < 0 || protocol > 255 || port < 0 || port > 0xffff) {
                throw new IllegalArgumentException("protocol or port out of range");
            }
        }

        @Override
        public Ikev1PayloadType type() {
            return Ikev1PayloadType.Known.ID;
        }

        /** The address of an ID_IPV4_ADDR or ID_IPV6_ADDR, or the first address of a subnet or range. */
        public Optional<InetAddress> address() {
            if (!(idType instanceof Ikev1IdType.Known k)) {
                return Optional.empty();
            }
            int n = switch (k) {
                case ID_IPV4_ADDR, ID_IPV4_ADDR_SUBNET, ID_IPV4_ADDR_RANGE -> 4;
                case ID_IPV6_ADDR, ID_IPV6_ADDR_SUBNET, ID_IPV6_ADDR_RANGE -> 16;
                default -> 0;
            };
            return n > 0 && data.length() >= n ? Optional.of(IpAddresses.byAddress(data.slice(0, n).toByteArray()))
                    : Optional.empty();
        }

        /** The mask of an ID_IPV4_ADDR_SUBNET or ID_IPV6_ADDR_SUBNET, or the last address of a range. */
        public Optional<InetAddress> second() {
            int n = data.length() / 2;
            boolean pair = idType == Ikev1IdType.Known.ID_IPV4_ADDR_SUBNET
                    || idType == Ikev1IdType.Known.ID_IPV4_ADDR_RANGE || idType == Ikev1IdType.Known.ID_IPV6_ADDR_SUBNET
                    || idType == Ikev1IdType.Known.ID_IPV6_ADDR_RANGE;
            return pair && (n == 4 || n == 16) && data.length() == 2 * n
                    ? Optional.of(IpAddresses.byAddress(data.slice(n, 2 * n).toByteArray())) : Optional.empty();
        }
    }

    /**
     * Certificate (RFC 2408 section 3.9).
     *
     * @param encoding certificate encoding (4 = X.509 signature)
     * @param data     certificate data
     */
    record Cert(int encoding, Octets data) implements Ikev1Payload {
        @Override
        public Ikev1PayloadType type() {
            return Ikev1PayloadType.Known.CERT;
        }
    }

    /**
     * Certificate Request (RFC 2408 section 3.10).
     *
     * @param encoding  certificate type
     * @param authority certificate authority (DER DN for X.509), may be empty
     */
    record CertRequest(int encoding, Octets authority) implements Ikev1Payload {
        @Override
        public Ikev1PayloadType type() {
            return Ikev1PayloadType.Known.CR;
        }
    }

    /**
     * Hash (RFC 2408 section 3.11).
     *
     * @param data the hash
     */
    record Hash(Octets data) implements Ikev1Payload {
        @Override
        public Ikev1PayloadType type() {
            return Ikev1PayloadType.Known.HASH;
        }
    }

    /**
     * Signature (RFC 2408 section 3.12).
     *
     * @param data the signature
     */
    record Signature(Octets data) implements Ikev1Payload {
        @Override
        public Ikev1PayloadType type() {
            return Ikev1PayloadType.Known.SIG;
        }
    }

    /**
     * Nonce (RFC 2408 section 3.13): 8 to 256 octets (RFC 2409 section 5).
     *
     * @param data the nonce
     */
    record Nonce(Octets data) implements Ikev1Payload {
        @Override
        public Ikev1PayloadType type() {
            return Ikev1PayloadType.Known.NONCE;
        }
    }

    /**
     * Notification (RFC 2408 section 3.14).
     *
     * @param doi        domain of interpretation
     * @param protocol   protocol of the SA concerned
     * @param spi        SPI (for ISAKMP, often the two cookies), may be empty
     * @param notifyType notify message type
     * @param data       notification data
     */
    record Notify(long doi, Ikev1ProtocolId protocol, Octets spi, Ikev1NotifyType notifyType, Octets data)
            implements Ikev1Payload {
        /** Validates the ranges. */
        public Notify {
            if (doi < 0 || doi > 0xffff_ffffL || spi.length() > 255) {
                throw new IllegalArgumentException("DOI or SPI size out of range");
            }
            Objects.requireNonNull(protocol, "protocol");
            Objects.requireNonNull(notifyType, "notifyType");
        }

        @Override
        public Ikev1PayloadType type() {
            return Ikev1PayloadType.Known.N;
        }
    }

    /**
     * Delete (RFC 2408 section 3.15): ISAKMP SAs by their 16-octet cookie pair, AH/ESP SAs by 4-octet SPI.
     *
     * @param doi      domain of interpretation
     * @param protocol protocol of the SAs
     * @param spiSize  octets per SPI
     * @param spis     the SPIs
     */
    record Delete(long doi, Ikev1ProtocolId protocol, int spiSize, List<Octets> spis) implements Ikev1Payload {
        /** Validates sizes and copies the list. */
        public Delete {
            Objects.requireNonNull(protocol, "protocol");
            spis = List.copyOf(spis);
            if (doi < 0 || doi > 0xffff_ffffL || spiSize < 0 || spiSize > 255 || spis.size() > 0xffff
                    || spis.stream().anyMatch(s -> s.length() != spiSize)) {
                throw new IllegalArgumentException("DOI, SPI size or SPIs out of range");
            }
        }

        @Override
        public Ikev1PayloadType type() {
            return Ikev1PayloadType.Known.D;
        }
    }

    /**
     * Vendor ID (RFC 2408 section 3.16).
     *
     * @param id the vendor ID
     */
    record VendorId(Octets id) implements Ikev1Payload {
        @Override
        public Ikev1PayloadType type() {
            return Ikev1PayloadType.Known.VID;
        }
    }

    /**
     * NAT Discovery (RFC 3947 section 3.2): a hash of addresses and ports.
     *
     * @param draft true for payload type 130 of the drafts, false for 20
     * @param hash  the hash
     */
    record NatD(boolean draft, Octets hash) implements Ikev1Payload {
        @Override
        public Ikev1PayloadType type() {
            return draft ? Ikev1PayloadType.Known.NAT_D_DRAFT : Ikev1PayloadType.Known.NAT_D;
        }
    }

    /**
     * NAT Original Address (RFC 3947 section 5.1).
     *
     * @param draft   true for payload type 131 of the drafts, false for 21
     * @param idType  ID_IPV4_ADDR or ID_IPV6_ADDR
     * @param address 4 or 16 octets
     */
    record NatOa(boolean draft, Ikev1IdType idType, Octets address) implements Ikev1Payload {
        @Override
        public Ikev1PayloadType type() {
            return draft ? Ikev1PayloadType.Known.NAT_OA_DRAFT : Ikev1PayloadType.Known.NAT_OA;
        }
    }

    /**
     * Attributes (Mode Config, draft-dukes-ike-mode-cfg): type, identifier and data attributes.
     *
     * @param cfgType    request, reply, set or ack
     * @param identifier transaction identifier
     * @param attributes attributes in wire order
     */
    record Attributes(int cfgType, int identifier, List<DataAttribute> attributes) implements Ikev1Payload {
        /** Validates the ranges and copies the list. */
        public Attributes {
            if (cfgType < 0 || cfgType > 255 || identifier < 0 || identifier > 0xffff) {
                throw new IllegalArgumentException("type or identifier out of range");
            }
            attributes = List.copyOf(attributes);
        }

        @Override
        public Ikev1PayloadType type() {
            return Ikev1PayloadType.Known.ATTR;
        }
    }

    /**
     * A payload type this codec does not model (e.g. the IKEv1 fragment payload 132): kept as received.
     *
     * @param payloadType the type
     * @param body        the octets after the generic header
     */
    record Unsupported(Ikev1PayloadType payloadType, Octets body) implements Ikev1Payload {
        @Override
        public Ikev1PayloadType type() {
            return payloadType;
        }
    }
}
