package net.palisade.controlplane.ike;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Duration;
import java.util.List;
import java.util.Optional;
import net.palisade.model.ChildSaSpec;
import net.palisade.model.IkeSaSpec;
import net.palisade.model.IpFamily;
import net.palisade.model.Network;
import net.palisade.model.crypto.AuthAlgorithm;
import net.palisade.model.crypto.DhGroup;
import net.palisade.model.crypto.EncryptionAlgorithm;
import net.palisade.model.wire.Octets;
import net.palisade.model.wire.ikev2.Proposal;
import net.palisade.model.wire.ikev2.ProtocolId;
import net.palisade.model.wire.ikev2.TrafficSelector;
import net.palisade.model.wire.ikev2.Transform;
import net.palisade.model.wire.ikev2.TransformType;
import org.junit.jupiter.api.Test;

/** Proposal choice and traffic selector narrowing on their own. */
class PolicyTest {
    private static final IkeSaSpec OURS = new IkeSaSpec(List.of(EncryptionAlgorithm.AES_128_GCM,
            EncryptionAlgorithm.AES_256), List.of(AuthAlgorithm.HMAC_SHA2_256), List.of(AuthAlgorithm.HMAC_SHA2_256),
            List.of(DhGroup.CURVE25519, DhGroup.ECP256), Duration.ofHours(1));

    @Test
    void ourOfferSplitsAeadAndClassicSuites() {
        List<Proposal> offer = ProposalPolicy.ikeOffer(OURS);
        assertThat(offer).hasSize(2);
        assertThat(offer.get(0).transforms(TransformType.Known.INTEG)).isEmpty();
        assertThat(offer.get(1).transforms(TransformType.Known.INTEG)).hasSize(1);
        assertThat(offer.get(1).number()).isEqualTo(2);
        assertThat(offer.get(0).transforms(TransformType.Known.KE)).hasSize(2);
    }

    @Test
    void responderTakesTheInitiatorsFirstAcceptableProposalAndTransform() {
        Proposal unknownCipher = Proposal.ike(1, Transform.of(TransformType.Known.ENCR, 13),
                Transform.prf(AuthAlgorithm.HMAC_SHA2_256), Transform.keyExchange(DhGroup.CURVE25519));
        Proposal cbc = Proposal.ike(2, Transform.encryption(EncryptionAlgorithm.AES_128),
                Transform.encryption(EncryptionAlgorithm.AES_256), Transform.integrity(AuthAlgorithm.HMAC_SHA2_512),
                Transform.integrity(AuthAlgorithm.HMAC_SHA2_256), Transform.prf(AuthAlgorithm.HMAC_SHA2_256),
                Transform.keyExchange(DhGroup.MODP2048), Transform.keyExchange(DhGroup.ECP256),
                Transform.keyExchange(DhGroup.CURVE25519));
        ProposalPolicy.IkeChoice c = ProposalPolicy.chooseIke(List.of(unknownCipher, cbc), OURS).orElseThrow();
        assertThat(c.selected().number()).isEqualTo(2);
        assertThat(c.suite().encryption()).isEqualTo(EncryptionAlgorithm.AES_256);
        assertThat(c.suite().integrity()).contains(AuthAlgorithm.HMAC_SHA2_256);
        assertThat(c.groups()).containsExactly(DhGroup.ECP256, DhGroup.CURVE25519);
        assertThat(c.selected().transforms()).hasSize(4);
    }

    @Test
    void aProposalWithAnUnknownTransformTypeIsSkipped() {
        Proposal odd = new Proposal(1, ProtocolId.Known.IKE, Octets.empty(), List.of(
                Transform.encryption(EncryptionAlgorithm.AES_128_GCM), Transform.prf(AuthAlgorithm.HMAC_SHA2_256),
                Transform.keyExchange(DhGroup.CURVE25519), Transform.of(TransformType.of(200), 1)));
        assertThat(ProposalPolicy.chooseIke(List.of(odd), OURS)).isEmpty();
    }

    @Test
    void anAnswerWeDidNotOfferIsRefused() {
        Proposal answer = ProposalPolicy.ikeResponse(1, new IkeSuite(EncryptionAlgorithm.AES_128_GCM,
                Optional.empty(), AuthAlgorithm.HMAC_SHA2_512, DhGroup.CURVE25519));
        assertThat(ProposalPolicy.checkIkeAnswer(List.of(answer), OURS, DhGroup.CURVE25519)).isEmpty();
        Proposal ok = ProposalPolicy.ikeResponse(1, new IkeSuite(EncryptionAlgorithm.AES_128_GCM, Optional.empty(),
                AuthAlgorithm.HMAC_SHA2_256, DhGroup.CURVE25519));
        assertThat(ProposalPolicy.checkIkeAnswer(List.of(ok), OURS, DhGroup.CURVE25519)).isPresent();
        assertThat(ProposalPolicy.checkIkeAnswer(List.of(ok), OURS, DhGroup.ECP256)).isEmpty();
    }

    private static final ChildSaSpec GCM_CHILD = new ChildSaSpec(List.of(EncryptionAlgorithm.AES_128_GCM), List.of(),
            List.of(DhGroup.NONE), Duration.ofHours(1));

    private static Proposal gcmEsp(int number, long spi, Transform... esn) {
        List<Transform> t = new java.util.ArrayList<>(List.of(Transform.encryption(EncryptionAlgorithm.AES_128_GCM)));
        t.addAll(List.of(esn));
        return Proposal.esp(number, spi, t.toArray(Transform[]::new));
    }

    @Test
    void ourEspOfferHasEsnFirstThenNoEsn() {
        // RFC 7296 3.3.2: transform type 5, ID 1 = ESN, ID 0 = no ESN; both, so a peer without ESN still agrees
        for (Proposal p : ProposalPolicy.espOffer(GCM_CHILD, 0x1234, false)) {
            assertThat(p.transforms(TransformType.Known.ESN)).extracting(Transform::id).containsExactly(1, 0);
        }
    }

    @Test
    void responderTakesEsnWhenOfferedAndNoEsnOtherwise() {
        ProposalPolicy.EspChoice both = ProposalPolicy.chooseEsp(List.of(gcmEsp(1, 0x5678, Transform.esn(false),
                Transform.esn(true))), GCM_CHILD, 0x9999).orElseThrow();
        assertThat(both.suite().esn()).isTrue();
        assertThat(both.selected().transforms(TransformType.Known.ESN)).extracting(Transform::id).containsExactly(1);
        assertThat(both.peerSpi()).isEqualTo(0x5678);
        assertThat(both.selected().spiValue()).isEqualTo(0x9999);

        ProposalPolicy.EspChoice esnOnly = ProposalPolicy.chooseEsp(List.of(gcmEsp(1, 1, Transform.esn(true))),
                GCM_CHILD, 2).orElseThrow();
        assertThat(esnOnly.suite().esn()).isTrue();

        // strongSwan's default esp_proposals: no ESN only
        ProposalPolicy.EspChoice noEsn = ProposalPolicy.chooseEsp(List.of(gcmEsp(1, 1, Transform.esn(false))),
                GCM_CHILD, 2).orElseThrow();
        assertThat(noEsn.suite().esn()).isFalse();
        assertThat(noEsn.selected().transforms(TransformType.Known.ESN)).extracting(Transform::id).containsExactly(0);

        // no ESN transform at all (a sloppy peer) can only mean 32-bit numbers
        assertThat(ProposalPolicy.chooseEsp(List.of(gcmEsp(1, 1)), GCM_CHILD, 2).orElseThrow().suite().esn())
                .isFalse();
        // an ESN ID we do not know is neither: that proposal is skipped, the next one taken
        ProposalPolicy.EspChoice skipped = ProposalPolicy.chooseEsp(List.of(gcmEsp(1, 1,
                Transform.of(TransformType.Known.ESN, 7)), gcmEsp(2, 3, Transform.esn(false))), GCM_CHILD, 2)
                .orElseThrow();
        assertThat(skipped.selected().number()).isEqualTo(2);
    }

    @Test
    void theResponderChoiceOfEsnDecidesTheInitiatorsSa() {
        assertThat(ProposalPolicy.checkEspAnswer(List.of(gcmEsp(1, 0x77, Transform.esn(true))), GCM_CHILD, 0x88)
                .orElseThrow().suite().esn()).isTrue();
        assertThat(ProposalPolicy.checkEspAnswer(List.of(gcmEsp(1, 0x77, Transform.esn(false))), GCM_CHILD, 0x88)
                .orElseThrow().suite().esn()).isFalse();
        // one transform of each type in an answer: both ESN values is not a choice
        assertThat(ProposalPolicy.checkEspAnswer(List.of(gcmEsp(1, 0x77, Transform.esn(true), Transform.esn(false))),
                GCM_CHILD, 0x88)).isEmpty();
    }

    @Test
    void narrowingIntersectsAddressesAndRefusesProtocolsAndPortsTheDataplaneCannotEnforce() {
        TrafficSelector.AddressRange wide = TrafficSelector.AddressRange.cidr(IkeLoop.ip("10.0.0.0"), 8);
        TrafficSelector.AddressRange web = TrafficSelector.AddressRange.cidr(IkeLoop.ip("10.1.2.0"), 24)
                .withProtocol(6).withPorts(443, 443);
        List<TrafficSelector> ours = SelectorPolicy.of(List.of(Network.parse("10.1.0.0/16")), IpFamily.IPV4);
        assertThat(SelectorPolicy.narrow(List.of(wide), ours))
                .containsExactly(TrafficSelector.AddressRange.cidr(IkeLoop.ip("10.1.0.0"), 16));
        // an SA for 10.1.2.0/24 tcp/443 would be installed as all of 10.1.2.0/24: refused instead, and said why
        assertThat(SelectorPolicy.narrow(List.of(web), ours)).isEmpty();
        assertThat(SelectorPolicy.narrow(List.of(web, wide), ours))
                .containsExactly(TrafficSelector.AddressRange.cidr(IkeLoop.ip("10.1.0.0"), 16));
        assertThat(SelectorPolicy.unanswerable(List.of(web), List.of(wide), List.of(), List.of(wide), "IKE_AUTH"))
                .hasValueSatisfying(why -> assertThat(why).contains("protocol 6, port 443"));
        assertThat(SelectorPolicy.narrow(List.of(TrafficSelector.AddressRange.cidr(IkeLoop.ip("192.168.0.0"), 16)),
                ours)).isEmpty();
        assertThat(SelectorPolicy.within(List.of(web), ours)).as("a responder narrowing to a port").isFalse();
        assertThat(SelectorPolicy.within(List.of(TrafficSelector.AddressRange.cidr(IkeLoop.ip("10.1.2.0"), 24)),
                ours)).isTrue();
        assertThat(SelectorPolicy.within(List.of(wide), ours)).isFalse();
        assertThat(SelectorPolicy.of(List.of(Network.any()), IpFamily.IPV4))
                .containsExactly(TrafficSelector.AddressRange.any(IpFamily.IPV4));
    }
}
