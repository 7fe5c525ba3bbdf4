/**
 * API tests in the namespace lab: a node assembled as {@code palisade run} assembles it, with its HTTP API, against
 * Debian's strongSwan (the control-plane test-jar's {@code net.palisade.controlplane.lab} fixture).
 */
package net.palisade.api.lab;
