package net.palisade.model;

import java.util.Optional;
import net.palisade.model.crypto.AuthAlgorithm;
import net.palisade.model.crypto.DhGroup;
import net.palisade.model.crypto.EncryptionAlgorithm;

/**
 * One combination of transforms, in preference order, as produced by {@link IkeSaSpec#proposals()} and
 * {@link ChildSaSpec#proposals()}. {@code integrity} is empty for AEAD encryption; {@code prf} is empty for
 * Child SAs and IKEv1; {@code group} is {@link DhGroup#NONE} for a Child SA without PFS.
 */
public record Proposal(EncryptionAlgorithm enc, Optional<AuthAlgorithm> integrity, Optional<AuthAlgorithm> prf,
        DhGroup group) {}
