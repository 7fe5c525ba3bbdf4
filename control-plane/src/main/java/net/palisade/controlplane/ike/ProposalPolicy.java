package net.palisade.controlplane.ike;

import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import net.palisade.model.ChildSaSpec;
import net.palisade.model.IkeSaSpec;
import net.palisade.model.crypto.AuthAlgorithm;
import net.palisade.model.crypto.DhGroup;
import net.palisade.model.crypto.EncryptionAlgorithm;
import net.palisade.model.wire.Octets;
import net.palisade.model.wire.ikev2.Proposal;
import net.palisade.model.wire.ikev2.ProtocolId;
import net.palisade.model.wire.ikev2.Transform;
import net.palisade.model.wire.ikev2.TransformAlgorithm;
import net.palisade.model.wire.ikev2.TransformType;

/**
 * Proposal negotiation (RFC 7296 sections 2.7 and 3.3): building our offers from the config, choosing as responder
 * (the first of the initiator's proposals we accept; within it, the initiator's first acceptable transform of each
 * type), and checking a responder's choice against what we offered.
 */
final class ProposalPolicy {

    private ProposalPolicy() {
    }

    /** The IKE proposals: one for the AEAD encryptions, one for the others, in config order. */
    static List<Proposal> ikeOffer(IkeSaSpec spec) {
        List<Proposal> out = new ArrayList<>();
        for (boolean aead : new boolean[] {true, false}) {
            List<EncryptionAlgorithm> encs = spec.enc().stream().filter(e -> e.aead() == aead).toList();
            if (encs.isEmpty()) {
                continue;
            }
            List<Transform> t = new ArrayList<>();
            encs.forEach(e -> t.add(Transform.encryption(e)));
            prfs(spec).forEach(p -> t.add(Transform.prf(p)));
            if (!aead) {
                spec.auth().forEach(a -> t.add(Transform.integrity(a)));
            }
            spec.groups().forEach(g -> t.add(Transform.keyExchange(g)));
            out.add(new Proposal(out.size() + 1, ProtocolId.Known.IKE, Octets.empty(), t));
        }
        return out;
    }

    /** The ESP proposals for IKE_AUTH (no KE transforms: the first Child SA's keys come from the IKE SA). */
    static List<Proposal> espOffer(ChildSaSpec spec, long spi) {
        return espOffer(spec, spi, false);
    }

    /** The ESP proposals, with the PFS groups as KE transforms when {@code withKe} (CREATE_CHILD_SA). */
    static List<Proposal> espOffer(ChildSaSpec spec, long spi, boolean withKe) {
        List<Proposal> out = new ArrayList<>();
        for (boolean aead : new boolean[] {true, false}) {
            List<EncryptionAlgorithm> encs = spec.enc().stream().filter(e -> e.aead() == aead).toList();
            if (encs.isEmpty()) {
                continue;
            }
            List<Transform> t = new ArrayList<>();
            encs.forEach(e -> t.add(Transform.encryption(e)));
            if (!aead) {
                spec.auth().forEach(a -> t.add(Transform.integrity(a)));
            }
            if (withKe) {
                spec.groups().stream().filter(g -> g != DhGroup.NONE).forEach(g -> t.add(Transform.keyExchange(g)));
            }
            // ESN first: a fast SA must not run out of 2^32 sequence numbers before its lifetime rekey; no-ESN
            // second, for peers without ESN support
            t.add(Transform.esn(true));
            t.add(Transform.esn(false));
            out.add(new Proposal(out.size() + 1, ProtocolId.Known.ESP, Octets.ofUnsigned(spi, 4), t));
        }
        return out;
    }

    private static List<AuthAlgorithm> prfs(IkeSaSpec spec) {
        if (!spec.prf().isEmpty()) {
            return spec.prf();
        }
        return spec.auth().isEmpty() ? List.of(AuthAlgorithm.HMAC_SHA2_256) : spec.auth();
    }

    /**
     * The responder's choice among {@code offered} IKE proposals.
     *
     * @param selected   the proposal to send back (one transform per type, the initiator's number)
     * @param suite      the algorithms, with the group to use
     * @param groups     every group of the selected proposal we accept, in the initiator's order
     */
    record IkeChoice(Proposal selected, IkeSuite suite, List<DhGroup> groups) {}

    /** The first offered IKE proposal we accept, if any. */
    static Optional<IkeChoice> chooseIke(List<Proposal> offered, IkeSaSpec ours) {
        return chooseIke(offered, ours, 0);
    }

    /**
     * The first IKE proposal of an IKE SA rekey (CREATE_CHILD_SA, each proposal carrying the initiator's new 8-octet
     * SPI) we accept; {@code selected()} keeps the offered SPI: the caller puts its own in the answer.
     */
    static Optional<IkeChoice> chooseIkeRekey(List<Proposal> offered, IkeSaSpec ours) {
        return chooseIke(offered, ours, 8).map(c -> {
            Proposal p = offered.stream().filter(x -> x.number() == c.selected().number()).findFirst().orElseThrow();
            return new IkeChoice(c.selected().withSpi(p.spi()), c.suite(), c.groups());
        });
    }

    /** The suite of the answer to our IKE SA rekey, if it is one we offered, with the group we sent. */
    static Optional<IkeSuite> checkIkeRekeyAnswer(Proposal answer, IkeSaSpec ours, DhGroup sentGroup) {
        if (answer.protocol() != ProtocolId.Known.IKE || answer.spi().length() != 8 || !singleOfEachType(answer)) {
            return Optional.empty();
        }
        Optional<IkeChoice> c = chooseIke(List.of(answer), ours, 8);
        if (c.isEmpty() || !c.get().groups().contains(sentGroup)) {
            return Optional.empty();
        }
        IkeSuite s = c.get().suite();
        return Optional.of(new IkeSuite(s.encryption(), s.integrity(), s.prf(), sentGroup));
    }

    private static Optional<IkeChoice> chooseIke(List<Proposal> offered, IkeSaSpec ours, int spiLength) {
        for (Proposal p : offered) {
            if (p.protocol() != ProtocolId.Known.IKE || p.spi().length() != spiLength || !onlyKnownTypes(p, false)) {
                continue;
            }
            Optional<EncryptionAlgorithm> enc = firstEnc(p, ours.enc());
            Optional<AuthAlgorithm> prf = p.transforms(TransformType.Known.PRF).stream()
                    .map(Transform::algorithm).filter(a -> a instanceof TransformAlgorithm.Prf)
                    .map(a -> ((TransformAlgorithm.Prf) a).algorithm()).filter(prfs(ours)::contains).findFirst();
            List<DhGroup> groups = p.transforms(TransformType.Known.KE).stream().map(Transform::algorithm)
                    .filter(a -> a instanceof TransformAlgorithm.KeyExchange)
                    .map(a -> ((TransformAlgorithm.KeyExchange) a).group())
                    .filter(g -> g != DhGroup.NONE && ours.groups().contains(g)).toList();
            if (enc.isEmpty() || prf.isEmpty() || groups.isEmpty()) {
                continue;
            }
            Optional<Optional<AuthAlgorithm>> integ = chooseIntegrity(p, enc.get(), ours.auth());
            if (integ.isEmpty()) {
                continue;
            }
            IkeSuite suite = new IkeSuite(enc.get(), integ.get(), prf.get(), groups.getFirst());
            return Optional.of(new IkeChoice(ikeResponse(p.number(), suite), suite, groups));
        }
        return Optional.empty();
    }

    /** The IKE proposal a responder sends for {@code suite}. */
    static Proposal ikeResponse(int number, IkeSuite suite) {
        List<Transform> t = new ArrayList<>();
        t.add(Transform.encryption(suite.encryption()));
        t.add(Transform.prf(suite.prf()));
        suite.integrity().ifPresent(a -> t.add(Transform.integrity(a)));
        t.add(Transform.keyExchange(suite.group()));
        return new Proposal(number, ProtocolId.Known.IKE, Octets.empty(), t);
    }

    /**
     * The responder's choice among offered ESP proposals.
     *
     * @param selected the proposal to send back, carrying {@code ourSpi}
     * @param suite    the algorithms
     * @param peerSpi  the SPI the initiator put in its proposal (our outbound SPI)
     */
    record EspChoice(Proposal selected, ChildSuite suite, long peerSpi) {}

    /** The first offered ESP proposal we accept, answered with {@code ourSpi}. */
    static Optional<EspChoice> chooseEsp(List<Proposal> offered, ChildSaSpec ours, long ourSpi) {
        for (Proposal p : offered) {
            if (p.protocol() != ProtocolId.Known.ESP || p.spi().length() != 4 || !onlyKnownTypes(p, true)) {
                continue;
            }
            Optional<EncryptionAlgorithm> enc = firstEnc(p, ours.enc());
            if (enc.isEmpty()) {
                continue;
            }
            Optional<Optional<AuthAlgorithm>> integ = chooseIntegrity(p, enc.get(), ours.auth());
            Optional<Boolean> esn = chooseEsn(p);
            if (integ.isEmpty() || esn.isEmpty()) {
                continue;
            }
            List<Transform> t = new ArrayList<>();
            t.add(Transform.encryption(enc.get()));
            integ.get().ifPresent(a -> t.add(Transform.integrity(a)));
            t.add(Transform.esn(esn.get()));
            return Optional.of(new EspChoice(new Proposal(p.number(), ProtocolId.Known.ESP,
                    Octets.ofUnsigned(ourSpi, 4), t), new ChildSuite(enc.get(), integ.get(), esn.get()),
                    p.spiValue()));
        }
        return Optional.empty();
    }

    /**
     * ESN when the proposal offers it (we send both ways, and 64-bit numbers keep a fast SA from running out before
     * its lifetime rekey), else 32-bit numbers when offered or when the proposal has no ESN transform at all (RFC 7296
     * requires one for ESP, but its absence can only mean 32-bit); empty when it offers neither (an unknown ID only).
     */
    private static Optional<Boolean> chooseEsn(Proposal p) {
        List<Transform> esn = p.transforms(TransformType.Known.ESN);
        if (esn.stream().anyMatch(t -> t.id() == 1)) {
            return Optional.of(true);
        }
        return esn.isEmpty() || esn.stream().anyMatch(t -> t.id() == 0) ? Optional.of(false) : Optional.empty();
    }

    /** The suite of a responder's IKE proposal, if it is one we offered (one transform of each type). */
    static Optional<IkeSuite> checkIkeAnswer(List<Proposal> answer, IkeSaSpec ours, DhGroup sentGroup) {
        if (answer.size() != 1 || answer.getFirst().protocol() != ProtocolId.Known.IKE) {
            return Optional.empty();
        }
        Proposal p = answer.getFirst();
        Optional<IkeChoice> c = chooseIke(List.of(p), ours);
        if (c.isEmpty() || !c.get().groups().contains(sentGroup) || !singleOfEachType(p)) {
            return Optional.empty();
        }
        IkeSuite s = c.get().suite();
        return Optional.of(new IkeSuite(s.encryption(), s.integrity(), s.prf(), sentGroup));
    }

    /** The suite and the responder's SPI of a responder's ESP proposal, if it is one we offered. */
    static Optional<EspChoice> checkEspAnswer(List<Proposal> answer, ChildSaSpec ours, long ourSpi) {
        if (answer.size() != 1 || !singleOfEachType(answer.getFirst())) {
            return Optional.empty();
        }
        return chooseEsp(answer, ours, ourSpi);
    }

    private static boolean singleOfEachType(Proposal p) {
        Set<Integer> seen = new LinkedHashSet<>();
        return p.transforms().stream().allMatch(t -> seen.add(t.type().value()));
    }

    private static boolean onlyKnownTypes(Proposal p, boolean esp) {
        for (Transform t : p.transforms()) {
            if (!(t.type() instanceof TransformType.Known k)) {
                return false;
            }
            boolean ok = esp ? k == TransformType.Known.ENCR || k == TransformType.Known.INTEG
                    || k == TransformType.Known.ESN || k == TransformType.Known.KE
                    : k == TransformType.Known.ENCR || k == TransformType.Known.INTEG
                    || k == TransformType.Known.PRF || k == TransformType.Known.KE;
            if (!ok) {
                return false;
            }
        }
        return true;
    }

    private static Optional<EncryptionAlgorithm> firstEnc(Proposal p, List<EncryptionAlgorithm> ours) {
        return p.transforms(TransformType.Known.ENCR).stream().map(Transform::algorithm)
                .filter(a -> a instanceof TransformAlgorithm.Encryption)
                .map(a -> ((TransformAlgorithm.Encryption) a).algorithm()).filter(ours::contains).findFirst();
    }

    /** Empty if no acceptable integrity; a present empty for AEAD (which takes none, or NONE). */
    private static Optional<Optional<AuthAlgorithm>> chooseIntegrity(Proposal p, EncryptionAlgorithm enc,
            List<AuthAlgorithm> ours) {
        List<TransformAlgorithm> integs = p.transforms(TransformType.Known.INTEG).stream()
                .map(Transform::algorithm).toList();
        if (enc.aead()) {
            boolean ok = integs.isEmpty() || integs.stream().anyMatch(a -> a instanceof TransformAlgorithm.NoIntegrity);
            return ok ? Optional.of(Optional.empty()) : Optional.empty();
        }
        return integs.stream().filter(a -> a instanceof TransformAlgorithm.Integrity)
                .map(a -> ((TransformAlgorithm.Integrity) a).algorithm()).filter(ours::contains).findFirst()
                .map(Optional::of);
    }
}
