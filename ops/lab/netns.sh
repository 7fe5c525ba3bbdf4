#!/usr/bin/env bash
# The namespace lab: two gateways and a host behind each, joined by an "internet" bridge that lives in a
# namespace of its own (a bridge in the root namespace drops forwarded frames on these machines).
#
#   host-a 10.1.0.10 -- 10.1.0.1 gw-a 192.0.2.1 --[inet bridge]-- 192.0.2.2 gw-b 10.2.0.1 --[lanb bridge]-- 10.2.0.10 host-b
#                                                               192.0.2.3 gw-c 10.2.0.2 --'
#   gw-c is a second gateway for site b (a backup peer for failover tests).
#
#   ops/lab/netns.sh up [PREFIX]     create (idempotent: tears down an old lab of the same prefix first)
#   ops/lab/netns.sh up PREFIX nat   the same, with gw-a behind a NAT box (below)
#   ops/lab/netns.sh ipv6 [PREFIX]   add IPv6 addresses to a lab that is up (optional; idempotent):
#       inet 2001:db8:2::/64: gw-a ::1, gw-b ::2, gw-c ::3
#       site a fd00:1::/64: gw-a ::1, host-a ::10 (default route via gw-a)
#       site b fd00:2::/64: gw-b ::1, gw-c ::2, host-b ::10 (default route via gw-b)
#   ops/lab/netns.sh down [PREFIX]   remove
# Namespaces are PREFIX-inet, PREFIX-lanb (bridges), PREFIX-gwa, PREFIX-gwb, PREFIX-gwc, PREFIX-ha, PREFIX-hb
# (PREFIX defaults to "pal"), and PREFIX-nat with the nat option.
#
# With "nat", gw-a's WAN is private and a masquerading NAT box (nftables) holds 192.0.2.1 on the internet bridge:
#
#   gw-a wan 172.16.1.2 -- 172.16.1.1 lan [PREFIX-nat] wan 192.0.2.1 --[inet bridge]-- ... (gw-b, gw-c as above)
#
# Everything else stays as it is: gw-b and gw-c still see gw-a as 192.0.2.1 (the NAT's address), so their configs
# need no change; gw-a's own address is 172.16.1.2, so its IKE identity must be set (srcid) if the peer expects
# 192.0.2.1. The NAT rewrites source addresses (and source ports only if they clash), like a home router.
# Nothing here routes outside the machine: every address lives inside these namespaces.
set -euo pipefail

cmd=${1:-}
P=${2:-${LAB_PREFIX:-pal}}
opt=${3:-}
NS_LIST="$P-inet $P-lanb $P-gwa $P-gwb $P-gwc $P-ha $P-hb"
# removed by "down" whether or not the lab was built with it
ALL_NS="$NS_LIST $P-nat"

need_root() { [ "$(id -u)" -eq 0 ] || { echo "netns.sh: run as root (network namespaces need it)" >&2; exit 2; }; }

down() {
  for ns in $ALL_NS; do
    if ip netns list | awk '{print $1}' | grep -qx "$ns"; then
      # stop anything still running inside before deleting the namespace
      for pid in $(ip netns pids "$ns" 2>/dev/null); do kill -9 "$pid" 2>/dev/null || true; done
      ip netns del "$ns"
    fi
  done
}

# link NS_A IF_A NS_B IF_B
link() {
  ip link add "$2" netns "$1" type veth peer name "$4" netns "$3"
  ip -n "$1" link set "$2" up
  ip -n "$3" link set "$4" up
}

up() {
  down
  for ns in $NS_LIST; do
    ip netns add "$ns"
    ip -n "$ns" link set lo up
  done
  ip -n "$P-inet" link add br0 type bridge
  ip -n "$P-inet" link set br0 up
  for gw in a b c; do
    if [ "$gw" = a ] && [ "$opt" = nat ]; then
      nat_box
    else
      link "$P-gw$gw" wan "$P-inet" "wan-$gw"
    fi
    ip -n "$P-inet" link set "wan-$gw" master br0
  done
  [ "$opt" = nat ] || ip -n "$P-gwa" addr add 192.0.2.1/24 dev wan
  ip -n "$P-gwb" addr add 192.0.2.2/24 dev wan
  ip -n "$P-gwc" addr add 192.0.2.3/24 dev wan

  link "$P-gwa" lan "$P-ha" eth0
  ip -n "$P-gwa" addr add 10.1.0.1/24 dev lan
  ip -n "$P-ha" addr add 10.1.0.10/24 dev eth0
  ip -n "$P-ha" route add default via 10.1.0.1

  ip -n "$P-lanb" link add br0 type bridge
  ip -n "$P-lanb" link set br0 up
  for n in gwb gwc hb; do
    local ifname=eth0; [ "$n" = hb ] || ifname=lan
    link "$P-$n" "$ifname" "$P-lanb" "port-$n"
    ip -n "$P-lanb" link set "port-$n" master br0
  done
  ip -n "$P-gwb" addr add 10.2.0.1/24 dev lan
  ip -n "$P-gwc" addr add 10.2.0.2/24 dev lan
  ip -n "$P-hb" addr add 10.2.0.10/24 dev eth0
  ip -n "$P-hb" route add default via 10.2.0.1

  for gw in a b c; do
    ip netns exec "$P-gw$gw" sysctl -qw net.ipv4.ip_forward=1
    ip netns exec "$P-gw$gw" sysctl -qw net.ipv6.conf.all.forwarding=1 || true
  done
  # sanity: the underlay works before any tunnel exists
  ip netns exec "$P-gwa" ping -c1 -W2 192.0.2.2 >/dev/null || { echo "netns.sh: underlay ping gw-a -> gw-b failed" >&2; exit 1; }
  if [ "$opt" = nat ]; then
    echo "lab $P up: host-a 10.1.0.10 | gw-a 10.1.0.1/172.16.1.2 | NAT 172.16.1.1/192.0.2.1 | gw-b 192.0.2.2/10.2.0.1 | host-b 10.2.0.10 | gw-c 192.0.2.3"
  else
    echo "lab $P up: host-a 10.1.0.10 | gw-a 10.1.0.1/192.0.2.1 | gw-b 192.0.2.2/10.2.0.1 | host-b 10.2.0.10 | gw-c 192.0.2.3"
  fi
}

# The NAT box of the "nat" option: gw-a's wan on a private link to PREFIX-nat, which masquerades onto the bridge
# (its wan-a port there takes gw-a's place). Needs nftables (Debian: apt-get install nftables).
nat_box() {
  command -v nft >/dev/null || { echo "netns.sh: the nat option needs nft (apt-get install -y nftables)" >&2; exit 2; }
  ip netns add "$P-nat"
  ip -n "$P-nat" link set lo up
  link "$P-gwa" wan "$P-nat" lan
  link "$P-nat" wan "$P-inet" wan-a
  ip -n "$P-gwa" addr add 172.16.1.2/24 dev wan
  ip -n "$P-gwa" route add default via 172.16.1.1
  ip -n "$P-nat" addr add 172.16.1.1/24 dev lan
  ip -n "$P-nat" addr add 192.0.2.1/24 dev wan
  ip netns exec "$P-nat" sysctl -qw net.ipv4.ip_forward=1
  ip netns exec "$P-nat" nft -f - <<'NFT'
table ip nat {
  chain postrouting {
    type nat hook postrouting priority srcnat; policy accept;
    oifname "wan" masquerade
  }
}
NFT
}

# addr NS IFACE ADDR/LEN: an IPv6 address usable at once (no duplicate address detection)
addr6() {
  ip -n "$P-$1" -6 addr replace "$3" dev "$2" nodad
}

ipv6() {
  for ns in $NS_LIST; do
    ip netns exec "$ns" sysctl -qw net.ipv6.conf.all.disable_ipv6=0
  done
  addr6 gwa wan 2001:db8:2::1/64
  addr6 gwb wan 2001:db8:2::2/64
  addr6 gwc wan 2001:db8:2::3/64
  addr6 gwa lan fd00:1::1/64
  addr6 ha eth0 fd00:1::10/64
  ip -n "$P-ha" -6 route replace default via fd00:1::1
  addr6 gwb lan fd00:2::1/64
  addr6 gwc lan fd00:2::2/64
  addr6 hb eth0 fd00:2::10/64
  ip -n "$P-hb" -6 route replace default via fd00:2::1
  local i
  for i in $(seq 1 20); do
    ip netns exec "$P-gwa" ping -6 -c1 -W1 2001:db8:2::2 >/dev/null 2>&1 && break
    [ "$i" -lt 20 ] || { echo "netns.sh: underlay ping6 gw-a -> gw-b failed" >&2; exit 1; }
  done
  echo "lab $P IPv6: host-a fd00:1::10 | gw-a fd00:1::1/2001:db8:2::1 | gw-b 2001:db8:2::2/fd00:2::1 | host-b fd00:2::10 | gw-c 2001:db8:2::3"
}

need_root
case "$cmd" in
  up) up ;;
  ipv6) ipv6 ;;
  down) down; echo "lab $P down" ;;
  *) echo "usage: $0 up [PREFIX [nat]] | ipv6 [PREFIX] | down [PREFIX]" >&2; exit 2 ;;
esac
