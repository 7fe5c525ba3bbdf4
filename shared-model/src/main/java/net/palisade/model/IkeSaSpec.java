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
 * Phase 1: the IKE SA (IKEv2) or ISAKMP SA (IKEv1) transforms, each list in preference order, defaults resolved.
 *
 * @param enc encryption algorithms
 * @param auth integrity (IKEv2) or hash (IKEv1) algorithms; empty when every enc is AEAD
 * @param prf IKEv2 pseudo-random functions; empty for IKEv1 (its PRF is the HMAC of the hash)
 * @param groups Diffie-Hellman groups
 * @param lifetime SA lifetime before rekeying
 */
@JsonPropertyOrder({"enc", "auth", "prf", "groups", "lifetime"})
public record IkeSaSpec(List<EncryptionAlgorithm> enc, List<AuthAlgorithm> auth, List<AuthAlgorithm> prf,
        List<DhGroup> groups, @JsonSerialize(using = ModelJson.DurationSerializer.class) Duration lifetime) {

    public IkeSaSpec {
        enc = List.copyOf(enc);
        auth = List.copyOf(auth);
        prf = List.copyOf(prf);
        groups = List.copyOf(groups);
        Objects.requireNonNull(lifetime, "lifetime");
    }

    /**
     * Every combination in preference order: enc outermost, then integrity (none for AEAD), prf, group. An IKEv2
     * engine may merge them into one proposal per AEAD/non-AEAD class; an IKEv1 engine sends each as a transform.
     */
    public List<Proposal> proposals() {
        List<Proposal> out = new ArrayList<>();
        for (EncryptionAlgorithm e : enc) {
            List<Optional<AuthAlgorithm>> integ = e.aead() || auth.isEmpty()
                    ? List.of(Optional.empty()) : auth.stream().map(Optional::of).toList();
            List<Optional<AuthAlgorithm>> prfs = prf.isEmpty()
                    ? List.of(Optional.empty()) : prf.stream().map(Optional::of).toList();
            for (Optional<AuthAlgorithm> i : integ) {
                for (Optional<AuthAlgorithm> p : prfs) {
                    for (DhGroup g : groups) {
                        out.add(new Proposal(e, i, p, g));
                    }
                }
            }
        }
        return out;
    }
}
