#!/usr/bin/env bash
# IPv6 subnets with an address mode, against the real Neutron: a SLAAC
# subnet (ipv6_address_mode and ipv6_ra_mode slaac) and a DHCPv6-stateful
# one, each a v6-only network with a pool on host1.  The CNI result holds
# the address Neutron gave the port (on SLAAC, the EUI-64 of its MAC) and
# the v6 default route; the address is on eth0 and usable at once (not
# tentative); DEL leaves nothing.  Bad input: a chosen address on the SLAAC
# subnet that is not the port's EUI-64 is refused (code 7, Neutron's
# reason) and leaves no port.  daemon_ipv6.sh covers the no-mode subnets.
# Exit 0 pass, 1 fail, 77 skip.
# shellcheck disable=SC2016,SC2154,SC2317
T=daemon_ipv6_modes
# shellcheck source=tests/integration/lib/daemon.sh
. "$(dirname "$0")/lib/daemon.sh"

p6=$(rand_prefix6)
# mk_mode_subnet VAR NETWORK_ID PREFIX6 MODE: a /64 with both modes MODE
# (Neutron wants DHCP enabled for a mode).
mk_mode_subnet() {
	local _mk_id
	_mk_id=$(neutron POST subnets "$(jq -nc --arg net "$2" --arg p "$3" --arg n "$NAME" \
		--arg m "$4" '{subnet: {name: $n, network_id: $net, ip_version: 6,
		cidr: ($p + "::/64"), gateway_ip: ($p + "::1"), enable_dhcp: true,
		ipv6_address_mode: $m, ipv6_ra_mode: $m}}')" | jq -er .subnet.id) ||
		die "creating the $4 subnet $3::/64"
	printf -v "$1" '%s' "$_mk_id"
}
mk_network slaac_net_id slaac
mk_mode_subnet slaac_sub "$slaac_net_id" "$p6:1" slaac
mk_network dhcp_net_id dhcp
mk_mode_subnet dhcp_sub "$dhcp_net_id" "$p6:2" dhcpv6-stateful
mk_sg sg_id sg icmp
say "SLAAC $NAME-slaac ($p6:1::/64), DHCPv6-stateful $NAME-dhcp ($p6:2::/64)"

start_instance m host1 < <(pool_ini min=1 max=2 batch=1 cooldown_ms=500 s:slaac:sg d:dhcp:sg)
I=$INSTANCE
CONF_SOCKET=$(scripts/sfhost sock "$I")
for p in s d; do wait_pool "$I" "$p" 1 90; done

# eui64 MAC PREFIX6: the SLAAC address of MAC in PREFIX6::/64 (RFC 4291's
# modified EUI-64: the universal bit flipped, ff:fe in the middle).
eui64() {
	python3 -c 'import ipaddress, sys
m = bytes.fromhex(sys.argv[1].replace(":", ""))
iid = bytes([m[0] ^ 2]) + m[1:3] + b"\xff\xfe" + m[3:6]
net = ipaddress.ip_network(sys.argv[2] + "::/64")
print(net[int.from_bytes(iid, "big")])' "$1" "$2"
}

for mode in slaac dhcp; do
	pre=$p6:1; [ "$mode" = dhcp ] && pre=$p6:2
	mk_netns ns "$mode"
	cf=$(conf 1.1.0 "$NAME-$mode" "[\"$NAME-sg\"]")
	cni ADD "$NAME-$mode" "/run/netns/$ns" eth0 "$cf"
	expect "$mode ADD (1.1.0): one v6 address in $pre::/64, the v6 default route" 0 "
		(.ips | length) == 1 and (.ips[0].address | startswith(\"$pre:\")) and
		(.ips[0].address | endswith(\"/64\")) and .ips[0].gateway == \"$pre::1\" and
		(.routes | index([{dst: \"::/0\", gw: \"$pre::1\"}]) != null)"
	a=$(jq -r '.ips[0].address | split("/")[0]' <<< "$out")
	mac=$(jq -r '.interfaces[] | select(.sandbox) | .mac' <<< "$out")
	port=$(held_port "$I" "$NAME-$mode") || fail "$mode: no port held"
	check "$mode: the address is the port's in Neutron" jq -e --arg a "$a" \
		'[.port.fixed_ips[].ip_address] == [$a]' <<< "$(neutron GET "ports/$port")"
	[ "$mode" = slaac ] && check "slaac: the address is the EUI-64 of eth0's MAC ($mac: $(eui64 "$mac" "$pre"))" \
		test "$(python3 -c 'import ipaddress, sys; print(ipaddress.ip_address(sys.argv[1]))' "$a")" = \
		"$(eui64 "$mac" "$pre")"
	check "$mode: on eth0 and usable at once (not tentative)" \
		eval 'ip -n "$ns" -6 -o addr show dev eth0 | grep " $a/64 " | grep -vq tentative'
	check "$mode: the default route via $pre::1" \
		eval 'ip -n "$ns" -6 route show default | grep -q "via $pre::1 dev eth0"'
	cni DEL "$NAME-$mode" "/run/netns/$ns" eth0 "$cf"
	expect "$mode DEL" 0 ""
	check "$mode: eth0 is gone" not ip -n "$ns" link show eth0
done

# --- bad input: a chosen address SLAAC would not give -------------------------------------------
mk_netns nb bad
cni ADD "$NAME-bad" "/run/netns/$nb" eth0 \
	"$(conf 1.0.0 "$NAME-slaac" "[\"$NAME-sg\"]" ". + {runtimeConfig: {ips: [\"$p6:1::77/64\"]}}")"
expect "a chosen address on the SLAAC subnet: code 7" 1 '.code == 7'
say "its reason: $(jq -r .msg <<< "$out")"
check "... no eth0 made" not ip -n "$nb" link show eth0
check "... no port held for it" not held_port "$I" "$NAME-bad"
check "... no port left behind: Neutron's ports of the instance are the daemon's" \
	wait_until 20 ports_agree "$I"
finish
