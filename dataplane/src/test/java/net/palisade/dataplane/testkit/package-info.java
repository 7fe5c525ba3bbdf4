/**
 * What every module's tests share about the machine they run on, published in dataplane's test-jar:
 * {@link net.palisade.dataplane.testkit.Root}, the one root check;
 * {@link net.palisade.dataplane.testkit.TestPrograms}, the external programs from {@code ops/test-programs.txt}
 * (the list {@code ops/bin/test} installs and checks); {@link net.palisade.dataplane.testkit.LabPrefix}, namespace
 * prefixes derived from test classes and refused when taken.
 */
package net.palisade.dataplane.testkit;
