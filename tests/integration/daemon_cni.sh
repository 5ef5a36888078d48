#!/usr/bin/env bash
# The real plugin against a real superfluidd on the test bed's host1, as a
# runtime drives it: ADD in every CNI version (result shape per version; the
# interface, MTU, address, routes and DNS the subnet asks for; the port as
# Neutron shows it), two containers on one host ping each other, CHECK, GC,
# DEL (idempotent, without a netns, the port back in the pool, Neutron's
# device_id cleared) and STATUS with the daemon up and down; a chosen address
# (runtimeConfig.ips): made, refused when taken or wrong, deleted on DEL; a request's
# global request id in both the daemon's and neutron-server's logs.
# Exit 0 pass, 1 fail, 77 skip.  Cleans up all it makes, pass or fail.
# Variables set by the lib's makers (printf -v) and functions run through
# check/wait_until are invisible to shellcheck.
# shellcheck disable=SC2154,SC2317
T=daemon_cni
# shellcheck source=tests/integration/lib/daemon.sh
. "$(dirname "$0")/lib/daemon.sh"

pfx=$(rand_prefix)
gw=$pfx.1 hr_dst=198.19.200.0/24 hr_gw=$pfx.250 dns=198.18.0.53
say "network $NAME-net ($pfx.0/24, DNS $dns, host route $hr_dst via $hr_gw)"
mk_network net_id net
mk_subnet subnet_id "$net_id" "$pfx" ".subnet += {dns_nameservers: [\"$dns\"],
	host_routes: [{destination: \"$hr_dst\", nexthop: \"$hr_gw\"}]}"
mk_sg sg_id sg icmp
net_mtu=$(neutron GET "networks/$net_id" | jq -er .network.mtu) || die "network MTU"

ready_instance a host1 5 60 min=5 max=12 batch=5 cooldown_ms=1000
A=$INSTANCE

# --- ADD in each version ------------------------------------------------------
# c1..c4 use 0.3.1, 0.4.0, 1.0.0, 1.1.0; c4 names the network and the
# group by id, which must lead to the same pool as the names.
versions=(0.3.1 0.4.0 1.0.0 1.1.0)
declare -A ns_of res_of port_of conf_of
for i in 1 2 3 4; do
	v=${versions[$((i - 1))]} c=c$i
	mk_netns "ns_of[$c]" "$c"
	if [ "$i" = 4 ]; then
		conf_of[$c]=$(conf "$v" "$net_id" "[\"$sg_id\"]")
	else
		conf_of[$c]=$(conf "$v" "$NAME-net" "[\"$NAME-sg\"]")
	fi
	cni ADD "$NAME-$c" "/run/netns/${ns_of[$c]}" eth0 "${conf_of[$c]}"
	res_of[$c]=$out
	# c4's names are new to the daemon: they cost a Neutron look-up.
	[ "$i" = 4 ] || check "ADD $v ($c) from the warm pool answers within 1 s (took $took_ms ms)" \
		test "$took_ms" -lt 1000
	expect "ADD $v ($c): the result's common shape" 0 "
		.cniVersion == \"$v\" and
		(.interfaces | length) == 1 and .interfaces[0].name == \"eth0\" and
		.interfaces[0].sandbox == \"/run/netns/${ns_of[$c]}\" and
		(.interfaces[0].mac | test(\"^[0-9a-f]{2}(:[0-9a-f]{2}){5}\$\")) and
		(.ips | length) == 1 and .ips[0].interface == 0 and
		(.ips[0].address | test(\"^${pfx//./\\\\.}\\\\.[0-9]+/24\$\")) and
		.ips[0].gateway == \"$gw\" and
		(.routes | index([{dst: \"0.0.0.0/0\", gw: \"$gw\"}]) != null) and
		(.routes | index([{dst: \"$hr_dst\", gw: \"$hr_gw\"}]) != null) and
		.dns.nameservers == [\"$dns\"]" || continue
	case $v in
	0.3.1 | 0.4.0)
		expect "ADD $v: ips[].version is \"4\", no interfaces[].mtu" 0 \
			'.ips[0].version == "4" and (.interfaces[0] | has("mtu") | not)' ;;
	1.0.0)
		expect "ADD $v: neither ips[].version nor interfaces[].mtu" 0 \
			'(.ips[0] | has("version") | not) and (.interfaces[0] | has("mtu") | not)' ;;
	1.1.0)
		expect "ADD $v: interfaces[].mtu is the network's ($net_mtu), no ips[].version" 0 \
			".interfaces[0].mtu == $net_mtu and (.ips[0] | has(\"version\") | not)" ;;
	esac
done
for c in c1 c2 c3 c4; do
	[ -n "${res_of[$c]}" ] || die "ADD $c failed: nothing below would mean anything"
done

# Following a request: c4's look-up went to Neutron with the global request
# id the daemon logged for that ADD, and neutron-server logged it too.
rid=$(instance_log "$A" | sed -n "s|.*ADD $NAME-c4/eth0: request \(req-[0-9a-f-]*\).*|\1|p" | tail -1)
check "the daemon logs c4's ADD with a global request id ($rid)" \
	grep -Eq '^req-[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$' <<< "$rid"
nlog=$SF_TB_DIR/logs/neutron-server.log
[ -f "$nlog" ] && check "neutron-server's log has c4's request id as the global one" \
	wait_until 5 grep -q "\[$rid req-" "$nlog"

check "the four containers hold four ports of one pool (names and ids lead to the same pool)" \
	jq -e '[.pools[] | select(.name == "p")] | length == 1 and .[0].in_use == 4' \
	<<< "$(ctl "$A" pools)"
# A runtime may repeat an ADD: the same answer, no second port.
cni ADD "$NAME-c1" "/run/netns/${ns_of[c1]}" eth0 "${conf_of[c1]}"
expect "ADD c1 repeated: the same interface and address" 0 \
	"[.interfaces[0].mac, .ips[0].address] == $(jq -c '[.interfaces[0].mac, .ips[0].address]' \
	<<< "${res_of[c1]}")"
check "ADD c1 repeated: still one eth0 in c1, and 4 ports in use" \
	test "$(links_of "${ns_of[c1]}")" = eth0 -a "$(pool_field "$A" p in_use)" = 4
check "four distinct MACs and addresses" test "$(for c in c1 c2 c3 c4; do
	jq -r '.interfaces[0].mac + " " + .ips[0].address' <<< "${res_of[$c]}"; done |
	sort -u | wc -l)" = 4

# --- what the container sees, against Neutron --------------------------------------
for c in c1 c2 c3 c4; do
	ns=${ns_of[$c]} res=${res_of[$c]}
	port_of[$c]=$(held_port "$A" "$NAME-$c") || { fail "$c: the daemon lists no port for it"; continue; }
	port=$(port_get "${port_of[$c]}") || { fail "$c: port ${port_of[$c]} not in Neutron"; continue; }
	link=$(link_json "$ns" eth0) || { fail "$c: no eth0 in $ns"; continue; }
	mac=$(jq -r .address <<< "$link")
	check "$c: eth0 has the port's MAC $mac (Neutron: $(jq -r .mac_address <<< "$port"))" \
		test "$mac" = "$(jq -r .mac_address <<< "$port")" -a "$mac" = "$(jq -r '.interfaces[0].mac' <<< "$res")"
	check "$c: eth0 has the network's MTU $net_mtu and is up" \
		jq -e ".mtu == $net_mtu and (.flags | index([\"UP\"]) != null)" <<< "$link"
	addrs=$(ip -n "$ns" -j -4 addr show dev eth0 | jq -c '[.[].addr_info[] | "\(.local)/\(.prefixlen)"]')
	want=$(jq -c '[.fixed_ips[0].ip_address + "/24"]' <<< "$port")
	check "$c: eth0's addresses $addrs are the port's IP with the subnet's prefix $want" \
		test "$addrs" = "$want" -a "$(jq -c '[.ips[0].address]' <<< "$res")" = "$want"
	routes=$(ip -n "$ns" -j -4 route show)
	check "$c: default route via the gateway $gw" jq -e \
		"any(.[]; .dst == \"default\" and .gateway == \"$gw\" and .dev == \"eth0\")" <<< "$routes"
	check "$c: the subnet's host route $hr_dst via $hr_gw" jq -e \
		"any(.[]; .dst == \"$hr_dst\" and .gateway == \"$hr_gw\" and .dev == \"eth0\")" <<< "$routes"
done

# Neutron learns the holder off the hot path.
device_id_is() { [ "$(port_get "$1" | jq -r .device_id)" = "$2" ]; }
for c in c1 c2 c3 c4; do
	id=${port_of[$c]:-}
	[ -n "$id" ] || continue
	check "$c: Neutron's device_id becomes the container id" wait_until 10 device_id_is "$id" "$NAME-$c"
	port=$(port_get "$id")
	check "$c: port ACTIVE, bound to host1, owner compute:superfluid, named for its holder" jq -e "
		.status == \"ACTIVE\" and .[\"binding:host_id\"] == \"host1\" and
		.device_owner == \"compute:superfluid\" and .network_id == \"$net_id\" and
		.security_groups == [\"$sg_id\"] and
		.name == \"sf-$(cut -c1-12 <<< "$NAME-$c")-eth0\"" <<< "$port"
	check "$c: port tagged sf-deployment=$A, sf-host=host1 and sf-pool=<hash>" jq -e "
		(.tags | index([\"sf-deployment=$A\"]) != null) and
		(.tags | index([\"sf-host=host1\"]) != null) and
		any(.tags[]; test(\"^sf-pool=[0-9a-f]{16}\$\"))" <<< "$port"
done

ip_of() { jq -r '.ips[0].address | sub("/.*"; "")' <<< "${res_of[$1]}"; }
check "c1 pings c2 (same host)" ping_ok "${ns_of[c1]}" "$(ip_of c2)" 10
check "c2 pings c1" ping_ok "${ns_of[c2]}" "$(ip_of c1)" 5

# --- a second attachment in one container ------------------------------------------
# eth1 on the same network: its own port; the default route stays eth0's
# (the first one wins, as with the reference plugins); its DEL leaves eth0.
cni ADD "$NAME-c2" "/run/netns/${ns_of[c2]}" eth1 "${conf_of[c2]}"
expect "ADD a second attachment (eth1) to c2" 0 '.interfaces[0].name == "eth1"'
expect "eth1's result claims no default route: eth0 holds it" 0 \
	'[.routes[] | select(.dst == "0.0.0.0/0")] | length == 0'
eth1_ip=$(jq -r '.ips[0].address' <<< "$out")
eth1_port=$(held_port "$A" "$NAME-c2" eth1) || fail "the daemon lists no port for c2/eth1"
check "c2/eth1 holds a port of its own" test -n "$eth1_port" -a "$eth1_port" != "${port_of[c2]}"
check "c2's eth1 has its port's address $eth1_ip" test "$(ip -n "${ns_of[c2]}" -j -4 addr show dev eth1 |
	jq -r '.[0].addr_info[0] | "\(.local)/\(.prefixlen)"')" = "$eth1_ip"
check "c2's default route is still eth0's" jq -e \
	'[.[] | select(.dst == "default")] | length == 1 and .[0].dev == "eth0"' \
	<<< "$(ip -n "${ns_of[c2]}" -j -4 route show)"
cni DEL "$NAME-c2" "/run/netns/${ns_of[c2]}" eth1 "${conf_of[c2]}"
expect "DEL c2/eth1" 0 ""
check "DEL c2/eth1: eth1 is gone" wait_until 5 link_absent "${ns_of[c2]}" eth1
check "DEL c2/eth1: eth0 stays, and c1 still pings c2" ping_ok "${ns_of[c1]}" "$(ip_of c2)" 5

# --- a chosen address: CNI's `ips` capability (runtimeConfig) ----------------------------
# A port made for the address, deleted on DEL; a taken address, a wrong
# prefix, one off the subnet and a malformed one refused with code 7.
# Outside the allocation pool (.10 to .200), so that no pool port can hold it.
sip=$pfx.222 t_ips=$SECONDS
ips_conf() { conf 1.0.0 "$NAME-net" "[\"$NAME-sg\"]" ". + {runtimeConfig: {ips: [\"$1\"]}}"; }
mk_netns ns6 c6
mk_netns ns7 c7
cni ADD "$NAME-c6" "/run/netns/$ns6" eth0 "$(ips_conf "$sip/24")"
expect "ADD with runtimeConfig.ips [$sip/24]: that address" 0 ".ips[0].address == \"$sip/24\""
sport=$(held_port "$A" "$NAME-c6" eth0) || fail "the daemon lists no port for c6"
check "c6's eth0 has $sip/24, its Neutron port only $sip, ACTIVE" jq -e --arg ip "$sip" \
	'.status == "ACTIVE" and [.fixed_ips[].ip_address] == [$ip]' <<< "$(port_get "${sport:-none}")"
check "c6 ($sip) pings c1" ping_ok "$ns6" "$(ip_of c1)" 10
cni ADD "$NAME-c6" "/run/netns/$ns6" eth0 "$(ips_conf "$sip/24")"
expect "the same ADD again: the same answer" 0 ".ips[0].address == \"$sip/24\""
for bad in "$sip/24:is taken in Neutron.*IpAddressAlreadyAllocated" "$pfx.223/16:the subnet's prefix" \
	"198.18.250.5:cannot be had" "10.0.0.300:is not an address"; do
	cni ADD "$NAME-c7" "/run/netns/$ns7" eth0 "$(ips_conf "${bad%%:*}")"
	expect "ADD with runtimeConfig.ips [${bad%%:*}]: code 7" 1 \
		".code == 7 and (.msg | test(\"${bad#*:}\"))" && say "  ($(jq -r .msg <<< "$out"))"
done
check "the refused ADDs left c7's namespace empty and no port held" \
	test -z "$(links_of "$ns7")" -a -z "$(held_port "$A" "$NAME-c7" eth0 2> /dev/null)"
no_port_at() { [ -z "$(neutron GET "ports?network_id=$net_id&fixed_ips=ip_address%3D$1" | jq -r '.ports[].id')" ]; }
check "no Neutron port has $pfx.223 (made, then deleted: the wrong prefix)" wait_until 10 no_port_at "$pfx.223"
cni DEL "$NAME-c6" "/run/netns/$ns6" eth0 "$(ips_conf "$sip/24")"
expect "DEL c6" 0 ""
check "DEL: c6's port is deleted in Neutron, not pooled" wait_until 10 no_port_at "$sip"
cni ADD "$NAME-c7" "/run/netns/$ns7" eth0 "$(ips_conf "$sip")"
expect "$sip is free again: ADD c7 with it (no prefix)" 0 ".ips[0].address == \"$sip/24\""
cni DEL "$NAME-c7" "/run/netns/$ns7" eth0 "$(ips_conf "$sip")"
expect "DEL c7" 0 ""
check "DEL c7: its port is deleted too" wait_until 10 no_port_at "$sip"
# The address of a ready pool port: that port, claimed as it is; back to the pool at DEL.
wait_pool "$A" p 1 30
read -r pport paddr < <(ctl "$A" ports | jq -r '[.ports[] | select(.state == "ready" and
	.pool == "p")][0] | "\(.port_id) \(.ips[0].cidr)"')
cni ADD "$NAME-c7" "/run/netns/$ns7" eth0 "$(ips_conf "$paddr")"
expect "ADD c7 with ready pool port ${pport:0:8}'s address $paddr: that address" 0 \
	".ips[0].address == \"$paddr\""
check "... from that port (the warm path, no port made)" \
	test "$(held_port "$A" "$NAME-c7" eth0)" = "$pport"
cni DEL "$NAME-c7" "/run/netns/$ns7" eth0 "$(ips_conf "$paddr")"
expect "DEL c7" 0 ""
check "DEL c7: that port is the pool's again, not deleted" \
	jq -e --arg p "$pport" '[.ports[] | select(.port_id == $p and .container_id == null)] | length == 1' \
	<<< "$(ctl "$A" ports)"
say "the chosen-address checks took $((SECONDS - t_ips)) s"

# --- CHECK ------------------------------------------------------------------------------
with_prev() { jq -c --argjson p "${res_of[$1]}" '. + {prevResult: $p}' <<< "${conf_of[$1]}"; }
cni CHECK "$NAME-c3" "/run/netns/${ns_of[c3]}" eth0 "$(with_prev c3)"
expect "CHECK 1.0.0 with the ADD's result as prevResult passes" 0 ""
cni CHECK "$NAME-c2" "/run/netns/${ns_of[c2]}" eth0 "$(with_prev c2)"
expect "CHECK 0.4.0 passes" 0 ""
ip -n "${ns_of[c3]}" link del eth0 || fail "deleting c3's eth0 by hand"
cni CHECK "$NAME-c3" "/run/netns/${ns_of[c3]}" eth0 "$(with_prev c3)"
expect "CHECK after eth0 was deleted by hand fails with a CNI error" 1 \
	'.cniVersion == "1.0.0" and (.code | type) == "number" and .code > 0 and
	 (.msg | length) > 0'

# --- GC ---------------------------------------------------------------------------------
# The runtime lost c3: its list omits it.  c3's port comes back; the others stay.
wait_pool "$A" p 5 30
ready0=$(pool_field "$A" p ready)
gc_conf=$(conf 1.1.0 "$NAME-net" "[\"$NAME-sg\"]" "
	. + {\"cni.dev/valid-attachments\": [
		{containerID: \"$NAME-c1\", ifname: \"eth0\"},
		{containerID: \"$NAME-c2\", ifname: \"eth0\"},
		{containerID: \"$NAME-c4\", ifname: \"eth0\"}]}")
cni GC "" "" "" "$gc_conf"
expect "GC with c3 missing from cni.dev/valid-attachments" 0 ""
state_is() { [ "$(port_state "$A" "$1")" = "$2" ]; }
test_pool() { [ "$(pool_field "$A" p "$1")" = "$2" ]; }
check "GC: c3's port returns to the pool (ready)" wait_until 10 state_is "${port_of[c3]}" ready
check "GC: the pool's ready count is back up by one ($ready0 -> $((ready0 + 1)))" \
	wait_until 5 test_pool ready $((ready0 + 1))
for c in c1 c2 c4; do
	check "GC: $c keeps its port" state_is "${port_of[$c]}" in_use
done
check "GC: c1 still pings c2" ping_ok "${ns_of[c1]}" "$(ip_of c2)" 5
check "GC: Neutron's device_id of c3's port is cleared" wait_until 10 device_id_is "${port_of[c3]}" ""
cni DEL "$NAME-c3" "/run/netns/${ns_of[c3]}" eth0 "${conf_of[c3]}"
expect "DEL of the attachment GC released" 0 ""

# --- DEL --------------------------------------------------------------------------------
wait_pool "$A" p 5 30
ready0=$(pool_field "$A" p ready) in_use0=$(pool_field "$A" p in_use)
cni DEL "$NAME-c1" "/run/netns/${ns_of[c1]}" eth0 "${conf_of[c1]}"
expect "DEL c1 (0.3.1)" 0 ""
check "DEL: c1's eth0 is gone" wait_until 5 link_absent "${ns_of[c1]}" eth0
check "DEL: c1's namespace holds nothing but lo" test -z "$(links_of "${ns_of[c1]}")"
cni DEL "$NAME-c1" "/run/netns/${ns_of[c1]}" eth0 "${conf_of[c1]}"
expect "DEL c1 again" 0 ""
cni DEL "$NAME-c1" "" eth0 "${conf_of[c1]}"
expect "DEL c1 again, without CNI_NETNS" 0 ""
check "DEL: c1's port returns to the pool (ready)" wait_until 10 state_is "${port_of[c1]}" ready
check "DEL: the pool's ready count is back up by one ($ready0 -> $((ready0 + 1)))" \
	wait_until 5 test_pool ready $((ready0 + 1))
check "DEL: in_use down by one" test_pool in_use $((in_use0 - 1))
check "DEL: Neutron's device_id of c1's port is cleared" wait_until 10 device_id_is "${port_of[c1]}" ""
check "DEL: Neutron names the port for its pool again" \
	test "$(port_get "${port_of[c1]}" | jq -r .name)" = "sf-pool-p"

# A first DEL without CNI_NETNS releases all the same.
cni DEL "$NAME-c4" "" eth0 "${conf_of[c4]}"
expect "DEL c4 (1.1.0) without CNI_NETNS" 0 ""
check "DEL without CNI_NETNS: c4's eth0 is gone all the same" wait_until 5 link_absent "${ns_of[c4]}" eth0
check "DEL without CNI_NETNS: c4's port returns to the pool" wait_until 10 state_is "${port_of[c4]}" ready
check "c2 still holds its port and its interface" \
	test "$(port_state "$A" "${port_of[c2]}")" = in_use -a -n "$(links_of "${ns_of[c2]}")"

# The container's namespace is gone before its DEL (the runtime removed
# it, or the container died): DEL succeeds and the port comes back.
ip netns del "${ns_of[c2]}" || fail "deleting c2's namespace"
cni DEL "$NAME-c2" "/run/netns/${ns_of[c2]}" eth0 "${conf_of[c2]}"
expect "DEL c2 whose namespace is already gone" 0 ""
check "... its port returns to the pool" wait_until 10 state_is "${port_of[c2]}" ready
check "... and no host end of it is left on host1" \
	link_absent "$(host_ns host1)" "sfc${port_of[c2]:0:11}"
check "no port of the pool is in use any more" test_pool in_use 0

# --- STATUS -------------------------------------------------------------------------------
status_conf=$(conf 1.1.0 "$NAME-net" "[\"$NAME-sg\"]")
cni STATUS "" "" "" "$status_conf"
expect "STATUS with the daemon up" 0 ""
scripts/sfhost stop "$A" > /dev/null || fail "stopping $A"
cni STATUS "" "" "" "$status_conf"
expect "STATUS with the daemon stopped: code 50, naming the socket" 1 \
	".code == 50 and (.msg | contains(\"$CONF_SOCKET\"))"
mk_netns ns5 c5
cni ADD "$NAME-c5" "/run/netns/$ns5" eth0 "$(conf 1.0.0 "$NAME-net" "[\"$NAME-sg\"]")"
expect "ADD with the daemon stopped: code 11" 1 '.code == 11'
check "ADD with the daemon stopped left the namespace empty" test -z "$(links_of "$ns5")"

finish
