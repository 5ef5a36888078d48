#!/usr/bin/env bash
# IPv6 and dual stack in the nested modes (docs/nested.md), against the real
# Neutron: one network with a v4 and a v6 subnet (no address mode), two
# macvlan-mode VMs (host1, host2), a VLAN-mode VM (host1) and a bare-metal
# daemon on host2.  Asserted, macvlan mode: every address of the pool's
# ports, v6 too, is an allowed address pair of the VM's port (with the
# port's MAC) before any ADD; the CNI result holds the v6 address and the v6
# default route; the v6 address is usable at once (not tentative) and the
# macvlan's link-local passes DAD; the VM's group decides per family (ICMPv4
# only: v4 pings pass, v6 ones into the VM are dropped while the stateful
# reply of x's own ping6 to a bare-metal container comes back; the ICMPv6
# rule added: nested containers on two hosts ping6 each other, the
# bare-metal one and a peer's link-local, which Neutron allows only for the
# MAC of a v6 pair); v4 still works beside; bad v6 input gets code 7 and
# leaves nothing; DEL keeps the pairs of the pooled port, and a pool emptied
# takes every pair, v6 too, off the VM's port.  VLAN mode: the subport holds
# both addresses; on a kernel without 802.1Q (these machines) the ADD fails
# clearly and leaves nothing, the v6 data plane being vlan_guest's; the
# VLAN pool emptied leaves no subport on the trunk.
# Exit 0 pass, 1 fail, 77 skip.  Cleans up all it makes, pass or fail.
# shellcheck disable=SC2016,SC2154,SC2317
T=nested_ipv6
# shellcheck source=tests/integration/lib/daemon.sh
. "$(dirname "$0")/lib/daemon.sh"
# shellcheck source=tests/integration/lib/vm.sh
. "$(dirname "$0")/lib/vm.sh"

# vm: the VMs' group, ICMPv4 in only for now; open: the bare-metal
# container's, ICMP in for both families.
testnet vm:icmp open:icmp
p6=$(rand_prefix6)
mk_v6_subnet subnet6_id "$net_id" "$p6"
sg_allow_icmp6 "$open_id" > /dev/null || die "the ICMPv6 rule on $NAME-open"
say "dual stack: $pfx.0/24 and $p6::/64 on $NAME-net"

# The VMs' own ports have their v4 address only: a container's v6 needs
# none on the VM.
mk_vm vm1 a host1 "$net_id" "$subnet_id" --sg "$vm_id" --mode macvlan
mk_vm vm2 b host2 "$net_id" "$subnet_id" --sg "$vm_id" --mode macvlan
mk_vm vm3 t host1 "$net_id" "$subnet_id" --sg "$vm_id" --trunk --mode vlan
say "VMs $vm1_ns (host1, macvlan), $vm2_ns (host2, macvlan), $vm3_ns (host1, VLAN, trunk $vm3_trunk)"

start_instance v1 "$vm1_host" < <(pool_ini min=2 max=4 batch=2 cooldown_ms=200 p:net)
V1=$INSTANCE
start_instance v2 "$vm2_host" < <(pool_ini min=1 max=1 batch=1 cooldown_ms=200 p:net)
V2=$INSTANCE
start_instance vt "$vm3_host" < <(pool_ini min=1 max=2 batch=1 cooldown_ms=200 p:net)
VT=$INSTANCE
start_instance bm host2 < <(pool_ini min=1 max=1 batch=1 open:net:open)
BM=$INSTANCE
wait_pool "$V1" p 2 90
wait_pool "$V2" p 1 90
wait_pool "$VT" p 1 90
wait_pool "$BM" open 1 60

v6_pairs() { jq '[.[] | select(.ip_address | contains(":"))] | length' <<< "$1"; }
pp=$(pool_pairs "$V1")
check "VM a's port carries both addresses of each of its pool's 2 ports, v6 too, with the port's MAC" \
	test "$(vm_pairs "$vm1_port")" = "$pp"
check "... 2 of its pairs are v6 addresses in $p6::/64" test "$(v6_pairs "$pp")" = 2

declare -A ns_of ip4_of ip6_of mac_of conf_of
# cadd LABEL INSTANCE [SG_JSON]: a dual-stack container; its addresses recorded.
cadd() {
	local c=$1 inst=$2
	mk_netns "ns_of[$c]" "$c"
	conf_of[$c]=$(CONF_SOCKET=$(scripts/sfhost sock "$inst") conf 1.0.0 "$NAME-net" "${3:-}")
	cni ADD "$NAME-$c" "/run/netns/${ns_of[$c]}" eth0 "${conf_of[$c]}"
	expect "ADD $c on $inst: a v4 and a v6 address, both default routes" 0 "
		(.ips | length) == 2 and
		([.ips[] | select(.address | startswith(\"$p6:\") and endswith(\"/64\"))] | length) == 1 and
		([.ips[].gateway] | sort) == ([\"$pfx.1\", \"$p6::1\"] | sort) and
		(.routes | index([{dst: \"0.0.0.0/0\", gw: \"$pfx.1\"}]) != null) and
		(.routes | index([{dst: \"::/0\", gw: \"$p6::1\"}]) != null)" || die "ADD $c"
	ip4_of[$c]=$(jq -r '.ips[] | select(.address | contains(":") | not) | .address | sub("/.*"; "")' <<< "$out")
	ip6_of[$c]=$(jq -r '.ips[] | select(.address | contains(":")) | .address | sub("/.*"; "")' <<< "$out")
	mac_of[$c]=$(jq -r '.interfaces[] | select(.sandbox) | .mac' <<< "$out")
}
cadd x "$V1"
cadd y "$V2"
cadd b "$BM" "[\"$NAME-open\"]"
say "x ${ip4_of[x]} ${ip6_of[x]} (VM a), y ${ip4_of[y]} ${ip6_of[y]} (VM b), b ${ip6_of[b]} (host2)"

xport=$(held_port "$V1" "$NAME-x") || fail "x holds no port"
check "x's v6 address is a pair of VM a's port, with x's MAC" jq -e --arg a "${ip6_of[x]}" \
	--arg m "${mac_of[x]}" 'index([{ip_address: $a, mac_address: $m}]) != null' <<< "$(vm_pairs "$vm1_port")"
check "... and x's port's own in Neutron" jq -e --arg a "${ip6_of[x]}" \
	'[.fixed_ips[].ip_address] | index([$a]) != null' <<< "$(port_get "$xport")"
check "x's eth0 is a macvlan with its port's MAC" \
	jq -e --arg m "${mac_of[x]}" '.linkinfo.info_kind == "macvlan" and .address == $m' \
	<<< "$(ip -d -j -n "${ns_of[x]}" link show dev eth0 | jq -c '.[0]')"
check "x's v6 address is on eth0 and usable at once (not tentative)" \
	eval 'ip -n "${ns_of[x]}" -6 -o addr show dev eth0 | grep " ${ip6_of[x]}/64 " | grep -vq tentative'
check "x's v6 default route is via $p6::1" \
	eval 'ip -n "${ns_of[x]}" -6 route show default | grep -q "via $p6::1 dev eth0"'
ll_ok() { # NS: eth0 has a link-local address that passed DAD
	ip -n "$1" -6 -o addr show dev eth0 scope link | grep -q 'fe80::' &&
		! ip -n "$1" -6 -o addr show dev eth0 scope link | grep -Eq 'tentative|dadfailed'
}
check "x's macvlan has a link-local address that passes DAD" wait_until 10 ll_ok "${ns_of[x]}"

ping6_once() { ip netns exec "$1" ping -6 -c 1 -W 1 "$2" > /dev/null 2>&1; }
# The VMs' group lets ICMPv4 in, not ICMPv6.
check "v4: x (VM a, host1) pings y (VM b, host2)" ping_ok "${ns_of[x]}" "${ip4_of[y]}" 20
check "v6: x pings6 the bare-metal b on host2 (NDP through VM a's port; the reply is stateful)" \
	wait_until 20 ping6_once "${ns_of[x]}" "${ip6_of[b]}"
check "v6: b's ping6 to y is dropped: VM b's group has no ICMPv6 rule" \
	not ip netns exec "${ns_of[b]}" ping -6 -c 3 -W 1 "${ip6_of[y]}"
check "v6: x's ping6 to y is dropped too" not ip netns exec "${ns_of[x]}" ping -6 -c 2 -W 1 "${ip6_of[y]}"
sg_allow_icmp6 "$vm_id" > /dev/null || die "the ICMPv6 rule on $NAME-vm"
check "with the ICMPv6 rule on the VMs' group, x pings6 y across hosts" \
	wait_until 20 ping6_once "${ns_of[x]}" "${ip6_of[y]}"
check "y pings6 x" wait_until 5 ping6_once "${ns_of[y]}" "${ip6_of[x]}"
check "b (bare metal) pings6 y (in VM b)" wait_until 5 ping6_once "${ns_of[b]}" "${ip6_of[y]}"
yll=$(ip -n "${ns_of[y]}" -6 -o addr show dev eth0 scope link | awk '{ sub("/.*", "", $4); print $4; exit }')
check "x pings6 y's link-local $yll (Neutron allows a v6 pair's MAC its link-local)" \
	wait_until 10 ping6_once "${ns_of[x]}" "$yll%eth0"
check "v4 still works beside v6: y pings x" ping_ok "${ns_of[y]}" "${ip4_of[x]}" 5

# VLAN mode: the subport carries both families.
tport=$(instance_ports "$VT")
check "the VLAN VM's pool port is a subport of its trunk" jq -e --arg p "$tport" \
	'.trunk.sub_ports | map(.port_id) | index([$p]) != null' <<< "$(neutron GET "trunks/$vm3_trunk")"
check "... with a v4 and a v6 address in Neutron" jq -e --arg p6 "$p6:" \
	'[.fixed_ips[].ip_address] | (length == 2) and (map(select(startswith($p6))) | length == 1)' \
	<<< "$(port_get "$tport")"
mk_netns "ns_of[t]" t
conf_of[t]=$(CONF_SOCKET=$(scripts/sfhost sock "$VT") conf 1.0.0 "$NAME-net")
cni ADD "$NAME-t" "/run/netns/${ns_of[t]}" eth0 "${conf_of[t]}"
if ip netns exec "$vm3_ns" ip link add link eth0 name sfprobe type vlan id 4094 2> /dev/null; then
	ip netns exec "$vm3_ns" ip link del sfprobe
	expect "ADD t (VLAN mode): the subport's v6 address and route" 0 \
		"[.ips[] | select(.address | startswith(\"$p6:\"))] | length == 1" &&
		t6=$(jq -r '.ips[] | select(.address | contains(":")) | .address | sub("/.*"; "")' <<< "$out")
	check "t's v6 address ${t6:-} is on its 802.1Q eth0, not tentative" \
		eval 'ip -n "${ns_of[t]}" -6 -o addr show dev eth0 | grep " ${t6:-none}/64 " | grep -vq tentative'
	cni DEL "$NAME-t" "/run/netns/${ns_of[t]}" eth0 "${conf_of[t]}"
	expect "DEL t" 0 ""
else
	say "this kernel has no 802.1Q devices: VLAN mode's v6 data plane is vlan_guest's"
	expect "ADD t (VLAN mode) fails with a CNI error that says why" 1 \
		'.code == 999 and (.msg | test("802.1Q"))'
	check "t has no interface left" test "$(links_of "${ns_of[t]}")" = ""
fi
check "t's port is back in the VLAN pool" wait_until 60 pool_settled "$VT" p 1

# Bad v6 input: code 7, nothing left.
mk_netns "ns_of[bad]" bad
n=0
for ip in "$p6::zz/64" "$p6::77/129" "fd00:dead::5/64"; do
	n=$((n + 1))
	cni ADD "$NAME-bad$n" "/run/netns/${ns_of[bad]}" eth0 "$(jq -c --arg ip "$ip" \
		'. + {runtimeConfig: {ips: [$ip]}}' <<< "${conf_of[x]}")"
	expect "ADD with runtimeConfig.ips [$ip] in a VM: code 7" 1 '.code == 7'
	say "its reason: $(jq -r .msg <<< "$out")"
	check "... no interface made" test "$(links_of "${ns_of[bad]}")" = ""
	check "... no port held for it" not eval 'held_port "$V1" "$NAME-bad$n" 2> /dev/null'
done
check "... nothing leaked: VM a's pairs are still its pool's" test "$(vm_pairs "$vm1_port")" = "$(pool_pairs "$V1")"
check "... and Neutron's ports of VM a's daemon are the daemon's" ports_agree "$V1"

for c in x y; do
	cni DEL "$NAME-$c" "/run/netns/${ns_of[$c]}" eth0 "${conf_of[$c]}"
	expect "DEL $c" 0 ""
done
cni DEL "$NAME-b" "/run/netns/${ns_of[b]}" eth0 "${conf_of[b]}"
expect "DEL b" 0 ""
check "x's macvlan is gone after DEL" wait_until 10 link_absent "${ns_of[x]}" eth0
check "x's port is back in the pool" wait_until 60 pool_settled "$V1" p 4
check "... ready again: $xport" eval '[ "$(port_state "$V1" "$xport" | tr A-Z a-z)" = ready ]'
check "... its v6 pair still on VM a's port, ready for the next ADD" jq -e --arg a "${ip6_of[x]}" \
	'map(.ip_address) | index([$a]) != null' <<< "$(vm_pairs "$vm1_port")"
check "VM a's pool emptied: none of its ports left in Neutron" vm_pool_empty "$V1"
check "... and no pair on VM a's port, v4 or v6" test "$(vm_pairs "$vm1_port")" = "[]"
check "the VLAN pool emptied too: none of its ports left" vm_pool_empty "$VT"
check "... and no subport left on the trunk" \
	jq -e '.trunk.sub_ports == []' <<< "$(neutron GET "trunks/$vm3_trunk")"
finish
