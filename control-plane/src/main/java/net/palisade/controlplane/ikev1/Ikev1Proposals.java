package net.palisade.controlplane.ikev1;

import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.OptionalInt;
import java.util.OptionalLong;
import net.palisade.model.ChildSaSpec;
import net.palisade.model.IkeSaSpec;
import net.palisade.model.crypto.AuthAlgorithm;
import net.palisade.model.crypto.DhGroup;
import net.palisade.model.crypto.EncryptionAlgorithm;
import net.palisade.model.wire.DataAttribute;
import net.palisade.model.wire.Octets;
import net.palisade.model.wire.ikev1.Ikev1Payload;
import net.palisade.model.wire.ikev1.Ikev1Proposal;
import net.palisade.model.wire.ikev1.Ikev1ProtocolId;
import net.palisade.model.wire.ikev1.Ikev1Transform;

/**
 * SA payloads of phase 1 (RFC 2409 Appendix A attributes) and quick mode (RFC 2407 section 4.5) built from a
 * tunnel's {@code main}/{@code aggressive} and {@code quick} settings, and the choice among a peer's transforms. In
 * IKEv1 every transform is a complete suite; the responder answers with the one it chose, attributes unchanged.
 */
final class Ikev1Proposals {
    /** KEY_IKE, the only phase-1 transform ID (RFC 2409 section 5). */
    static final int KEY_IKE = 1;
    /** Authentication methods: pre-shared key, RSA signatures (RFC 2409 Appendix A). */
    static final int AUTH_PSK = 1;
    static final int AUTH_RSA_SIG = 3;
    /** Life type: seconds; 2 is kilobytes (both phases). */
    static final int LIFE_SECONDS = 1;
    static final int LIFE_KILOBYTES = 2;
    /** Encapsulation modes: tunnel, UDP-encapsulated tunnel of RFC 3947, and of the drafts. */
    static final int ENCAP_TUNNEL = 1;
    static final int ENCAP_UDP_TUNNEL = 3;
    static final int ENCAP_UDP_TUNNEL_DRAFT = 61443;

    /**
     * The quick mode suite chosen.
     *
     * @param encryption   ESP encryption
     * @param integrity    ESP integrity; empty for AES-GCM
     * @param group        the PFS group, NONE without PFS
     * @param lifetime     seconds
     * @param kilobytes    the kilobyte lifetime the peer proposed, if any (reported, not enforced here)
     * @param encapsulation encapsulation mode
     */
    record QuickSuite(EncryptionAlgorithm encryption, Optional<AuthAlgorithm> integrity, DhGroup group, long lifetime,
            OptionalLong kilobytes, int encapsulation) {}

    /**
     * A transform chosen from a peer's SA, with the suite it means.
     *
     * @param transform the transform, as the peer sent it
     * @param suite     its meaning
     */
    record Chosen<S>(Ikev1Transform transform, S suite) {}

    private Ikev1Proposals() {
    }

    // ------------------------------------------------------------------------------------------------ phase 1

    /**
     * Our phase-1 SA: one proposal, one transform per combination of enc, hash and group, in preference order; only
     * transforms of {@code onlyGroup} when given (aggressive mode sends its KE with message 1, so it can offer one
     * group only).
     */
    static Ikev1Payload.Sa phase1(IkeSaSpec spec, Optional<DhGroup> onlyGroup, int authMethod) {
        List<Ikev1Transform> transforms = new ArrayList<>();
        long life = spec.lifetime().toSeconds();
        for (EncryptionAlgorithm e : spec.enc()) {
            if (!e.ikev1Phase1()) {
                continue;
            }
            for (AuthAlgorithm h : spec.auth()) {
                for (DhGroup g : spec.groups()) {
                    if (g.ikev1Id().isEmpty() || transforms.size() == 255
                            || onlyGroup.isPresent() && onlyGroup.get() != g) {
                        continue;
                    }
                    List<DataAttribute> a = new ArrayList<>();
                    a.add(DataAttribute.tv(Ikev1Transform.P1_ENCRYPTION_ALGORITHM, e.ikev1Phase1Id().getAsInt()));
                    e.keyLengthAttribute().ifPresent(k -> a.add(DataAttribute.tv(Ikev1Transform.P1_KEY_LENGTH, k)));
                    a.add(DataAttribute.tv(Ikev1Transform.P1_HASH_ALGORITHM, h.ikev1HashId()));
                    a.add(DataAttribute.tv(Ikev1Transform.P1_AUTHENTICATION_METHOD, authMethod));
                    a.add(DataAttribute.tv(Ikev1Transform.P1_GROUP_DESCRIPTION, g.ikev1Id().getAsInt()));
                    a.add(DataAttribute.tv(Ikev1Transform.P1_LIFE_TYPE, LIFE_SECONDS));
                    a.add(duration(Ikev1Transform.P1_LIFE_DURATION, life));
                    transforms.add(new Ikev1Transform(transforms.size() + 1, KEY_IKE, a));
                }
            }
        }
        if (transforms.isEmpty()) {
            throw new IllegalArgumentException("no IKEv1 phase-1 transform in " + spec);
        }
        return new Ikev1Payload.Sa(Ikev1Payload.IPSEC_DOI, Ikev1Payload.SIT_IDENTITY_ONLY,
                List.of(new Ikev1Proposal(1, Ikev1ProtocolId.Known.ISAKMP, Octets.empty(), transforms)));
    }

    /** The first of the peer's phase-1 transforms (in its order) that our settings allow. */
    static Optional<Chosen<IsakmpSa.Suite>> choosePhase1(Ikev1Payload.Sa sa, IkeSaSpec ours, int authMethod) {
        for (Ikev1Proposal p : sa.proposals()) {
            if (p.protocol() != Ikev1ProtocolId.Known.ISAKMP) {
                continue;
            }
            for (Ikev1Transform t : p.transforms()) {
                Optional<IsakmpSa.Suite> s = phase1Suite(t, ours, authMethod);
                if (s.isPresent()) {
                    return Optional.of(new Chosen<>(t, s.get()));
                }
            }
        }
        return Optional.empty();
    }

    /** What {@code t} means, if our settings allow it. */
    static Optional<IsakmpSa.Suite> phase1Suite(Ikev1Transform t, IkeSaSpec ours, int authMethod) {
        if (t.transformId() != KEY_IKE || t.attribute(Ikev1Transform.P1_AUTHENTICATION_METHOD).orElse(-1)
                != authMethod) {
            return Optional.empty();
        }
        long encId = t.attribute(Ikev1Transform.P1_ENCRYPTION_ALGORITHM).orElse(-1);
        OptionalLong keyLength = t.attribute(Ikev1Transform.P1_KEY_LENGTH);
        Optional<EncryptionAlgorithm> enc = ours.enc().stream().filter(e -> e.ikev1Phase1Id().orElse(-2) == encId
                && keyLengthFits(e, keyLength)).findFirst();
        long hashId = t.attribute(Ikev1Transform.P1_HASH_ALGORITHM).orElse(-1);
        Optional<AuthAlgorithm> hash = ours.auth().stream().filter(h -> h.ikev1HashId() == hashId).findFirst();
        long groupId = t.attribute(Ikev1Transform.P1_GROUP_DESCRIPTION).orElse(-1);
        Optional<DhGroup> group = ours.groups().stream().filter(g -> g.ikev1Id().orElse(-2) == groupId).findFirst();
        if (enc.isEmpty() || hash.isEmpty() || group.isEmpty()) {
            return Optional.empty();
        }
        long life = lifeSeconds(t, Ikev1Transform.P1_LIFE_TYPE, Ikev1Transform.P1_LIFE_DURATION)
                .orElse(ours.lifetime().toSeconds());
        return Optional.of(new IsakmpSa.Suite(enc.get(), hash.get(), group.get(), life));
    }

    // ------------------------------------------------------------------------------------------------ quick mode

    /** Our quick mode SA: ESP, our inbound SPI, one transform per enc and integrity, each with {@code group}. */
    static Ikev1Payload.Sa quick(ChildSaSpec spec, long spi, DhGroup group, int encapsulation) {
        List<Ikev1Transform> transforms = new ArrayList<>();
        for (EncryptionAlgorithm e : spec.enc()) {
            if (!e.ikev1Esp()) {
                continue;
            }
            List<Optional<AuthAlgorithm>> integ = e.aead() ? List.of(Optional.empty())
                    : spec.auth().stream().map(Optional::of).toList();
            for (Optional<AuthAlgorithm> i : integ) {
                List<DataAttribute> a = new ArrayList<>();
                a.add(DataAttribute.tv(Ikev1Transform.P2_LIFE_TYPE, LIFE_SECONDS));
                a.add(duration(Ikev1Transform.P2_LIFE_DURATION, spec.lifetime().toSeconds()));
                if (group != DhGroup.NONE) {
                    a.add(DataAttribute.tv(Ikev1Transform.P2_GROUP_DESCRIPTION, group.ikev1Id().getAsInt()));
                }
                a.add(DataAttribute.tv(Ikev1Transform.P2_ENCAPSULATION_MODE, encapsulation));
                i.ifPresent(x -> a.add(DataAttribute.tv(Ikev1Transform.P2_AUTHENTICATION_ALGORITHM,
                        x.ikev1EspAuthId())));
                e.keyLengthAttribute().ifPresent(k -> a.add(DataAttribute.tv(Ikev1Transform.P2_KEY_LENGTH, k)));
                transforms.add(new Ikev1Transform(transforms.size() + 1, e.ikev1EspId().getAsInt(), a));
            }
        }
        if (transforms.isEmpty()) {
            throw new IllegalArgumentException("no IKEv1 quick mode transform in " + spec);
        }
        return new Ikev1Payload.Sa(Ikev1Payload.IPSEC_DOI, Ikev1Payload.SIT_IDENTITY_ONLY, List.of(new Ikev1Proposal(
                1, Ikev1ProtocolId.Known.IPSEC_ESP, Octets.ofUnsigned(spi, 4), transforms)));
    }

    /**
     * The first of the peer's ESP transforms that our settings allow; PFS as {@code pfsRequired} says (a transform
     * without a group is refused only when PFS is required).
     */
    static Optional<Chosen<QuickSuite>> chooseQuick(Ikev1Proposal p, ChildSaSpec ours) {
        if (p.protocol() != Ikev1ProtocolId.Known.IPSEC_ESP || p.spi().length() != 4) {
            return Optional.empty();
        }
        for (Ikev1Transform t : p.transforms()) {
            Optional<QuickSuite> s = quickSuite(t, ours);
            if (s.isPresent()) {
                return Optional.of(new Chosen<>(t, s.get()));
            }
        }
        return Optional.empty();
    }

    /** What ESP transform {@code t} means, if our settings allow it. */
    static Optional<QuickSuite> quickSuite(Ikev1Transform t, ChildSaSpec ours) {
        OptionalLong keyLength = t.attribute(Ikev1Transform.P2_KEY_LENGTH);
        Optional<EncryptionAlgorithm> enc = ours.enc().stream().filter(e -> e.ikev1EspId().orElse(-2)
                == t.transformId() && keyLengthFits(e, keyLength)).findFirst();
        if (enc.isEmpty()) {
            return Optional.empty();
        }
        OptionalLong authId = t.attribute(Ikev1Transform.P2_AUTHENTICATION_ALGORITHM);
        Optional<AuthAlgorithm> integ = Optional.empty();
        if (enc.get().aead()) {
            if (authId.isPresent()) {
                return Optional.empty();
            }
        } else {
            integ = ours.auth().stream().filter(a -> authId.isPresent() && a.ikev1EspAuthId() == authId.getAsLong())
                    .findFirst();
            if (integ.isEmpty()) {
                return Optional.empty();
            }
        }
        OptionalLong groupId = t.attribute(Ikev1Transform.P2_GROUP_DESCRIPTION);
        DhGroup group = DhGroup.NONE;
        if (groupId.isPresent()) {
            Optional<DhGroup> g = ours.groups().stream().filter(x -> x.ikev1Id().orElse(-2) == groupId.getAsLong())
                    .findFirst();
            if (g.isEmpty()) {
                return Optional.empty();
            }
            group = g.get();
        } else if (ours.pfsRequired()) {
            return Optional.empty();
        }
        long encap = t.attribute(Ikev1Transform.P2_ENCAPSULATION_MODE).orElse(ENCAP_TUNNEL);
        if (encap != ENCAP_TUNNEL && encap != ENCAP_UDP_TUNNEL && encap != ENCAP_UDP_TUNNEL_DRAFT) {
            return Optional.empty();
        }
        long life = lifeSeconds(t, Ikev1Transform.P2_LIFE_TYPE, Ikev1Transform.P2_LIFE_DURATION)
                .orElse(ours.lifetime().toSeconds());
        OptionalLong kb = lifeOf(t, Ikev1Transform.P2_LIFE_TYPE, Ikev1Transform.P2_LIFE_DURATION, LIFE_KILOBYTES);
        return Optional.of(new QuickSuite(enc.get(), integ, group, life, kb, (int) encap));
    }

    /** The Life Type/Life Duration pair of RESPONDER-LIFETIME (RFC 2407 section 4.6.3.1): seconds. */
    static byte[] responderLifetime(long seconds) {
        DataAttribute type = DataAttribute.tv(Ikev1Transform.P2_LIFE_TYPE, LIFE_SECONDS);
        DataAttribute duration = duration(Ikev1Transform.P2_LIFE_DURATION, seconds);
        byte[] a = attribute(type);
        byte[] b = attribute(duration);
        return Ikev1Keymat.concat(a, b);
    }

    /** The seconds a RESPONDER-LIFETIME's attributes name, if any. */
    static OptionalLong responderLifetimeSeconds(byte[] data) {
        // attributes: TV (type | 0x8000, value) or TLV (type, length, value)
        int pos = 0;
        int lifeType = -1;
        while (pos + 4 <= data.length) {
            int type = ((data[pos] & 0xff) << 8) | (data[pos + 1] & 0xff);
            int v = ((data[pos + 2] & 0xff) << 8) | (data[pos + 3] & 0xff);
            long value;
            int next;
            if ((type & 0x8000) != 0) {
                value = v;
                next = pos + 4;
            } else {
                if (pos + 4 + v > data.length || v > 8) {
                    return OptionalLong.empty();
                }
                value = 0;
                for (int i = 0; i < v; i++) {
                    value = (value << 8) | (data[pos + 4 + i] & 0xff);
                }
                next = pos + 4 + v;
            }
            int t = type & 0x7fff;
            if (t == Ikev1Transform.P2_LIFE_TYPE) {
                lifeType = (int) value;
            } else if (t == Ikev1Transform.P2_LIFE_DURATION && lifeType == LIFE_SECONDS) {
                return OptionalLong.of(value);
            }
            pos = next;
        }
        return OptionalLong.empty();
    }

    private static byte[] attribute(DataAttribute a) {
        return switch (a) {
            case DataAttribute.Tv tv -> new byte[] {(byte) (0x80 | (tv.type() >>> 8)), (byte) tv.type(),
                    (byte) (tv.value() >>> 8), (byte) tv.value()};
            case DataAttribute.Tlv tlv -> Ikev1Keymat.concat(new byte[] {(byte) (tlv.type() >>> 8), (byte) tlv.type(),
                    (byte) (tlv.value().length() >>> 8), (byte) tlv.value().length()}, tlv.value().toByteArray());
        };
    }

    private static boolean keyLengthFits(EncryptionAlgorithm e, OptionalLong bits) {
        OptionalInt want = e.keyLengthAttribute();
        return want.isEmpty() ? bits.isEmpty() : bits.isPresent() && bits.getAsLong() == want.getAsInt();
    }

    private static OptionalLong lifeSeconds(Ikev1Transform t, int typeAttr, int durationAttr) {
        return lifeOf(t, typeAttr, durationAttr, LIFE_SECONDS);
    }

    /** The duration that follows a Life Type of {@code wanted} (type/duration pairs may repeat, RFC 2407 4.5). */
    private static OptionalLong lifeOf(Ikev1Transform t, int typeAttr, int durationAttr, int wanted) {
        long type = -1;
        for (DataAttribute a : t.attributes()) {
            long v = switch (a) {
                case DataAttribute.Tv tv -> tv.value();
                case DataAttribute.Tlv tlv -> tlv.value().length() <= 8 ? tlv.value().toUnsignedLong() : -1;
            };
            if (a.type() == typeAttr) {
                type = v;
            } else if (a.type() == durationAttr && type == wanted && v > 0) {
                return OptionalLong.of(v);
            }
        }
        return OptionalLong.empty();
    }

    private static DataAttribute duration(int type, long seconds) {
        if (seconds <= 0xffff) {
            return DataAttribute.tv(type, (int) seconds);
        }
        return DataAttribute.tlv(type, Octets.ofUnsigned(seconds, 4));
    }
}
