#!/bin/sh
# /usr/bin/palisade of the Debian package: runs the distribution in ../lib/palisade/lib (found from this file's own
# place, so an unpacked package runs too) with a Java 25 or newer: $PALISADE_JAVA, $JAVA_HOME, /usr/lib/jvm, PATH.
set -eu
self=$(readlink -f "$0")
lib=$(dirname "$(dirname "$self")")/lib/palisade/lib

major() { # the feature version of java binary $1, or nothing
  "$1" -XshowSettings:properties -version 2>&1 | sed -n 's/^ *java\.specification\.version = \([0-9]*\).*/\1/p' | head -n1
}
ok() { [ -x "$1" ] && v=$(major "$1") && [ -n "$v" ] && [ "$v" -ge 25 ]; }

java=
for cand in "${PALISADE_JAVA:-}" "${JAVA_HOME:+$JAVA_HOME/bin/java}" /usr/lib/jvm/temurin-25*/bin/java \
    /usr/lib/jvm/*-25-*/bin/java /usr/lib/jvm/jdk-25*/bin/java "$(command -v java 2>/dev/null || true)"; do
  if [ -n "$cand" ] && ok "$cand"; then java=$cand; break; fi
done
if [ -z "$java" ]; then
  echo "palisade: needs Java 25 or newer: install one under /usr/lib/jvm (e.g. Temurin 25) or set PALISADE_JAVA" >&2
  exit 2
fi
# shellcheck disable=SC2086 # PALISADE_JAVA_OPTS is a list of options
exec "$java" --enable-native-access=ALL-UNNAMED --sun-misc-unsafe-memory-access=allow ${PALISADE_JAVA_OPTS:-} \
  -cp "$lib/*" net.palisade.ops.Main "$@"
