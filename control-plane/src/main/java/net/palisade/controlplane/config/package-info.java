/**
 * The running configuration as an event-sourced history: {@link net.palisade.controlplane.config.ConfigStore} (a
 * cluster singleton) records each commit as a {@link net.palisade.controlplane.config.Revision}, rolls back
 * unconfirmed commits when their time is up, and hands every change to the
 * {@link net.palisade.controlplane.config.Reconciler}, which configures or removes only the tunnel entities whose
 * spec changed. {@link net.palisade.controlplane.config.LineDiff} shows revisions against each other.
 */
package net.palisade.controlplane.config;
