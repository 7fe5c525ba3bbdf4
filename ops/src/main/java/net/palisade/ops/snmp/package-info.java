/**
 * SNMP traps of tunnel changes (SNMPv2c, snmp4j): {@link TunnelNotifications} says which journal events become which
 * notification of {@code docs/mib/PALISADE-MIB.txt} and with what; {@link SnmpTraps} sends them to the receivers
 * given on {@code palisade run --snmp-trap}, from the control plane's live event stream.
 */
package net.palisade.ops.snmp;
