/**
 * The cluster the nodes form (Pekko Artery, cluster sharding): what protects its port. {@link
 * net.palisade.controlplane.cluster.ClusterTls} makes the cluster port mutual TLS with one certificate the members
 * share ({@code DATA/cluster.p12}, its password derived from the node key). The active/standby gateway pair (lease,
 * takeover) will live here too; it is not implemented yet.
 */
package net.palisade.controlplane.cluster;
