#!/usr/bin/env bash
# Many networks: two Neutron networks joined by a Neutron router (the real
# L3 agent, on host1), with containers on both hosts: a container on one
# network reaches one on the other through the router (one hop: TTL 63);
# and one container with two interfaces, eth0 and eth1, on the two
# networks through two CNI ADDs served by one daemon: each interface has
# its own port's MAC and address, the default route is the first
# interface's (the second's gateway is not forced on the container), each
# reaches its own network's peer directly, and DEL of eth1 removes eth1
# only.  Exit 0 pass, 1 fail, 77 skip.  Cleans up all it makes.
# shellcheck disable=SC2154,SC2317
T=multinet
# shellcheck source=tests/integration/lib/daemon.sh
. "$(dirname "$0")/lib/daemon.sh"

pa=$(rand_prefix)
pb=$(rand_prefix)
while [ "$pb" = "$pa" ]; do pb=$(rand_prefix); done
mk_network neta a
mk_subnet suba "$neta" "$pa"
mk_network netb b
mk_subnet subb "$netb" "$pb"
mk_sg sg open icmp
say "networks $NAME-a ($pa.0/24) and $NAME-b ($pb.0/24)"

router=$(neutron POST routers "$(jq -nc --arg n "$NAME-r" '{router: {name: $n}}')" |
	jq -er .router.id) || die "creating the router"
unroute() {
	local s
	for s in "$suba" "$subb"; do
		neutron PUT "routers/$router/remove_router_interface" "{\"subnet_id\": \"$s\"}" > /dev/null
	done
	neutron DELETE "routers/$router" > /dev/null || say "deleting router $router failed"
}
cleanup_hooks+=(unroute)
for s in "$suba" "$subb"; do
	neutron PUT "routers/$router/add_router_interface" "{\"subnet_id\": \"$s\"}" > /dev/null ||
		die "adding subnet $s to the router"
done
router_up() {
	neutron GET "ports?device_id=$router" |
		jq -e '(.ports | length) == 2 and all(.ports[]; .status == "ACTIVE")' > /dev/null
}
wait_until 60 router_up || die "the router's interfaces did not turn ACTIVE: $(neutron GET "ports?device_id=$router")"
pass "router $NAME-r joins both subnets; its interfaces are ACTIVE (L3 agent on host1)"

pools() { # NETWORKS...
	printf '[pools]\nmin = 2\nmax = 4\nbatch = 2\ncooldown_ms = 200\n'
	for n in "$@"; do printf '[pool %s]\nnetwork = %s\nsecurity_groups = %s\n' "$n" "$NAME-$n" "$NAME-open"; done
}
start_instance h1 host1 < <(pools a)
H1=$INSTANCE
start_instance h2 host2 < <(pools a b)
H2=$INSTANCE
wait_pool "$H1" a 2 60
wait_pool "$H2" a 2 60
wait_pool "$H2" b 2 60

declare -A ns_of ip_of
cf() { CONF_SOCKET=$(scripts/sfhost sock "$1") conf 1.0.0 "$NAME-$2" "[\"$NAME-open\"]"; }
add() { # LABEL INSTANCE NET IFNAME [NS_LABEL]
	local c=$1 ns=${5:-$1}
	[ -n "${ns_of[$ns]:-}" ] || mk_netns "ns_of[$ns]" "$ns"
	cni ADD "$NAME-$ns" "/run/netns/${ns_of[$ns]}" "$4" "$(cf "$2" "$3")"
	expect "ADD $c ($4 on $NAME-$3)" 0 '.ips[0].address != null' || die "ADD $c"
	ip_of[$c]=$(jq -r '.ips[0].address | sub("/.*"; "")' <<< "$out")
}
add x "$H1" a eth0
add y "$H2" b eth0
say "x ${ip_of[x]} ($NAME-a, host1), y ${ip_of[y]} ($NAME-b, host2)"
check "x (network a, host1) pings y (network b, host2) through the router" \
	ping_ok "${ns_of[x]}" "${ip_of[y]}" 20
ttl=$(ip netns exec "${ns_of[x]}" ping -c 1 -W 2 "${ip_of[y]}" | sed -n 's/.* ttl=\([0-9]*\).*/\1/p')
check "the reply crossed one router (TTL $ttl = 64 - 1)" test "$ttl" = 63
check "y pings x back" ping_ok "${ns_of[y]}" "${ip_of[x]}" 5

# One container, two networks: eth0 on a, eth1 on b, from one daemon.
add m0 "$H2" a eth0 m
add m1 "$H2" b eth1 m
m=${ns_of[m]}
check "m's eth0 has its address on a, eth1 on b" \
	test "$(ip -n "$m" -j -4 addr | jq -r '[.[] | select(.ifname != "lo") |
		"\(.ifname)=\(.addr_info[0].local)"] | sort | join(" ")')" = "eth0=${ip_of[m0]} eth1=${ip_of[m1]}"
check "m's two interfaces carry two different ports' MACs" \
	test "$(ip -n "$m" -j link | jq -r '[.[] | select(.ifname != "lo") | .address] | unique | length')" = 2
check "m's default route is eth0's gateway ($pa.1), and only that one" \
	test "$(ip -n "$m" -j route show default | jq -r '[.[] | "\(.gateway) \(.dev)"] | join(",")')" = "$pa.1 eth0"
check "m pings x (network a) over eth0" ping_ok "$m" "${ip_of[x]}" 10
check "m pings y (network b) over eth1, directly" ping_ok "$m" "${ip_of[y]}" 10
check "the route to y is eth1's own subnet" \
	test "$(ip -n "$m" -j route get "${ip_of[y]}" | jq -r '.[0].dev')" = eth1
cni DEL "$NAME-m" "/run/netns/$m" eth1 "$(cf "$H2" b)"
expect "DEL m's eth1" 0 ""
check "eth1 is gone from m" wait_until 5 link_absent "$m" eth1
check "eth0 stays, and still reaches x" ping_ok "$m" "${ip_of[x]}" 5
check "m's eth1 port is back in pool b" wait_until 10 pool_settled "$H2" b 2
finish
