/**
 * The namespace lab fixture every IKE lab test uses, published in control-plane's test-jar for the api and ops
 * tests: {@link net.palisade.controlplane.lab.Lab} (build the namespaces of {@code ops/lab/netns.sh}, run commands in
 * them), {@link net.palisade.controlplane.lab.LabNamespaces} (a test class's lab, its prefix derived from the class),
 * {@link net.palisade.controlplane.lab.LabNode} (a node assembled by {@link net.palisade.controlplane.Node}, as
 * {@code palisade run} assembles it), {@link net.palisade.controlplane.lab.StrongSwan} (the independent IKE peer) and
 * {@link net.palisade.controlplane.lab.Tshark} (captures read by an independent dissector).
 */
package net.palisade.controlplane.lab;
