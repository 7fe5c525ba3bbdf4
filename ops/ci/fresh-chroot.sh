#!/usr/bin/env bash
# Runs the test suite from a clean clone on a fresh Debian 12, so that nothing installed on this machine before (a
# package, a Maven repository, a running PostgreSQL, a program on PATH) can make it pass.
#
#   ops/ci/fresh-chroot.sh [--keep] [GIT-REF] [-- COMMAND...]        as root
#
# What the fresh machine is: Debian 12 (bookworm) from debootstrap's minbase variant, the smallest Debian, with
# git (a user cloned the repository) and the sources a Debian 12 install has (main, -updates, -security) on the same
# mirror as this machine's apt sources. From this machine it gets only the JDK: /usr/lib/jvm/temurin-25-jdk-amd64
# bind-mounted read-only at the same path (the README asks for "a Debian machine with a JDK 25"; Debian 12 has no
# JDK 25 package), with its trust store (copied when it is a link outside the JDK, as Debian's layout has it). And
# the certificate authorities this machine trusts beyond Debian's (a regular file in /etc/ssl/certs or one in
# /usr/local/share/ca-certificates), given to the chroot's ca-certificates: where the network intercepts TLS (this
# one does), curl and Maven reach Maven Central only through them; on an open network there are none. No ~/.m2:
# Maven (through ./mvnw) downloads itself and every dependency from Maven Central. No host package, no host PATH or
# environment: the command starts with an empty environment but HOME and PATH.
#
# It runs in its own mount and PID namespaces (unshare): proc, sysfs, a tmpfs /dev with the usual nodes and
# /dev/net/tun, its own /dev/pts, /dev/shm and /run as tmpfs. Namespaces the lab builds with `ip netns add` live in
# the chroot's /run/netns; every process started inside (PostgreSQL, charon, keepalived) dies with the run, and every
# mount with it. The network is this machine's (Maven Central and Debian's mirror must be reachable), so the run
# holds the lab lock (/tmp/palisade-lab.lock, PALISADE_LAB_LOCK) like any lab test: the lab's veth names and
# addresses live in the one network stack.
#
# Steps: debootstrap into /var/tmp/palisade-fresh-chroot/root.XXXXXX (the packages are cached there in a tarball
# made by --make-tarball, so later runs only unpack); `git clone` GIT-REF (default HEAD) of the repository this
# script is in; run `bash .ci/run` (CI's command, which is the README's `ops/bin/test`) as root in the clone; print
# the wall times and per-module test counts from the surefire reports; exit with the suite's status. The folder is
# removed afterwards unless --keep.
#
# -- COMMAND... runs that instead of .ci/run, in the clone, without taking the lab lock: the host's lock file is at
# /tmp/palisade-lab.lock inside, so a command that builds namespaces takes it there, e.g.
#   ops/ci/fresh-chroot.sh -- bash -c 'ops/bin/test --programs && flock /tmp/palisade-lab.lock ops/bin/test -pl ...'
#
# Environment: PALISADE_FRESH_DIR (the cache and run folder), PALISADE_FRESH_JDK, PALISADE_FRESH_MIRROR,
# PALISADE_FRESH_SECURITY_MIRROR, PALISADE_LAB_LOCK.
set -euo pipefail

suite=bookworm
variant=minbase
include=git
dir=${PALISADE_FRESH_DIR:-/var/tmp/palisade-fresh-chroot}
jdk=${PALISADE_FRESH_JDK:-/usr/lib/jvm/temurin-25-jdk-amd64}
lock=${PALISADE_LAB_LOCK:-/tmp/palisade-lab.lock}
path=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin

say() { echo "fresh-chroot: $*" >&2; }
die() { say "$*"; exit 2; }

# --- inside the namespaces (the script calls itself through unshare): mount, clone, run -------------------------
if [ "${1:-}" = --inside ]; then
  root=$2 gitdir=$3 sha=$4
  shift 4
  # The root a mount point, as a container's is: `ip netns exec` runs `mount --make-rslave /`, which a plain folder
  # refuses (EINVAL).
  mount --bind "$root" "$root"
  mount -t proc proc "$root/proc"
  mount -t sysfs sysfs "$root/sys"
  # A /dev of our own, as a container has: the host's devtmpfs would share every node (and every change) with it.
  mount -t tmpfs -o mode=755,nosuid dev "$root/dev"
  for node in null:1:3 zero:1:5 full:1:7 random:1:8 urandom:1:9 tty:5:0 net/tun:10:200; do
    IFS=: read -r name major minor <<<"$node"
    mkdir -p "$(dirname "$root/dev/$name")"
    mknod -m 666 "$root/dev/$name" c "$major" "$minor"
  done
  mkdir "$root/dev/pts" "$root/dev/shm"
  mount -t devpts -o newinstance,ptmxmode=0666,mode=620,gid=5 devpts "$root/dev/pts"
  ln -s pts/ptmx "$root/dev/ptmx"
  mount -t tmpfs -o mode=1777,nosuid,nodev shm "$root/dev/shm"
  ln -s /proc/self/fd "$root/dev/fd"
  ln -s /proc/self/fd/0 "$root/dev/stdin"; ln -s /proc/self/fd/1 "$root/dev/stdout"; ln -s /proc/self/fd/2 "$root/dev/stderr"
  mount -t tmpfs -o mode=755,nosuid,nodev run "$root/run"
  mkdir -m 1777 "$root/run/lock"
  mkdir -p "$root$jdk"
  mount --bind "$jdk" "$root$jdk"
  mount -o remount,bind,ro "$root$jdk"
  touch "$root/tmp/palisade-lab.lock"
  mount --bind "$lock" "$root/tmp/palisade-lab.lock"

  mkdir -p "$root/mnt/palisade.git"
  mount --bind "$gitdir" "$root/mnt/palisade.git"
  mount -o remount,bind,ro "$root/mnt/palisade.git"
  chroot "$root" /usr/bin/env -i HOME=/root PATH=$path /bin/sh -ec "
    git clone -q --no-local --no-checkout /mnt/palisade.git /root/palisade
    git -C /root/palisade -c advice.detachedHead=false checkout -q --detach $sha"
  umount "$root/mnt/palisade.git"
  rmdir "$root/mnt/palisade.git"
  say "clone of $sha in $root/root/palisade"

  status=0
  chroot "$root" /usr/bin/env -i HOME=/root PATH=$path /bin/bash -c 'cd /root/palisade && exec "$@"' run "$@" \
    || status=$?
  # PID 1 of this namespace: when it exits, the kernel ends every process still in it; the mounts go with them.
  exit $status
fi

# --- on the host ----------------------------------------------------------------------------------------------------
keep=0 ref=HEAD
command=(bash .ci/run)
while [ $# -gt 0 ]; do
  case "$1" in
    --keep) keep=1; shift ;;
    -h|--help) sed -n '2,/^set -euo/p' "$0" | sed '$d; s/^# \{0,1\}//'; exit 0 ;;
    --) shift; [ $# -gt 0 ] || die "-- needs a command"; command=("$@"); break ;;
    -*) die "unknown option $1 (see --help)" ;;
    *) ref=$1; shift ;;
  esac
done
custom=0; [ "${command[*]}" = "bash .ci/run" ] || custom=1

[ "$(id -u)" -eq 0 ] || die "run as root (debootstrap, chroot, mounts)"
for tool in debootstrap unshare chroot flock git; do
  command -v "$tool" >/dev/null || die "needs $tool (apt-get install debootstrap util-linux coreutils git)"
done
[ -x "$jdk/bin/javac" ] || die "no JDK at $jdk (PALISADE_FRESH_JDK)"

here=$(cd "$(dirname "$(readlink -f "${BASH_SOURCE[0]}")")" && pwd)
src=$(git -C "$here" rev-parse --show-toplevel)
gitdir=$(cd "$src" && cd "$(git rev-parse --git-common-dir)" && pwd)
sha=$(git -C "$src" rev-parse --verify --quiet "$ref^{commit}") || die "$ref is not a commit of $src"
git -C "$src" for-each-ref --contains "$sha" --count=1 --format=x refs/heads refs/tags | grep -q x \
  || die "$ref ($sha) is on no branch or tag of $src, so a clone would not have it"

# The mirrors of this machine's apt sources (deb822 or one-line), else Debian's own.
sources() { cat /etc/apt/sources.list /etc/apt/sources.list.d/*.list /etc/apt/sources.list.d/*.sources 2>/dev/null \
  | grep -v '^[[:space:]]*#' | grep -oE 'https?://[^[:space:]]+' | sed 's:/*$::' || true; }
mirror=${PALISADE_FRESH_MIRROR:-$(sources | grep -m1 -E '/debian$' || echo http://deb.debian.org/debian)}
security=${PALISADE_FRESH_SECURITY_MIRROR:-$(sources | grep -m1 -E '/debian-security$' || echo http://deb.debian.org/debian-security)}

start=$SECONDS
mkdir -p "$dir"
tarball=$dir/$suite-$variant-$include.tgz
root=$(mktemp -d "$dir/root.XXXXXX")
chmod 755 "$root"

cleanup() {
  local status=$?
  # Every mount was made in the run's own mount namespace, which is gone; should one still show here, deleting
  # would reach through it (into the JDK), so the folder stays.
  if findmnt -rno TARGET | grep -qF "$root/"; then
    say "mounts remain under $root; not removing it"
  elif [ "$keep" -eq 1 ]; then
    say "kept $root (chroot $root /bin/bash; the clone is in /root/palisade)"
  else
    rm -rf --one-file-system "$root"
  fi
  exit $status
}
trap cleanup EXIT
trap 'exit 130' INT TERM

if [ ! -f "$tarball" ]; then
  say "downloading Debian $suite ($variant + $include) from $mirror into $tarball"
  debootstrap --variant=$variant --include=$include --make-tarball="${tarball%.tgz}.part.tgz" \
    $suite "$dir/make.$$" "$mirror" >"$dir/debootstrap.log" 2>&1 \
    || { tail -20 "$dir/debootstrap.log" >&2; die "debootstrap --make-tarball failed (log: $dir/debootstrap.log)"; }
  mv "${tarball%.tgz}.part.tgz" "$tarball"
fi
debootstrap --variant=$variant --include=$include --unpack-tarball="$tarball" $suite "$root" "$mirror" \
  >"$root.debootstrap.log" 2>&1 \
  || { tail -20 "$root.debootstrap.log" >&2; die "debootstrap failed (log: $root.debootstrap.log; an old cache? remove $tarball)"; }
rm "$root.debootstrap.log"

# What a Debian 12 install writes besides the base system: its apt sources, its hosts and hostname.
cat >"$root/etc/apt/sources.list" <<EOF
deb $mirror $suite main
deb $mirror $suite-updates main
deb $security $suite-security main
EOF
printf '127.0.0.1\tlocalhost\n127.0.1.1\t%s\n::1\tlocalhost ip6-localhost ip6-loopback\n' "$(hostname)" >"$root/etc/hosts"
hostname >"$root/etc/hostname"
cp -L /etc/resolv.conf "$root/etc/resolv.conf"
cacerts=$(readlink -f "$jdk/lib/security/cacerts")
case "$cacerts" in
  "$jdk"/*) ;;
  *) mkdir -p "$root$(dirname "$cacerts")"; cp "$cacerts" "$root$cacerts" ;;
esac
mkdir -p "$root/usr/local/share/ca-certificates"
find /etc/ssl/certs -maxdepth 1 -type f -name '*.pem' -print0 | while IFS= read -r -d '' ca; do
  cp "$ca" "$root/usr/local/share/ca-certificates/host-$(basename "${ca%.pem}").crt"
done
cp -rL /usr/local/share/ca-certificates/. "$root/usr/local/share/ca-certificates/" 2>/dev/null || true
booted=$SECONDS
say "Debian $suite in $root in $((booted - start)) s"

touch "$lock"
run=(unshare --mount --pid --fork --propagation private -- bash "$here/fresh-chroot.sh" --inside "$root" "$gitdir" "$sha" "${command[@]}")
status=0
if [ $custom -eq 1 ]; then
  "${run[@]}" || status=$?
else
  say "waiting for the lab lock $lock"
  flock "$lock" "${run[@]}" || status=$?
fi
finished=$SECONDS

# Per-module counts from the surefire reports of the clone: one <testcase> per test (a class's testsuite counts
# leave out its @Nested classes), with a <failure>, <error> or <skipped> inside for those.
count() { local pattern=$1; shift; cat "$@" | { grep -oE "$pattern" || true; } | wc -l; }
clone=$root/root/palisade
for reports in "$clone"/*/target/surefire-reports; do
  set -- "$reports"/TEST-*.xml
  [ -f "$1" ] || continue
  module=$(basename "$(dirname "$(dirname "$reports")")")
  tests=$(count '<testcase[ >]' "$@") failures=$(count '<failure[ />]' "$@")
  errors=$(count '<error[ />]' "$@") skipped=$(count '<skipped[ />]' "$@")
  printf 'fresh-chroot: %-14s %5d tests in %3d classes: %d failures, %d errors, %d skipped\n' \
    "$module" "$tests" $# "$failures" "$errors" "$skipped" >&2
done
say "debootstrap $((booted - start)) s, run $((finished - booted)) s, wall $((finished - start)) s; exit status $status"
exit $status
