package net.palisade.model;

import com.fasterxml.jackson.annotation.JsonPropertyOrder;
import com.fasterxml.jackson.databind.annotation.JsonSerialize;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.Optional;
import net.palisade.model.crypto.AuthAlgorithm;
import net.palisade.model.crypto.DhGroup;
import net.palisade.model.crypto.EncryptionAlgorithm;

/**
 * Phase 2: the Child SA (IKEv2) or quick mode (IKEv1) ESP transforms, each list in preference order, defaults
 * resolved.
 *
 * @param enc ESP encryption algorithms
 * @param auth ESP integrity algorithms for the non-AEAD encs; empty when every enc is AEAD
 * @param groups PFS groups; {@code [none]} when PFS is off
 * @param lifetime SA lifetime before rekeying
 * @param pfsRequired the groups were written in the config ({@code childsa group X}): a peer's Child SA rekey or
 *     creation without a key exchange is refused. False when the groups are the IKE groups by default: PFS is then
 *     proposed, and a peer without PFS (strongSwan's default {@code esp_proposals}) is accepted. Absent (false) in
 *     JSON written before the field existed.
 */
@JsonPropertyOrder({"enc", "auth", "groups", "lifetime", "pfsRequired"})
public record ChildSaSpec(List<EncryptionAlgorithm> enc, List<AuthAlgorithm> auth, List<DhGroup> groups,
        @JsonSerialize(using = ModelJson.DurationSerializer.class) Duration lifetime, boolean pfsRequired) {

    public ChildSaSpec {
        enc = List.copyOf(enc);
        auth = List.copyOf(auth);
        groups = List.copyOf(groups);
        Objects.requireNonNull(lifetime, "lifetime");
        if (pfsRequired && groups.contains(DhGroup.NONE)) {
            throw new IllegalArgumentException("PFS cannot be required with the groups [none]");
        }
    }

    /** PFS proposed with {@code groups} but not required of the peer (the groups are the defaults). */
    public ChildSaSpec(List<EncryptionAlgorithm> enc, List<AuthAlgorithm> auth, List<DhGroup> groups,
            Duration lifetime) {
        this(enc, auth, groups, lifetime, false);
    }

    /** True unless the groups are {@code [none]}. */
    public boolean pfs() {
        return !groups.contains(DhGroup.NONE);
    }

    /** Every combination in preference order: enc outermost, then integrity (none for AEAD), then group. */
    public List<Proposal> proposals() {
        List<Proposal> out = new ArrayList<>();
        for (EncryptionAlgorithm e : enc) {
            List<Optional<AuthAlgorithm>> integ = e.aead() || auth.isEmpty()
                    ? List.of(Optional.empty()) : auth.stream().map(Optional::of).toList();
            for (Optional<AuthAlgorithm> i : integ) {
                for (DhGroup g : groups) {
                    out.add(new Proposal(e, i, Optional.empty(), g));
                }
            }
        }
        return out;
    }
}
