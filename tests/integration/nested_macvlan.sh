#!/usr/bin/env bash
# Nested containers, macvlan mode (docs/nested.md): a superfluidd runs
# inside each of two simulated VMs (one on host1, one on host2) whose NIC is
# a real Neutron port; the VMs' containers get Neutron ports of their own,
# carried as allowed address pairs of the VM's port and reached through a
# macvlan on the VM's NIC.  Asserted: the pool's pairs are on the VM's port
# before any ADD, a warm ADD makes no Neutron call, nested containers on two
# hosts reach each other, their VMs and a bare-metal container, the VM's
# security group governs them (absent rule blocks, added rule opens), the
# underlay carries one VXLAN header, the devices go on DEL, and a pool that
# shrinks takes its pairs off the VM's port, leaving only what was there.
# Exit 0 pass, 1 fail, 77 skip.  Cleans up all it makes, pass or fail.
# shellcheck disable=SC2154,SC2317
T=nested_macvlan
# shellcheck source=tests/integration/lib/daemon.sh
. "$(dirname "$0")/lib/daemon.sh"
# shellcheck source=tests/integration/lib/vm.sh
. "$(dirname "$0")/lib/vm.sh"

# Group vm, for the VMs' ports, has no ingress rule yet.
testnet vm open:icmp

mk_vm vm1 a host1 "$net_id" "$subnet_id" --sg "$vm_id" --mode macvlan
mk_vm vm2 b host2 "$net_id" "$subnet_id" --sg "$vm_id" --mode macvlan
say "VMs ${vm1_ns} (host1, $vm1_ip) and ${vm2_ns} (host2, $vm2_ip)"

vm_ini=(min=3 max=3 batch=3 cooldown_ms=200 p:net)
start_instance v1 "$vm1_host" < <(pool_ini "${vm_ini[@]}")
V1=$INSTANCE
start_instance v2 "$vm2_host" < <(pool_ini "${vm_ini[@]}")
V2=$INSTANCE
start_instance bm host2 < <(pool_ini min=1 max=2 batch=1 open:net:open)
BM=$INSTANCE
say "instances $V1 in VM a, $V2 in VM b, $BM on host2 (bare metal); waiting for their pools"
wait_pool "$V1" p 3 90
wait_pool "$V2" p 3 90
wait_pool "$BM" open 1 60

check "VM a's port carries its pool's 3 ports as allowed address pairs before any ADD" \
	test "$(vm_pairs "$vm1_port")" = "$(pool_pairs "$V1")"
check "the pool's ports are not bound to any host (the VM's port carries them)" \
	jq -e 'all(.["binding:host_id"] == "")' <<< "$(for id in $(instance_ports "$V1"); do port_get "$id"; done | jq -s .)"

vm_netns_of() { sed -n 's#^netns = /run/netns/##p' "$(scripts/sfhost conf "$1")"; }
metrics() { ip netns exec "$(vm_netns_of "$1")" curl -sf "http://$(scripts/sfhost metrics "$1")/metrics"; }
neutron_calls() {
	metrics "$1" | awk '/^superfluid_neutron_request_duration_seconds_count/ { s += $NF }
		END { print s + 0 }'
}

declare -A ns_of ip_of mac_of conf_of
add() { # LABEL INSTANCE
	local c=$1 inst=$2
	mk_netns "ns_of[$c]" "$c"
	conf_of[$c]=$(CONF_SOCKET=$(scripts/sfhost sock "$inst") conf 1.0.0 "$NAME-net")
	cni ADD "$NAME-$c" "/run/netns/${ns_of[$c]}" eth0 "${conf_of[$c]}"
	expect "ADD $c on $inst" 0 '.ips[0].address != null' || die "ADD $c"
	ip_of[$c]=$(jq -r '.ips[0].address | sub("/.*"; "")' <<< "$out")
	mac_of[$c]=$(jq -r '.interfaces[0].mac' <<< "$out")
}
# Let the refiller and syncer settle, then count the warm ADD's calls.
sleep 2
calls0=$(neutron_calls "$V1")
add x "$V1"
calls1=$(neutron_calls "$V1")
check "a warm nested ADD made no Neutron call ($calls0 -> $calls1)" test "$calls1" = "$calls0"
add y "$V2"
conf_of[b]=$(CONF_SOCKET=$(scripts/sfhost sock "$BM") conf 1.0.0 "$NAME-net" "[\"$NAME-open\"]")
mk_netns "ns_of[b]" b
cni ADD "$NAME-b" "/run/netns/${ns_of[b]}" eth0 "${conf_of[b]}"
expect "ADD b on host2 (bare metal)" 0 '.ips[0].address != null' || die "ADD b"
ip_of[b]=$(jq -r '.ips[0].address | sub("/.*"; "")' <<< "$out")
say "x ${ip_of[x]} in VM a, y ${ip_of[y]} in VM b, b ${ip_of[b]} on host2"

x_port=$(held_port "$V1" "$NAME-x") || die "no port for x"
x_pmac=$(port_get "$x_port" | jq -r .mac_address)
check "x's eth0 is a macvlan with the MAC the ADD answered" \
	jq -e --arg m "${mac_of[x]}" '.linkinfo.info_kind == "macvlan" and .address == $m' \
	<<< "$(ip -d -j -n "${ns_of[x]}" link show dev eth0 | jq -c '.[0]')"
own_mac() { [ "${mac_of[x]}" = "$(macvlan_mac "$x_pmac")" ] && [ "${mac_of[x]}" != "$x_pmac" ]; }
check "... its own MAC, not the port's ($x_pmac): the one of x's pair on the VM's port" own_mac
check "VM a's namespace holds no macvlan (x's was made straight in x's namespace)" \
	jq -e 'all(.[]; (.linkinfo.info_kind // "") != "macvlan")' <<< "$(ip -d -j -n "$vm1_ns" link show)"

# The VMs' group has no ingress rule: the containers are shut off, as the
# VMs themselves are.
check "without an ingress rule on the VM's group, x cannot ping y" not ping_once "${ns_of[x]}" "${ip_of[y]}"
neutron POST security-group-rules "$(jq -nc --arg sg "$vm_id" '{security_group_rule: {
	security_group_id: $sg, direction: "ingress", ethertype: "IPv4", protocol: "icmp"}}')" \
	> "$tmp/rule" || die "adding the ICMP rule"
rule_id=$(jq -r .security_group_rule.id "$tmp/rule")
check "with the rule added, x (VM a, host1) pings y (VM b, host2)" ping_ok "${ns_of[x]}" "${ip_of[y]}" 20
check "y pings x" ping_ok "${ns_of[y]}" "${ip_of[x]}" 5
check "x pings VM b itself" ping_ok "${ns_of[x]}" "$vm2_ip" 5
check "x pings the bare-metal container b on host2" ping_ok "${ns_of[x]}" "${ip_of[b]}" 5
check "b (bare metal) pings y (in VM b)" ping_ok "${ns_of[b]}" "${ip_of[y]}" 5
check "the underlay carries x's ping to y in exactly one VXLAN header" \
	underlay_capture_check host1 "${ns_of[x]}" "${ip_of[x]}" "${ip_of[y]}"
tap_capture 1 "$vm1_port" "${ns_of[x]}" "${ip_of[y]}" > "$tmp/tap.txt"
say "on VM a's tap: $(head -1 "$tmp/tap.txt")"
check "x's frames leave VM a plain: x's MAC, no 802.1Q tag" \
	awk -v m="${mac_of[x]}" 'index($0, m " > ") && /ethertype IPv4/ { ok = 1 } /802\.1Q/ { bad = 1 }
		END { exit !(ok && !bad) }' "$tmp/tap.txt"
neutron DELETE "security-group-rules/$rule_id" > /dev/null || fail "removing the rule"
check "with the rule removed again, x no longer reaches y" \
	wait_until 20 not ping_once "${ns_of[x]}" "${ip_of[y]}"

cni DEL "$NAME-x" "/run/netns/${ns_of[x]}" eth0 "${conf_of[x]}"
expect "DEL x" 0 ""
check "x's macvlan is gone after DEL" wait_until 5 link_absent "${ns_of[x]}" eth0
check "x's port is back in the pool" wait_until 10 pool_settled "$V1" p 3

# A container that died without a DEL may leave its macvlan up in a
# namespace that lives on; the kernel then refuses a second one with that
# MAC on the NIC.  The next holder of the port must not pay for it.
mk_netns "ns_of[stale]" stale
k=0
for mac in $(ctl "$V1" ports | jq -r '.ports[] | select(.state | ascii_downcase == "ready") | .mac'); do
	k=$((k + 1))
	ip -n "$vm1_ns" link add link eth0 name "sfleft$k" netns "${ns_of[stale]}" address "$mac" \
		type macvlan mode bridge && ip -n "${ns_of[stale]}" link set "sfleft$k" up ||
		die "making a leftover macvlan"
done
add z "$V1"
check "z's ADD removed the leftover macvlan with its port's MAC" \
	test "$(ip -n "${ns_of[stale]}" -j link | jq --arg m "${mac_of[z]}" '[.[] | select(.address == $m)] | length')" = 0
check "the other leftovers are untouched" \
	test "$(ip -n "${ns_of[stale]}" -j link | jq '[.[] | select(.ifname | startswith("sfleft"))] | length')" = $((k - 1))
check "z's eth0 is up with its port's MAC" \
	jq -e --arg m "${mac_of[z]}" '.address == $m and (.flags | index("UP"))' <<< "$(link_json "${ns_of[z]}" eth0)"
cni DEL "$NAME-z" "/run/netns/${ns_of[z]}" eth0 "${conf_of[z]}"
expect "DEL z" 0 ""
ip netns del "${ns_of[stale]}"

# Shrink VM a's pool to nothing: every pair of ours leaves the VM's port,
# and a pair someone else put there stays.
foreign='{"ip_address": "'$pfx'.250", "mac_address": "fa:16:3e:00:00:fa"}'
neutron PUT "ports/$vm1_port" "{\"port\": {\"allowed_address_pairs\": $(jq -c --argjson f "$foreign" \
	'[.[]] + [$f]' <<< "$(vm_pairs "$vm1_port")")}}" > /dev/null || die "adding a foreign pair"
check "VM a's pool shrank to no port in Neutron" vm_pool_empty "$V1"
check "only the foreign pair is left on VM a's port" \
	test "$(vm_pairs "$vm1_port")" = "$(jq -c '[.] | sort' <<< "$foreign")"
finish
