package net.palisade.controlplane.ikev1;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Duration;
import java.util.List;
import java.util.Optional;
import net.palisade.model.ChildSaSpec;
import net.palisade.model.IkeSaSpec;
import net.palisade.model.crypto.AuthAlgorithm;
import net.palisade.model.crypto.DhGroup;
import net.palisade.model.crypto.EncryptionAlgorithm;
import net.palisade.model.wire.DataAttribute;
import net.palisade.model.wire.Octets;
import net.palisade.model.wire.ikev1.Ikev1IdType;
import net.palisade.model.wire.ikev1.Ikev1Payload;
import net.palisade.model.wire.ikev1.Ikev1Proposal;
import net.palisade.model.wire.ikev1.Ikev1ProtocolId;
import net.palisade.model.wire.ikev1.Ikev1Transform;
import org.junit.jupiter.api.Test;

/** Choosing among a peer's transforms, lifetimes on the wire, and quick mode IDs. */
class Ikev1ProposalsTest {
    private static final ChildSaSpec GCM_PFS = new ChildSaSpec(List.of(EncryptionAlgorithm.AES_256_GCM), List.of(),
            List.of(DhGroup.ECP256), Duration.ofHours(1), true);

    /** An ESP transform as a peer writes it: RFC 2407 section 4.5 attribute numbers, written out here. */
    private static Ikev1Transform esp(int transformId, int keyBits, Integer auth, Integer group, long life) {
        List<DataAttribute> a = new java.util.ArrayList<>();
        a.add(DataAttribute.tv(1, 1));
        a.add(life > 0xffff ? DataAttribute.tlv(2, Octets.ofUnsigned(life, 4)) : DataAttribute.tv(2, (int) life));
        if (group != null) {
            a.add(DataAttribute.tv(3, group));
        }
        a.add(DataAttribute.tv(4, 1));
        if (auth != null) {
            a.add(DataAttribute.tv(5, auth));
        }
        a.add(DataAttribute.tv(6, keyBits));
        return new Ikev1Transform(1, transformId, a);
    }

    private static Ikev1Proposal proposal(Ikev1Transform... t) {
        return new Ikev1Proposal(1, Ikev1ProtocolId.Known.IPSEC_ESP, Octets.ofUnsigned(0x12345678L, 4), List.of(t));
    }

    @Test
    void pfsRequiredRefusesATransformWithoutAGroup() {
        // ESP_AES_GCM_16 is 20 (RFC 4106 section 8.1), group 19 is ecp256 (RFC 5903)
        assertThat(Ikev1Proposals.chooseQuick(proposal(esp(20, 256, null, null, 3600)), GCM_PFS)).isEmpty();
        var chosen = Ikev1Proposals.chooseQuick(proposal(esp(20, 256, null, 19, 3600)), GCM_PFS).orElseThrow();
        assertThat(chosen.suite().group()).isEqualTo(DhGroup.ECP256);
        assertThat(chosen.suite().integrity()).isEmpty();
    }

    @Test
    void gcmWithAnAuthenticationAlgorithmIsRefused() {
        assertThat(Ikev1Proposals.chooseQuick(proposal(esp(20, 256, 5, 19, 3600)), GCM_PFS)).isEmpty();
    }

    @Test
    void theFirstAllowedOfThePeersTransformsIsTakenWithItsLifetimeAndKilobytes() {
        ChildSaSpec cbc = new ChildSaSpec(List.of(EncryptionAlgorithm.AES_128), List.of(AuthAlgorithm.HMAC_SHA2_256),
                List.of(DhGroup.NONE), Duration.ofHours(1));
        Ikev1Transform withKb = new Ikev1Transform(2, 12, List.of(DataAttribute.tv(1, 1), DataAttribute.tlv(2,
                Octets.ofUnsigned(86_400, 4)), DataAttribute.tv(1, 2), DataAttribute.tv(2, 4608),
                DataAttribute.tv(4, 1), DataAttribute.tv(5, 5), DataAttribute.tv(6, 128)));
        var chosen = Ikev1Proposals.chooseQuick(proposal(esp(12, 256, 5, null, 3600), withKb), cbc).orElseThrow();
        assertThat(chosen.transform().number()).isEqualTo(2);
        assertThat(chosen.suite().lifetime()).isEqualTo(86_400);
        assertThat(chosen.suite().kilobytes()).hasValue(4608);
        assertThat(chosen.suite().integrity()).contains(AuthAlgorithm.HMAC_SHA2_256);
    }

    @Test
    void aLongPhase1LifetimeGoesOutAsAVariableLengthAttribute() {
        IkeSaSpec spec = new IkeSaSpec(List.of(EncryptionAlgorithm.AES_256), List.of(AuthAlgorithm.HMAC_SHA2_256),
                List.of(), List.of(DhGroup.MODP2048), Duration.ofDays(1));
        Ikev1Transform t = Ikev1Proposals.phase1(spec, Optional.empty(), Ikev1Proposals.AUTH_PSK).proposals().getFirst().transforms()
                .getFirst();
        assertThat(t.attributes()).contains(DataAttribute.tlv(12, Octets.fromHex("00015180")));
        assertThat(Ikev1Proposals.phase1Suite(t, spec, Ikev1Proposals.AUTH_PSK).orElseThrow().lifetime()).isEqualTo(86_400);
    }

    @Test
    void responderLifetimeReadsWhatItWrites() {
        assertThat(Ikev1Proposals.responderLifetimeSeconds(Ikev1Proposals.responderLifetime(1200))).hasValue(1200);
        assertThat(Ikev1Proposals.responderLifetimeSeconds(Ikev1Proposals.responderLifetime(100_000)))
                .hasValue(100_000);
        // life type kilobytes (2) then 4608: no seconds
        assertThat(Ikev1Proposals.responderLifetimeSeconds(new byte[] {(byte) 0x80, 1, 0, 2, (byte) 0x80, 2, 0x12,
                0})).isEmpty();
    }

    @Test
    void quickModeIdsAreSubnetsWithContiguousMasks() {
        Ikev1Payload.Id subnet = new Ikev1Payload.Id(Ikev1IdType.Known.ID_IPV4_ADDR_SUBNET, 0, 0,
                Octets.fromHex("0a010000ffff0000"));
        Flow f = Flow.of(subnet).orElseThrow();
        assertThat(f.prefix()).isEqualTo(16);
        assertThat(f.id()).isEqualTo(subnet);
        assertThat(Flow.of(new Ikev1Payload.Id(Ikev1IdType.Known.ID_IPV4_ADDR_SUBNET, 0, 0,
                Octets.fromHex("0a010000ff00ff00")))).isEmpty();
        assertThat(Flow.of(new Ikev1Payload.Id(Ikev1IdType.Known.ID_IPV4_ADDR_SUBNET, 0, 0,
                Octets.fromHex("0a010001ffff0000")))).isEmpty();
        assertThat(Flow.of(new Ikev1Payload.Id(Ikev1IdType.Known.ID_IPV4_ADDR_SUBNET, 6, 0,
                Octets.fromHex("0a010000ffff0000")))).isEmpty();
        Flow host = Flow.of(new Ikev1Payload.Id(Ikev1IdType.Known.ID_IPV4_ADDR, 0, 0, Octets.fromHex("0a010203")))
                .orElseThrow();
        assertThat(f.covers(host)).isTrue();
        assertThat(host.covers(f)).isFalse();
    }
}
