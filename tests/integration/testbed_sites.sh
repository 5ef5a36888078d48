#!/usr/bin/env bash
# sf-test: plain-build: it tests the test bed, not this build
# The test bed's two sites (docs/testbed.md, "Sites and the WAN"): what
# testbed.env says about them, the L3 agents alive in their sites' zones,
# routers scheduled by their availability_zone_hints, the WAN's delay (an
# Edge host's round trip to 198.18.0.1 takes at least twice the one-way
# delay, a Core host's does not), sfwan's counters moving, and an Edge VM
# on host4 reaching a Core VM on host1 over VXLAN across the WAN, with
# full-size frames.  Exit 0 pass, 1 fail, 77 skip.  Cleans up all it makes.
# shellcheck disable=SC2154,SC2317,SC2016,SC2153,SC2034  # SC2016: jq programs; SC2153: testbed.env
T=testbed_sites
# shellcheck source=tests/integration/lib/daemon.sh
. "$(dirname "$0")/lib/daemon.sh"
# shellcheck source=tests/integration/lib/vm.sh
. "$(dirname "$0")/lib/vm.sh"
[ -n "${SF_TB_SITES:-}" ] || skip "the test bed has no sites (an older scripts/testbed)"

ge() { awk -v a="$1" -v b="$2" 'BEGIN { exit !(a >= b) }'; }
# rtt NS DST: "min avg max" of 20 pings every 20 ms.
rtt() {
	ip netns exec "$1" ping -q -c 20 -i 0.02 "$2" 2> /dev/null |
		sed -n 's#.* = \([0-9.]*\)/\([0-9.]*\)/\([0-9.]*\)/.*#\1 \2 \3#p'
}
# wan_stat KEY DIR: sfwan's last printed counter (DIR core0>edge0 or
# edge0>core0), after asking it for them (SIGUSR1).
wan_stat() {
	grep "stats $2 " "$SF_TB_WAN_LOG" | tail -1 | tr ' ' '\n' | sed -n "s/^$1=//p"
}
wan_dump() {
	local n
	# shellcheck disable=SC2034  # read by the eval below
	n=$(grep -c 'stats ' "$SF_TB_WAN_LOG")
	kill -USR1 "$(cut -d' ' -f1 "$SF_TB_WAN_PIDFILE")" || return 1
	wait_until 5 eval '[ "$(grep -c "stats " "$SF_TB_WAN_LOG")" -ge $((n + 2)) ]'
}

# --- testbed.env -------------------------------------------------------------------
check "SF_TB_SITES is core and edge" test "$SF_TB_SITES" = "core edge"
for h in $SF_TB_HOSTS; do
	v=SF_TB_SITE_$h site=${!v:-}
	lv=SF_TB_SITE_${site^^}_HOSTS
	check "$h's site ($site) lists it" grep -qw "$h" <<< "${!lv:-}"
done
check "core is host1 and host2" test "$SF_TB_SITE_CORE_HOSTS" = "host1 host2"
check "edge is host3 and host4" test "$SF_TB_SITE_EDGE_HOSTS" = "host3 host4"

# --- agents and their zones ----------------------------------------------------------
agents=$(neutron GET agents) || die "GET agents"
check "host4 runs a live Linux bridge agent" jq -e '[.agents[] | select(.host == "host4" and
	.binary == "neutron-linuxbridge-agent" and .alive)] | length == 1' <<< "$agents"
for h in $SF_TB_L3_HOSTS; do
	v=SF_TB_SITE_$h
	check "l3 agent of $h alive, zone ${!v}" jq -e --arg h "$h" --arg z "${!v}" '[.agents[] |
		select(.host == $h and .binary == "neutron-l3-agent" and .alive and
		.availability_zone == $z and .resources_synced != false)] | length == 1' <<< "$agents"
done
check "the L3 agents are host1's (core) and host4's (edge)" jq -e '[.agents[] |
	select(.binary == "neutron-l3-agent") | .host + "=" + .availability_zone] | sort ==
	["host1=core", "host4=edge"]' <<< "$agents"

# --- routers by zone -----------------------------------------------------------------
pfx=$(rand_prefix)
mk_network net_id net
mk_subnet subnet_id "$net_id" "$pfx"
mk_sg open_id open icmp
pfx2=$pfx
while [ "$pfx2" = "$pfx" ]; do pfx2=$(rand_prefix); done
mk_network net2_id net2
mk_subnet subnet2_id "$net2_id" "$pfx2"
routers=()
router_cleanup() {
	local r s
	for r in "${routers[@]}"; do
		read -r r s <<< "$r"
		neutron PUT "routers/$r/remove_router_interface" "{\"subnet_id\": \"$s\"}" > /dev/null
		neutron DELETE "routers/$r" > /dev/null || say "deleting router $r failed"
	done
}
at_exit 45 router_cleanup
for z in edge core; do
	r=$(neutron POST routers "$(jq -nc --arg n "$NAME-$z" --arg z "$z" \
		'{router: {name: $n, availability_zone_hints: [$z]}}')" | jq -er .router.id) ||
		die "creating a router hinted $z"
	[ $z = edge ] && s=$subnet_id || s=$subnet2_id
	routers+=("$r $s")
	# An L3 agent takes a router once it has an interface.
	neutron PUT "routers/$r/add_router_interface" "{\"subnet_id\": \"$s\"}" > /dev/null ||
		die "router interface on $s"
	want=$([ $z = edge ] && echo host4 || echo host1)
	# shellcheck disable=SC2064
	if wait_until 30 eval "neutron GET 'routers/$r/l3-agents' |
		jq -e '[.agents[] | select(.alive) | .host + \"=\" + .availability_zone] == [\"$want=$z\"]' > /dev/null"; then
		pass "router hinted $z is on $want's L3 agent (zone $z)"
	else
		fail "router hinted $z: agents $(neutron GET "routers/$r/l3-agents" | jq -c '[.agents[].host]')"
	fi
	check "router hinted $z: availability_zones [$z]" jq -e --arg z "$z" \
		'.router.availability_zones == [$z]' <<< "$(neutron GET "routers/$r")"
	[ $z = edge ] && edge_router=$r
done
check "the edge router's namespace exists (made by host4's agent)" \
	wait_until 30 test -e "/run/netns/qrouter-$edge_router"
check "the edge router's interface is ACTIVE, bound to host4" wait_until 30 eval \
	"neutron GET 'ports?device_id=$edge_router' | jq -e '[.ports[] |
		select(.status == \"ACTIVE\" and .[\"binding:host_id\"] == \"host4\")] | length == 1' > /dev/null"

# --- the WAN's delay -----------------------------------------------------------------
d=$SF_TB_WAN_DELAY_MS
say "WAN: $d ms one way"
wan_dump || fail "sfwan does not answer SIGUSR1"
rx0=$(wan_stat rx 'edge0>core0') tx0=$(wan_stat tx 'core0>edge0')
for h in $SF_TB_HOSTS; do
	v=SF_TB_SITE_$h
	br=$([ "${!v}" = edge ] && echo "$SF_TB_EDGE_BRIDGE" || echo sf-underlay)
	# (an older scripts/testbed's `up` puts every host back on sf-underlay)
	check "$h's underlay veth is on $br" test "$(basename "$(readlink "/sys/class/net/sf-$h-u/master")")" = "$br"
	read -r mn avg mx <<< "$(rtt "$(host_ns "$h")" "$SF_TB_UNDERLAY_IP")"
	[ -n "${mn:-}" ] || { fail "$h does not reach $SF_TB_UNDERLAY_IP"; continue; }
	if [ "${!v}" = edge ]; then
		if ge "$mn" $((2 * d)); then pass "$h (edge) to 198.18.0.1: rtt min $mn avg $avg ms >= 2 x $d"
		else fail "$h (edge) to 198.18.0.1: rtt min $mn avg $avg ms, under 2 x $d"; fi
	else
		if ge "$d" "$avg"; then pass "$h (core) to 198.18.0.1: rtt avg $avg ms, no WAN"
		else fail "$h (core) to 198.18.0.1: rtt avg $avg ms"; fi
	fi
done
check "an edge host's full-size frames (1500 bytes, DF) cross the WAN" \
	ip netns exec "$SF_TB_HOST4_NS" ping -q -c 3 -i 0.05 -M "do" -s 1472 "$SF_TB_UNDERLAY_IP"
wan_dump || fail "sfwan does not answer SIGUSR1"
rx1=$(wan_stat rx 'edge0>core0') tx1=$(wan_stat tx 'core0>edge0')
# at least host4's 20 + 3 pings each way
if [ $((rx1 - rx0)) -ge 23 ] && [ $((tx1 - tx0)) -ge 23 ]; then
	pass "sfwan's counters moved: edge>core rx +$((rx1 - rx0)), core>edge tx +$((tx1 - tx0))"
else
	fail "sfwan's counters: edge>core rx $rx0 -> $rx1, core>edge tx $tx0 -> $tx1"
fi
check "sfwan dropped nothing" test "$(wan_stat drop_queue 'edge0>core0')$(wan_stat drop_queue 'core0>edge0')$(wan_stat drop_rx 'edge0>core0')$(wan_stat drop_rx 'core0>edge0')" = 0000

# --- an Edge VM reaches a Core VM over VXLAN, across the WAN --------------------------
mk_vm vc core host1 "$net_id" "$subnet_id" --sg "$open_id"
mk_vm ve edge host4 "$net_id" "$subnet_id" --sg "$open_id"
say "core VM $vc_ip (host1), edge VM $ve_ip (host4)"
if wait_until 60 ping_once "$ve_ns" "$vc_ip"; then
	read -r mn avg mx <<< "$(rtt "$ve_ns" "$vc_ip")"
	if [ -n "${mn:-}" ] && ge "$mn" $((2 * d)); then
		pass "edge VM pings core VM over VXLAN across the WAN: rtt min $mn avg $avg ms"
	else
		fail "edge VM to core VM: rtt min ${mn:-none} ms"
	fi
else
	fail "the edge VM (host4) does not reach the core VM (host1)"
fi
mtu=$(neutron GET "networks/$net_id" | jq .network.mtu)
check "full-size tenant packets ($mtu bytes, DF) cross VXLAN and the WAN" \
	ip netns exec "$ve_ns" ping -q -c 3 -i 0.05 -M "do" -s $((mtu - 28)) "$vc_ip"
# The edge router's interface ($pfx.1) lives on host4: near the edge VM,
# a WAN away from the core VM.
read -r mn avg mx <<< "$(rtt "$ve_ns" "$pfx.1")"
if [ -n "${avg:-}" ] && ge "$d" "$avg"; then pass "edge VM to the edge router: rtt avg $avg ms"
else fail "edge VM to the edge router: rtt avg ${avg:-none} ms"; fi
read -r mn avg mx <<< "$(rtt "$vc_ns" "$pfx.1")"
if [ -n "${mn:-}" ] && ge "$mn" $((2 * d)); then pass "core VM to the edge router: rtt min $mn ms (the WAN)"
else fail "core VM to the edge router: rtt min ${mn:-none} ms"; fi

finish
