/**
 * The IKEv1 protocol engine (RFC 2407, 2408, 2409; RFC 3706 dead peer detection; RFC 3947 NAT traversal): main
 * and aggressive mode with pre-shared keys (main mode also with RSA signatures), quick mode, and informational
 * exchanges, as a pure state machine that takes the same {@link net.palisade.controlplane.ike.IkeInput inputs} and
 * gives the same {@link net.palisade.controlplane.ike.IkeOutput outputs} as the IKEv2 engine of
 * {@code controlplane.ike}, whose crypto (groups, PRFs, certificate checks) it reuses. {@link
 * net.palisade.controlplane.ikev1.Ikev1Engine} is the entry point. The wire format is
 * {@code net.palisade.model.wire.ikev1}.
 */
package net.palisade.controlplane.ikev1;
