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
 */
@JsonPropertyOrder({"enc", "auth", "groups", "lifetime"})
public record ChildSaSpec(List<EncryptionAlgorithm> enc, List<AuthAlgorithm> auth, List<DhGroup> groups,
        @JsonSerialize(using = ModelJson.DurationSerializer.class) Duration lifetime) {

    public ChildSaSpec {
        enc = List.copyOf(enc);
        auth = List.copyOf(auth);
        groups = List.copyOf(groups);
        Objects.requireNonNull(lifetime, "lifetime");
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
