#!/usr/bin/env bash
# Several Neutron networks, bare metal (issue 4, section 4):
#  1. a Neutron router (the test bed's L3 agent, on host1) joins networks A
#     and B: a container on A on host1 reaches one on B on host2, routed
#     (its route is the gateway, the TTL is one less than on-link);
#  2. security groups are enforced: a container whose group has no ingress
#     rule answers neither ping nor TCP; adding an ICMP rule, then a TCP
#     rule (Neutron API) opens each within a bounded time (the agent polls
#     every second); removing them closes both again;
#  3. one container, two interfaces on two networks through two CNI ADDs
#     (one daemon): each reaches its own network's peer; DEL of each
#     removes only its own interface;
#  4. with podman: `podman run --network netA,netB` gives a container two
#     interfaces with the two ports' addresses.
# Exit 0 pass, 1 fail, 77 skip.  Cleans up all it makes, pass or fail.
# shellcheck disable=SC2154,SC2317,SC2016  # SC2016: jq programs
T=multinet
# shellcheck source=tests/integration/lib/daemon.sh
. "$(dirname "$0")/lib/daemon.sh"
# shellcheck source=tests/integration/lib/podman.sh
. tests/integration/lib/podman.sh

pa=$(rand_prefix)
pb=$(rand_prefix)
while [ "$pb" = "$pa" ]; do pb=$(rand_prefix); done
say "networks $NAME-a ($pa.0/24), $NAME-b ($pb.0/24); groups $NAME-open (ICMP in), $NAME-closed"
mk_network neta net-a
mk_subnet suba "$neta" "$pa"
mk_network netb net-b
mk_subnet subb "$netb" "$pb"
mk_sg open_id open icmp
mk_sg closed_id closed

# The router, and what else this test makes that lib/daemon.sh does not
# know: removed by the trap before the networks (a network with a router
# interface cannot be deleted, nor the interface's port directly).
router="" router_subnets=() pids=()
multinet_cleanup() {
	local s p
	for p in "${pids[@]}"; do kill "$p" 2> /dev/null; done
	[ -n "$router" ] || return 0
	for s in "${router_subnets[@]}"; do
		neutron PUT "routers/$router/remove_router_interface" "{\"subnet_id\": \"$s\"}" > /dev/null ||
			say "removing subnet $s from router $router failed"
	done
	neutron DELETE "routers/$router" > /dev/null || say "deleting router $router failed"
}
at_exit 40 multinet_cleanup

# host1's L3 agent: with sites, an unhinted router may land on another
# site's agent, so hint host1's zone (its site).
router=$(neutron POST routers "$(jq -nc --arg n "$NAME" --arg z "${SF_TB_SITE_host1:-}" \
	'{router: ({name: $n} + if $z == "" then {} else {availability_zone_hints: [$z]} end)}')" |
	jq -er .router.id) || die "creating router $NAME"
for s in "$suba" "$subb"; do
	neutron PUT "routers/$router/add_router_interface" "{\"subnet_id\": \"$s\"}" > /dev/null ||
		die "router interface on subnet $s"
	router_subnets+=("$s")
done
say "router $router: $pa.1 on A, $pb.1 on B"

start_instance h1 host1 < <(pool_ini min=2 max=3 batch=2 a:net-a:open b:net-b:open)
H1=$INSTANCE
start_instance h2 host2 < <(pool_ini min=1 max=2 batch=1 b:net-b:open closed:net-a:closed)
H2=$INSTANCE
say "instances $H1 on host1 (pools a, b), $H2 on host2 (pools b, closed)"
wait_pool "$H1" a 2 60
wait_pool "$H1" b 2 60
wait_pool "$H2" b 1 60
wait_pool "$H2" closed 1 60

# add LABEL INSTANCE NET SG [IFNAME]: an interface for container LABEL
# (its namespace made on first use).
declare -A ns_of ip_of conf_of
add() {
	local c=$1 inst=$2 net=$3 sg=$4 ifn=${5:-eth0}
	[ -n "${ns_of[$c]:-}" ] || mk_netns "ns_of[$c]" "$c"
	conf_of[$c-$ifn]=$(CONF_SOCKET=$(scripts/sfhost sock "$inst") conf 1.0.0 "$NAME-$net" "[\"$NAME-$sg\"]")
	cni ADD "$NAME-$c" "/run/netns/${ns_of[$c]}" "$ifn" "${conf_of[$c-$ifn]}"
	expect "ADD $c $ifn on $inst ($net, group $sg)" 0 '.ips[0].address != null' || die "ADD $c $ifn"
	ip_of[$c-$ifn]=$(jq -r '.ips[0].address | sub("/.*"; "")' <<< "$out")
}
del() { # LABEL INSTANCE [IFNAME]
	local ifn=${3:-eth0}
	CONF_SOCKET=$(scripts/sfhost sock "$2") cni DEL "$NAME-$1" "/run/netns/${ns_of[$1]}" "$ifn" \
		"${conf_of[$1-$ifn]}"
	expect "DEL $1 $ifn" 0 ""
}
# ttl_of NS IP: the TTL of an echo reply.
ttl_of() { ip netns exec "$1" ping -c 1 -W 2 "$2" 2> /dev/null | sed -n 's/.* ttl=\([0-9]*\).*/\1/p'; }
# ping_if NS IFNAME IP: one echo out of IFNAME comes back.
ping_if() { ip netns exec "$1" ping -c 1 -W 1 -I "$2" "$3" > /dev/null 2>&1; }
# on_link NS IP IFNAME: the route to IP is IFNAME's own subnet, no gateway.
on_link() {
	local r
	r=$(ip -n "$1" route get "$2") || return 1
	[[ $r == *" dev $3 "* && $r != *" via "* ]]
}

# --- 1. the router --------------------------------------------------------------
add ra "$H1" net-a open
add rb "$H2" net-b open
add rc "$H1" net-a open
say "ra ${ip_of[ra-eth0]} (A, host1), rb ${ip_of[rb-eth0]} (B, host2), rc ${ip_of[rc-eth0]} (A, host1)"
check "ra's route to rb is A's gateway (the router)" \
	grep -q "via $pa.1 dev eth0" <<< "$(ip -n "${ns_of[ra]}" route get "${ip_of[rb-eth0]}")"
check "ra (A, host1) pings rb (B, host2) through the router (within 60 s: the L3 agent)" \
	ping_ok "${ns_of[ra]}" "${ip_of[rb-eth0]}" 60
check "rb pings ra back" ping_ok "${ns_of[rb]}" "${ip_of[ra-eth0]}" 10
ping_ok "${ns_of[ra]}" "${ip_of[rc-eth0]}" 15 || fail "ra does not ping rc on its own network"
t_routed=$(ttl_of "${ns_of[ra]}" "${ip_of[rb-eth0]}")
t_link=$(ttl_of "${ns_of[ra]}" "${ip_of[rc-eth0]}")
say "echo reply TTLs at ra: from rb (B) $t_routed, from rc (A) $t_link"
routed_once() { [ -n "$t_link" ] && [ -n "$t_routed" ] && [ "$((t_link - 1))" = "$t_routed" ]; }
check "rb's replies arrive with one hop less than rc's (routed once)" routed_once
check "the router's two interfaces are ACTIVE on host1 with both gateways" jq -e \
	--arg a "$pa.1" --arg b "$pb.1" '[.ports[] | select(.status == "ACTIVE" and
	.["binding:host_id"] == "host1") | .fixed_ips[0].ip_address] | sort == ([$a, $b] | sort)' \
	<<< "$(neutron GET "ports?device_id=$router&device_owner=network:router_interface")"

# --- 2. security groups ---------------------------------------------------------
add sz "$H2" net-a closed
z=${ip_of[sz-eth0]}
say "sz $z (A, host2, group closed: no ingress rule); a TCP listener on $z:8080"
ip netns exec "${ns_of[sz]}" busybox nc -ll -p 8080 -e /bin/true > /dev/null 2>&1 &
pids+=($!)
tcp_once() { ip netns exec "$1" timeout 3 bash -c "exec 3<>/dev/tcp/$2/8080" 2> /dev/null; }
ping3() { ip netns exec "$1" ping -c 3 -i 0.5 -W 1 "$2" > /dev/null 2>&1; }
check "the listener answers inside sz (so a refusal from outside is the filter's)" \
	wait_until 5 tcp_once "${ns_of[sz]}" "$z"
check "ra cannot ping sz (no ICMP ingress rule)" not ping3 "${ns_of[ra]}" "$z"
check "ra cannot connect to sz:8080 (no TCP ingress rule)" not tcp_once "${ns_of[ra]}" "$z"
check "sz reaches ra all the same (Neutron's default egress rules; replies come back)" \
	ping_ok "${ns_of[sz]}" "${ip_of[ra-eth0]}" 10

r_icmp=$(sg_allow_icmp "$closed_id" | jq -er .security_group_rule.id) || die "adding the ICMP rule"
check "after the ICMP rule is added, ra pings sz (within 15 s)" ping_ok "${ns_of[ra]}" "$z" 15
check "TCP stays closed (the rule is ICMP only)" not tcp_once "${ns_of[ra]}" "$z"
r_tcp=$(neutron POST security-group-rules "$(jq -nc --arg sg "$closed_id" '{security_group_rule: {
	security_group_id: $sg, direction: "ingress", ethertype: "IPv4", protocol: "tcp",
	port_range_min: 8080, port_range_max: 8080}}')" | jq -er .security_group_rule.id) ||
	die "adding the TCP rule"
check "after the TCP 8080 rule is added, ra connects to sz:8080 (within 15 s)" \
	wait_until 15 tcp_once "${ns_of[ra]}" "$z"

neutron DELETE "security-group-rules/$r_icmp" > /dev/null || fail "deleting the ICMP rule"
neutron DELETE "security-group-rules/$r_tcp" > /dev/null || fail "deleting the TCP rule"
ping_closed() { ! ping3 "$@"; }
tcp_closed() { ! tcp_once "$@"; }
check "after the rules are removed, ra's pings to sz fail again (within 20 s)" \
	wait_until 20 ping_closed "${ns_of[ra]}" "$z"
check "and TCP to sz:8080 fails again (within 20 s)" wait_until 20 tcp_closed "${ns_of[ra]}" "$z"

# --- 3. two interfaces, two networks, one daemon ------------------------------------
add m "$H1" net-a open eth0
add m "$H1" net-b open eth1
say "m: eth0 ${ip_of[m-eth0]} (A), eth1 ${ip_of[m-eth1]} (B)"
check "m's eth0 is on A, its eth1 on B" test "${ip_of[m-eth0]%.*}" = "$pa" -a "${ip_of[m-eth1]%.*}" = "$pb"
check "m's route to rc (A) is eth0, on-link" on_link "${ns_of[m]}" "${ip_of[rc-eth0]}" eth0
check "m pings rc (A, same host) out of eth0" wait_until 10 ping_if "${ns_of[m]}" eth0 "${ip_of[rc-eth0]}"
check "m's route to rb (B) is eth1, on-link" on_link "${ns_of[m]}" "${ip_of[rb-eth0]}" eth1
check "m pings rb (B, host2) out of eth1" wait_until 15 ping_if "${ns_of[m]}" eth1 "${ip_of[rb-eth0]}"
p1=$(held_port "$H1" "$NAME-m" eth1)
device_is() { [ "$(port_get "$1" | jq -r .device_id)" = "$2" ]; } # PORT_ID DEVICE_ID
check "eth1's port $p1 is the container's in Neutron (device_id)" wait_until 30 device_is "$p1" "$NAME-m"
del m "$H1" eth1
check "DEL eth1: eth1 is gone" wait_until 5 link_absent "${ns_of[m]}" eth1
check "DEL eth1: eth0 stays, with its address" grep -q "${ip_of[m-eth0]}/" \
	<<< "$(ip -n "${ns_of[m]}" -4 -o addr show dev eth0)"
holds_none() { ! held_port "$@" 2> /dev/null; }
check "DEL eth1: the daemon holds nothing for eth1" holds_none "$H1" "$NAME-m" eth1
check "DEL eth1: its port is no longer the container's (device_id)" \
	wait_until 30 not device_is "$p1" "$NAME-m"
check "m still pings rc out of eth0" wait_until 5 ping_if "${ns_of[m]}" eth0 "${ip_of[rc-eth0]}"
del m "$H1" eth0
check "DEL eth0: eth0 is gone" wait_until 5 link_absent "${ns_of[m]}" eth0

# --- 4. podman: two superfluid networks -------------------------------------------
# podman_e2e.sh says how podman runs here.
if podman_usable; then
	podman_private "$B"
	for n in a b; do
		jq -n --arg n "$NAME-pm-$n" --arg net "$NAME-net-$n" --arg sg "$NAME-open" \
			--arg s "$(scripts/sfhost sock "$H1")" '{cniVersion: "1.0.0", name: $n,
			plugins: [{type: "superfluid", network: $net, securityGroups: [$sg], socket: $s}]}' \
			> "$pm_dir/net.d/$NAME-pm-$n.conflist"
	done
	if cid=$(pm run -d --name "$NAME-pm" --network "$NAME-pm-a,$NAME-pm-b" --rootfs "$pm_dir/rootfs" \
		sleep 600 2> "$tmp/pm.err"); then
		pass "podman run --network $NAME-pm-a,$NAME-pm-b"
		addrs=$(pm exec "$NAME-pm" ip -o -4 addr show | awk '$2 != "lo" {print $2, $4}' | sort)
		say "the container's interfaces: $(tr '\n' ' ' <<< "$addrs")"
		lent() { # CID -> its ports per Neutron (device_id), once there are two
			ports=$(neutron GET "ports?device_id=$1" | jq -c '[.ports[] | {net: .network_id,
				ip: .fixed_ips[0].ip_address, mac: .mac_address}]') &&
				[ "$(jq length <<< "$ports")" = 2 ]
		}
		wait_until 10 lent "$cid"
		check "Neutron lends it two ports, one on each network" jq -e --arg a "$neta" --arg b "$netb" \
			'length == 2 and ([.[].net] | sort) == ([$a, $b] | sort)' <<< "$ports"
		check "the container has two interfaces with those ports' addresses" test \
			"$(awk '{sub("/.*", "", $2); print $2}' <<< "$addrs" | sort | tr '\n' ' ')" = \
			"$(jq -r '.[].ip' <<< "$ports" | sort | tr '\n' ' ')"
		pm rm -f -t 0 "$NAME-pm" > /dev/null 2>&1
		none_lent() { neutron GET "ports?device_id=$1" | jq -e '.ports | length == 0' > /dev/null; }
		check "podman rm: no port is lent to it any more" wait_until 10 none_lent "$cid"
	else
		fail "podman run with two networks: $(cat "$tmp/pm.err")"
	fi
else
	say "podman, runc or /bin/busybox missing: the podman part is not run"
fi

finish
