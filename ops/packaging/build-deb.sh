#!/usr/bin/env bash
# Builds the Debian package palisade_VERSION_amd64.deb from the distribution ops/target/palisade (build it first:
# ./mvnw -B -DskipTests -pl ops -am package). Contents: the jars in /usr/lib/palisade/lib, the launcher
# /usr/bin/palisade, the unit /lib/systemd/system/palisade.service; the maintainer scripts make the system user
# "palisade" and /etc/palisade (root:palisade 0750). The service is not enabled or started: configure it first.
#   ops/packaging/build-deb.sh [OUTDIR]        (default: ops/target; prints the package's path)
# Architecture amd64: the distribution holds x86-64 native code (netty's epoll transport, jffi).
set -euo pipefail

here=$(cd "$(dirname "$(readlink -f "${BASH_SOURCE[0]}")")" && pwd)
root=$(cd "$here/../.." && pwd)
dist=${PALISADE_DIST:-$root/ops/target/palisade}
out=${1:-$root/ops/target}

if ! compgen -G "$dist/lib/*.jar" >/dev/null; then
  echo "build-deb: no distribution in $dist/lib; build it with ./mvnw -B -DskipTests -pl ops -am package" >&2
  exit 2
fi
command -v dpkg-deb >/dev/null || { echo "build-deb: needs dpkg-deb (Debian package dpkg)" >&2; exit 2; }

# 0.1.0-SNAPSHOT -> 0.1.0~snapshot (sorts before 0.1.0, as a snapshot should)
pom_version=$(sed -n '0,/<version>/s/.*<version>\([^<]*\)<\/version>.*/\1/p' "$root/pom.xml")
version=$(printf '%s' "$pom_version" | tr 'A-Z' 'a-z' | sed 's/-snapshot$/~snapshot/')
[ -n "$version" ] || { echo "build-deb: no <version> in $root/pom.xml" >&2; exit 2; }

stage=$(mktemp -d)
trap 'rm -rf "$stage"' EXIT
pkg=$stage/palisade
install -d -m 0755 "$pkg/DEBIAN" "$pkg/usr/bin" "$pkg/usr/lib/palisade/lib" "$pkg/lib/systemd/system" \
  "$pkg/usr/share/doc/palisade" "$pkg/usr/share/lintian/overrides"
install -m 0644 "$dist"/lib/*.jar "$pkg/usr/lib/palisade/lib/"
install -m 0755 "$here/palisade-launcher.sh" "$pkg/usr/bin/palisade"
install -m 0644 "$here/palisade.service" "$pkg/lib/systemd/system/palisade.service"

cat > "$pkg/usr/share/doc/palisade/copyright" <<COPYRIGHT
Format: https://www.debian.org/doc/packaging-manuals/copyright-format/1.0/
Upstream-Name: palisade
Comment: Palisade, a site-to-site IPsec gateway. The bundled jars in /usr/lib/palisade/lib carry their own
 licences (Apache-2.0 for Pekko, Netty, Jackson; see each jar's META-INF).

Files: *
Copyright: 2026 the Palisade authors
License: not-yet-chosen
 The project has not chosen a licence yet; until it does, this package is for internal use.
COPYRIGHT
printf 'palisade (%s) unstable; urgency=medium\n\n  * Built by ops/packaging/build-deb.sh from the project sources.\n\n -- Palisade builders <ops@palisade-gateway.org>  %s\n' \
  "$version" "$(date -R -d "@${SOURCE_DATE_EPOCH:-$(git -C "$root" log -1 --format=%ct 2>/dev/null || date +%s)}")" \
  | gzip -9n > "$pkg/usr/share/doc/palisade/changelog.gz"

cat > "$pkg/usr/share/lintian/overrides/palisade" <<'OVERRIDES'
# The jars hold x86-64 native code (netty's epoll transport, jffi): arch-dependent, so /usr/lib, not /usr/share.
palisade: jar-not-in-usr-share
# jffi's native library ships as a jar of .so files only.
palisade: codeless-jar [usr/lib/palisade/lib/jffi-*-native.jar]
# Java 25 class files (version 69) are newer than this lintian knows.
palisade: unknown-java-class-version
# palisade --help and docs/ are the manual for now.
palisade: no-manual-page [usr/bin/palisade]
OVERRIDES

size=$(du -sk --exclude=DEBIAN "$pkg" | cut -f1)
cat > "$pkg/DEBIAN/control" <<CONTROL
Package: palisade
Version: $version
Architecture: amd64
Maintainer: Palisade builders <ops@palisade-gateway.org>
Installed-Size: $size
Depends: adduser
Recommends: libssl3, libipsec-mb1
Suggests: temurin-25-jdk | temurin-25-jre
Section: net
Priority: optional
Homepage: https://github.com/palisade/palisade
Description: site-to-site IPsec gateway (IKEv2, IKEv1, manual keys)
 Palisade is an IPsec gateway in Java: IKEv2 and IKEv1 key exchange, an ESP
 dataplane on a TUN device, an event journal of every tunnel's life, an HTTP
 API with a status page, and a systemd unit with a reduced capability set.
 It needs a Java 25 runtime (not in Debian 12: e.g. Temurin 25).
CONTROL

cat > "$pkg/DEBIAN/postinst" <<'POSTINST'
#!/bin/sh
set -e
if [ "$1" = configure ]; then
  if ! getent passwd palisade >/dev/null; then
    adduser --system --group --home /var/lib/palisade --no-create-home --quiet palisade
  fi
  # the configuration holds PSKs: readable by the service's group, nobody else
  install -d -o root -g palisade -m 0750 /etc/palisade
  if [ -d /run/systemd/system ]; then
    systemctl daemon-reload >/dev/null || true
  fi
fi
exit 0
POSTINST
cat > "$pkg/DEBIAN/prerm" <<'PRERM'
#!/bin/sh
set -e
if [ -d /run/systemd/system ] && [ "$1" = remove ] && command -v deb-systemd-invoke >/dev/null; then
  deb-systemd-invoke stop palisade.service >/dev/null || true
fi
exit 0
PRERM
cat > "$pkg/DEBIAN/postrm" <<'POSTRM'
#!/bin/sh
set -e
if [ -d /run/systemd/system ]; then
  systemctl daemon-reload >/dev/null || true
fi
# purge keeps /var/lib/palisade: the journal is the tunnels' history and the node key seals their secrets
exit 0
POSTRM
chmod 0755 "$pkg/DEBIAN/postinst" "$pkg/DEBIAN/prerm" "$pkg/DEBIAN/postrm"

mkdir -p "$out"
deb="$out/palisade_${version}_amd64.deb"
dpkg-deb --root-owner-group -Zxz --build "$pkg" "$deb" >/dev/null
echo "$deb"
