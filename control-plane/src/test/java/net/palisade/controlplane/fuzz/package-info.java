/**
 * Coverage-guided fuzz targets (Jazzer) of the control plane's unauthenticated inputs: the IKEv2 and IKEv1 engines
 * as responders. The suite replays each target's kept inputs; {@code ops/bench/fuzz.sh} runs them for longer.
 */
package net.palisade.controlplane.fuzz;
