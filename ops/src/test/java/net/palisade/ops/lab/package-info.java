/** {@code palisade run} started as a process in the namespace lab, its flags judged by strongSwan's log. */
package net.palisade.ops.lab;
