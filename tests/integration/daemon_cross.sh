#!/usr/bin/env bash
# Two superfluidd instances, one on each simulated host, on one Neutron
# network: containers on different hosts reach each other over Neutron's
# VXLAN, and security groups hold: a container whose group has no ICMP
# ingress rule is not pinged (its address still resolves: the path is
# there), until an operator adds the rule with `openstack security group
# rule create`, which the agents apply to the pool's already-wired port.
# Exit 0 pass, 1 fail, 77 skip.  Cleans up all it makes, pass or fail.
# Variables set by the lib's makers (printf -v) and functions run through
# check/wait_until are invisible to shellcheck.
# shellcheck disable=SC2154,SC2317
T=daemon_cross
# shellcheck source=tests/integration/lib/daemon.sh
. "$(dirname "$0")/lib/daemon.sh"

testnet open:icmp closed

start_instance h1 host1 < <(pool_ini min=2 max=4 batch=2 open:net:open)
H1=$INSTANCE
start_instance h2 host2 < <(pool_ini min=2 max=4 batch=2 open:net:open closed:net:closed)
H2=$INSTANCE
say "instances $H1 on host1, $H2 on host2; waiting for their pools"
wait_pool "$H1" open 2 60
wait_pool "$H2" open 2 60
wait_pool "$H2" closed 2 60

# add LABEL INSTANCE GROUP: a container with eth0 on the group's pool.
declare -A ns_of ip_of mac_of conf_of
add() {
	local c=$1 inst=$2 sg=$3
	mk_netns "ns_of[$c]" "$c"
	conf_of[$c]=$(CONF_SOCKET=$(scripts/sfhost sock "$inst") conf 1.0.0 "$NAME-net" "[\"$NAME-$sg\"]")
	cni ADD "$NAME-$c" "/run/netns/${ns_of[$c]}" eth0 "${conf_of[$c]}"
	expect "ADD $c on $inst (group $sg); no \"dns\" (the subnet has none)" 0 \
		'.ips[0].address != null and (has("dns") | not)' || die "ADD $c"
	ip_of[$c]=$(jq -r '.ips[0].address | sub("/.*"; "")' <<< "$out")
	mac_of[$c]=$(jq -r '.interfaces[0].mac' <<< "$out")
}
add x "$H1" open
add y "$H2" open
add z "$H2" closed
say "x ${ip_of[x]} on host1, y ${ip_of[y]} on host2, z ${ip_of[z]} on host2 (closed)"

port_by_mac() { neutron GET "ports?network_id=$net_id&mac_address=$1" | jq -c '.ports[0]'; }
check "x's port is bound to host1" jq -e '.["binding:host_id"] == "host1" and .status == "ACTIVE"' \
	<<< "$(port_by_mac "${mac_of[x]}")"
check "y's port is bound to host2" jq -e '.["binding:host_id"] == "host2" and .status == "ACTIVE"' \
	<<< "$(port_by_mac "${mac_of[y]}")"
check "z's port is bound to host2 with only the closed group" \
	jq -e ".[\"binding:host_id\"] == \"host2\" and .security_groups == [\"$closed_id\"]" \
	<<< "$(port_by_mac "${mac_of[z]}")"

check "x (host1) pings y (host2) across the VXLAN" ping_ok "${ns_of[x]}" "${ip_of[y]}" 15
check "y (host2) pings x (host1)" ping_ok "${ns_of[y]}" "${ip_of[x]}" 5
check "z pings x (its group lets traffic out; the replies come back)" \
	ping_ok "${ns_of[z]}" "${ip_of[x]}" 10

# No ICMP ingress rule: x's pings to z are dropped by z's port filter.
if ip netns exec "${ns_of[x]}" ping -c 3 -i 0.5 -W 1 "${ip_of[z]}" > /dev/null 2>&1; then
	fail "x pings z although z's group has no ICMP ingress rule"
else
	pass "x cannot ping z: z's group has no ICMP ingress rule"
fi
check "x resolves z's address to z's MAC all the same (the path is there)" \
	grep -qi "lladdr ${mac_of[z]}" <<< "$(ip -n "${ns_of[x]}" neigh show "${ip_of[z]}")"

say "openstack security group rule create --ingress --protocol icmp $NAME-closed"
openstack security group rule create --ingress --ethertype IPv4 --protocol icmp "$closed_id" \
	> /dev/null || die "adding the ICMP rule"
start=$SECONDS
check "after the rule is added, x pings z (within 15 s)" ping_ok "${ns_of[x]}" "${ip_of[z]}" 15
say "the rule took effect after about $((SECONDS - start)) s"

for c in x y z; do
	inst=$H1
	[ "$c" = x ] || inst=$H2
	CONF_SOCKET=$(scripts/sfhost sock "$inst") cni DEL "$NAME-$c" "/run/netns/${ns_of[$c]}" eth0 \
		"${conf_of[$c]}"
	expect "DEL $c" 0 ""
	check "DEL $c: its eth0 is gone" wait_until 5 link_absent "${ns_of[$c]}" eth0
done

finish
