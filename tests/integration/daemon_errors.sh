#!/usr/bin/env bash
# ADDs that must fail, against a real superfluidd on host1: each gets the
# right CNI error code and leaves nothing behind (no new port in Neutron,
# no interface in the container, no host end, the pool's counts as they
# were).  Then the empty pool: with on_demand = false an ADD fails at once
# with code 11; with on_demand = true it succeeds on the cold path (a port
# created, bound, plugged and ACTIVE within the timeout).
# Exit 0 pass, 1 fail, 77 skip.  Cleans up all it makes, pass or fail.
# Variables set by the lib's makers (printf -v) and functions run through
# check/wait_until are invisible to shellcheck.
# shellcheck disable=SC2154,SC2317
T=daemon_errors
# shellcheck source=tests/integration/lib/daemon.sh
. "$(dirname "$0")/lib/daemon.sh"

testnet sg:icmp sg2:icmp
# Pool p holds two ready ports and never refills while one remains
# (min 1), so that the counts stay put; pool "empty" never fills.
ready_instance e host1 2 60 on_demand=false cooldown_ms=500 p:net:sg min=1 max=4 batch=2 \
	empty:net:sg2 min=0 max=0
E=$INSTANCE
good=$cf
mk_netns ns c
NSP=/run/netns/$ns

# What an ADD must not change: the instance's ports in Neutron, its pools'
# counts, the container's interfaces, host ends (sfc<port>) on host1.
snapshot() {
	local ids id
	ids=$(instance_ports "$E")
	printf 'neutron: %s\n' "$(tr '\n' ' ' <<< "$ids")"
	printf 'pools: %s\n' "$(ctl "$E" pools | jq -c '[.pools[] |
		{name, ready, in_use, cooldown, wiring, deleting, creating}]')"
	printf 'container: %s\n' "$(links_of "$ns")"
	printf 'host ends:'
	for id in $ids; do
		ip -n sf-host1 link show "sfc${id:0:11}" > /dev/null 2>&1 && printf ' sfc%s' "${id:0:11}"
	done
	printf '\n'
}
before=$(snapshot)
say "before: $(tr '\n' ';' <<< "$before")"
unchanged() { [ "$(snapshot)" = "$before" ]; }
left_nothing() { # NAME [SECONDS]
	if wait_until "${2:-0}" unchanged; then
		pass "$1: nothing left behind"
	else
		fail "$1: left something behind; before: $before; now: $(snapshot)"
	fi
}

# error NAME CODE CONF [cni arguments...]: an ADD that must fail with CODE.
error() {
	local name=$1 code=$2 cf=$3 cid=${4:-$NAME-c} netns=${5:-$NSP} ifn=${6:-eth0}
	cni ADD "$cid" "$netns" "$ifn" "$cf"
	expect "$name: code $code" 1 ".code == $code and (.msg | length) > 0" ||
		say "daemon log: $(instance_log "$E" | tail -3)"
	left_nothing "$name"
}

error "cniVersion 0.2.0 (too old)" 1 "$(conf 0.2.0 "$NAME-net" "[\"$NAME-sg\"]")"
error "cniVersion 2.0.0 (not spoken)" 1 "$(conf 2.0.0 "$NAME-net" "[\"$NAME-sg\"]")"
error "no \"network\"" 7 "$(jq -c 'del(.network)' <<< "$good")"
error "a network that Neutron does not have" 7 "$(conf 1.0.0 "$NAME-nosuch" "[\"$NAME-sg\"]")"
error "a security group that Neutron does not have" 7 "$(conf 1.0.0 "$NAME-net" "[\"$NAME-nosuch\"]")"
check "the failed look-ups made no pool" jq -e '.pools | length == 2' <<< "$(ctl "$E" pools)"
: > "$tmp/not-a-netns"
error "CNI_NETNS is a regular file" 4 "$good" "" "$tmp/not-a-netns"
error "CNI_NETNS does not exist" 4 "$good" "" "/run/netns/$NAME-nosuch"
error "CNI_IFNAME of 16 bytes" 4 "$good" "" "" eth0123456789abc

# An interface of that name already in the container: the ADD fails, the
# interface is left alone, and the port it had claimed goes back to the pool.
ip -n "$ns" link add eth0 type veth peer name other0 || die "making eth0 in $ns"
mac0=$(link_json "$ns" eth0 | jq -r .address)
before=$(snapshot)
cni ADD "$NAME-c" "$NSP" eth0 "$good"
expect "an eth0 already in the container: code 4, naming it" 1 '.code == 4 and (.msg | contains("eth0"))'
check "the container's own eth0 is untouched (MAC $mac0)" \
	test "$(link_json "$ns" eth0 | jq -r .address)" = "$mac0"
check "the container holds only its own two interfaces" test "$(links_of "$ns")" = "eth0 other0"
check "the attachment is not recorded as holding a port" not held_port "$E" "$NAME-c"
left_nothing "an eth0 already in the container (after the cool-down)" 10
ip -n "$ns" link del eth0

# --- an empty pool --------------------------------------------------------------
before=$(snapshot)
cni ADD "$NAME-c" "$NSP" eth0 "$(conf 1.0.0 "$NAME-net" "[\"$NAME-sg2\"]")"
expect "an empty pool with on_demand = false: code 11" 1 '.code == 11'
check "... at once (took $took_ms ms)" test "$took_ms" -lt 2000
left_nothing "an empty pool with on_demand = false"
sleep 1.5
left_nothing "all the failed ADDs, a moment later"

start_instance o host1 << EOF
[pools]
on_demand = true
cold_add_timeout = 30
[pool cold]
network = $NAME-net
security_groups = $NAME-sg2
min = 0
max = 2
EOF
O=$INSTANCE
say "instance $O on host1 (on_demand = true, pool 'cold' with min 0)"
check "the cold pool holds no port" test -z "$(instance_ports "$O")"
cni ADD "$NAME-c" "$NSP" eth0 "$(CONF_SOCKET=$(scripts/sfhost sock "$O") conf 1.0.0 "$NAME-net" "[\"$NAME-sg2\"]")"
expect "an empty pool with on_demand = true: ADD succeeds on the cold path in $took_ms ms" 0 \
	'.interfaces[0].name == "eth0" and (.ips | length) == 1'
mac=$(jq -r '.interfaces[0].mac' <<< "$out")
ids=$(instance_ports "$O")
check "the cold ADD made exactly one port" test "$(wc -w <<< "$ids")" = 1
port=$(port_get "$ids")
check "the new port is ACTIVE, bound to host1, with the result's MAC and address" jq -e "
	.status == \"ACTIVE\" and .[\"binding:host_id\"] == \"host1\" and
	.mac_address == \"$mac\" and .security_groups == [\"$sg2_id\"] and
	(.fixed_ips[0].ip_address + \"/24\") == $(jq -c '.ips[0].address' <<< "$out")" <<< "$port"
check "the container's eth0 has the new port's MAC" \
	test "$(link_json "$ns" eth0 | jq -r .address)" = "$mac"
check "the daemon lists the port in use by the container" test "$(held_port "$O" "$NAME-c")" = "$ids"

finish
