/**
 * The configuration model every module shares, free of Pekko and of the dataplane: an
 * {@link net.palisade.model.IpsecConfig} of tunnels, each an {@link net.palisade.model.IkeTunnel} or a
 * {@link net.palisade.model.ManualTunnel}, with their hosts, networks, identities, proposals and SPIs. Values are
 * immutable records validated on construction; secrets are held only by {@link net.palisade.model.secret.Secret}.
 */
package net.palisade.model;
