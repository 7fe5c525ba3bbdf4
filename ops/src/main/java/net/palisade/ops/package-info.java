/**
 * The {@code palisade} command ({@link net.palisade.ops.Main}, picocli): {@code run} starts a node
 * ({@link net.palisade.controlplane.Node} and the HTTP API); {@code config}, {@code key} and {@code spi} work on
 * files offline ({@code spi} shows an SPI in both notations); {@code configure}, {@code status}, {@code sas} and {@code events} talk to a running node's API;
 * {@code replay} reads a copied journal. {@link net.palisade.ops.Defaults} holds the paths and addresses they share.
 */
package net.palisade.ops;
