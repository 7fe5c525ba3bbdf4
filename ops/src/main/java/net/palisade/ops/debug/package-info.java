/**
 * Debugging aids an operator switches on explicitly, each off by default and loud in the log when on:
 * {@link WiresharkKeys} writes every negotiated SA's keys where Wireshark reads them ({@code palisade run
 * --wireshark-keys DIR}).
 */
package net.palisade.ops.debug;
