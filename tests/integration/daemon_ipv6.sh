#!/usr/bin/env bash
# IPv6 and dual stack on bare metal, against the real Neutron and two
# superfluidd (host1, host2): a network with a v4 and a v6 subnet (no
# address mode: Neutron assigns, nobody sends RAs) and a v6-only one.  The
# result holds both addresses and both default routes in each CNI version's
# format; the v6 address is usable at once (not tentative: DAD is skipped,
# Neutron owns the address); containers on two hosts ping each other over
# v4 and v6; a group that lets ICMPv4 in but not ICMPv6 really drops v6
# pings while v4 ones pass; a service on the v6 subnet (its address
# announced with unsolicited NAs) answered by a, then moved to b on the
# other host; DEL leaves nothing.
# Exit 0 pass, 1 fail, 77 skip.
# shellcheck disable=SC2154,SC2317
T=daemon_ipv6
# shellcheck source=tests/integration/lib/daemon.sh
. "$(dirname "$0")/lib/daemon.sh"
# shellcheck source=tests/integration/lib/service.sh
. "$(dirname "$0")/lib/service.sh"
command -v busybox > /dev/null || skip "busybox is missing (scripts/deps)"

pfx=$(rand_prefix)
p6=$(rand_prefix6)
mk_network net_id net
mk_subnet subnet_id "$net_id" "$pfx"
mk_v6_subnet subnet6_id "$net_id" "$p6"
p6b=$p6:1
mk_network net6_id net6
mk_v6_subnet subnet6b_id "$net6_id" "$p6b"
mk_sg both_id both icmp
sg_allow_icmp6 "$both_id" > /dev/null || die "the ICMPv6 rule"
neutron POST security-group-rules "$(jq -nc --arg sg "$both_id" '{security_group_rule: {
	security_group_id: $sg, direction: "ingress", ethertype: "IPv6", protocol: "tcp",
	port_range_min: 8080, port_range_max: 8080}}')" > /dev/null || die "the v6 HTTP rule"
mk_sg v4only_id v4only icmp
say "dual stack $NAME-net ($pfx.0/24, $p6::/64), v6-only $NAME-net6 ($p6b::/64)"

# host1: a (dual stack) and r (v6 only); host2: b and q (ICMPv4 only).
start_instance i1 host1 < <(pool_ini min=1 max=2 batch=1 cooldown_ms=500 p:net:both r:net6:both)
I1=$INSTANCE
start_instance i2 host2 < <(pool_ini min=1 max=2 batch=1 cooldown_ms=500 p:net:both q:net:v4only)
I2=$INSTANCE
for p in p r; do wait_pool "$I1" "$p" 1 90; done
for p in p q; do wait_pool "$I2" "$p" 1 90; done

# cadd INSTANCE LABEL NETNS VERSION NET SG
cadd() {
	local sock
	sock=$(scripts/sfhost sock "$1")
	CONF_SOCKET=$sock cni ADD "$NAME-$2" "/run/netns/$3" eth0 \
		"$(CONF_SOCKET=$sock conf "$4" "$NAME-$5" "[\"$NAME-$6\"]")" "${@:7}"
}
cdel() { # INSTANCE LABEL NETNS NET
	local sock
	sock=$(scripts/sfhost sock "$1")
	CONF_SOCKET=$sock cni DEL "$NAME-$2" "/run/netns/$3" eth0 \
		"$(CONF_SOCKET=$sock conf 1.0.0 "$NAME-$4" "[]")"
}
addr_of() { jq -r --arg f "$2" '.ips[] | select(.address | test($f)) | .address | sub("/.*"; "")' <<< "$1"; }

mk_netns ns_a a
cadd "$I1" a "$ns_a" 1.0.0 net both
expect "dual stack ADD (1.0.0): a v4 and a v6 address, both default routes" 0 "
	(.ips | length) == 2 and
	([.ips[].address | select(test(\"^${pfx//./\\\\.}\\\\.\"))] | length) == 1 and
	([.ips[].address | select(startswith(\"$p6:\") and endswith(\"/64\"))] | length) == 1 and
	([.ips[].gateway] | sort) == ([\"$pfx.1\", \"$p6::1\"] | sort) and
	(.routes | index([{dst: \"0.0.0.0/0\", gw: \"$pfx.1\"}]) != null) and
	(.routes | index([{dst: \"::/0\", gw: \"$p6::1\"}]) != null) and
	(.ips[0] | has(\"version\") | not)"
res_a=$out
a4=$(addr_of "$res_a" '^[0-9.]+/') a6=$(addr_of "$res_a" ':')
check "a's v6 address is on eth0 and usable at once (not tentative)" \
	eval 'ip -n "$ns_a" -6 -o addr show dev eth0 | grep " $a6/64 " | grep -vq tentative'
check "a's v6 default route is via the subnet's gateway" \
	eval 'ip -n "$ns_a" -6 route show default | grep -q "via $p6::1 dev eth0"'

mk_netns ns_b b
cadd "$I2" b "$ns_b" 0.4.0 net both
expect "dual stack ADD (0.4.0): ips[].version 4 and 6" 0 \
	'(.ips | length) == 2 and ([.ips[].version] | sort) == ["4", "6"]'
b4=$(addr_of "$out" '^[0-9.]+/') b6=$(addr_of "$out" ':')
check "v6 ping from host1 to host2 ($a6 -> $b6)" \
	wait_until 10 ip netns exec "$ns_a" ping -6 -c 1 -W 1 "$b6"
check "v4 ping from host2 to host1 ($b4 -> $a4)" \
	wait_until 10 ip netns exec "$ns_b" ping -c 1 -W 1 "$a4"

# A group with ICMPv4 in, no ICMPv6: the v6 family really denied.
mk_netns ns_q q
cadd "$I2" q "$ns_q" 1.0.0 net v4only
expect "ADD q (ICMPv4 only)" 0 '(.ips | length) == 2'
q4=$(addr_of "$out" '^[0-9.]+/') q6=$(addr_of "$out" ':')
check "v4 ping to q passes" wait_until 10 ip netns exec "$ns_a" ping -c 1 -W 1 "$q4"
check "v6 ping to q is dropped by its group" not ip netns exec "$ns_a" ping -6 -c 3 -W 1 "$q6"

# v6 only.
mk_netns ns_r r
cadd "$I1" r "$ns_r" 1.1.0 net6 both
expect "v6-only ADD (1.1.0): one v6 address, the v6 default route, no v4" 0 "
	(.ips | length) == 1 and (.ips[0].address | startswith(\"$p6b:\")) and
	.ips[0].gateway == \"$p6b::1\" and (.routes | index([{dst: \"::/0\", gw: \"$p6b::1\"}]) != null) and
	([.routes[] | select(.dst == \"0.0.0.0/0\")] | length) == 0"
check "r has no v4 address" eval '! ip -n "$ns_r" -4 -o addr show dev eth0 | grep -q inet'

# A service on the v6 subnet: a (host1) answers, then b (host2).
svc=v6$RND
check "sfctl service create on the v6 subnet" sfctl "$I1" service create "$svc" \
	--network "$NAME-net" --subnet "$subnet6_id" --check http:8080/who --grace-ms 500
vip6=$(sfctl "$I1" service status "$svc" --json | jq -er .service.address) || die "no address"
check "the service's address is v6 ($vip6)" test "${vip6#"$p6":}" != "$vip6"
w6() { ip netns exec "$ns_q" curl -s -g --max-time 2 "http://[$vip6]:8080/who"; }
serve "$ns_a" a
serve "$ns_b" b
check "sfctl service attach a" sfctl "$I1" service attach "$svc" --container "$NAME-a"
check "q reaches a at the v6 service address" wait_until 20 eval '[ "$(w6)" = a ]'
check "sfctl service attach b" sfctl "$I2" service attach "$svc" --container "$NAME-b"
check "sfctl service move to b" sfctl "$I2" service move "$svc" --to "$NAME-b"
check "q reaches b after the move (unsolicited NA)" wait_until 10 eval '[ "$(w6)" = b ]'
check "a lets go of the address" wait_until 10 eval \
	'! ip -n "$ns_a" -6 -o addr show | grep -q " $vip6/"'
check "sfctl service delete" sfctl "$I1" service delete "$svc"
stop_servers

cdel "$I1" a "$ns_a" net; expect "DEL a" 0 ""
cdel "$I2" b "$ns_b" net; expect "DEL b" 0 ""
cdel "$I2" q "$ns_q" net; expect "DEL q" 0 ""
cdel "$I1" r "$ns_r" net6; expect "DEL r" 0 ""
check "a's eth0 is gone" not ip -n "$ns_a" link show eth0
finish
