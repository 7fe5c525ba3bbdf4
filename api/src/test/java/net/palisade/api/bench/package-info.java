/** Control-plane and API figures for {@code docs/benchmarks.md}: lab programs with a {@code main}, not tests. */
package net.palisade.api.bench;
