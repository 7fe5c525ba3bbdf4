/**
 * One tunnel's life: {@link net.palisade.controlplane.tunnel.TunnelEntity}, an event-sourced entity per tunnel
 * label (sharded on a node alone; on a pair, on the active node only), decides from configuration, admin commands and the reports of IKE and the
 * dataplane; its effects go out through {@link net.palisade.controlplane.tunnel.TunnelPorts} (on a node with a
 * dataplane, {@link net.palisade.controlplane.tunnel.DataplanePorts}) after the event is persisted.
 * {@link net.palisade.controlplane.tunnel.TunnelView} is what the API and CLI show of it.
 */
package net.palisade.controlplane.tunnel;
