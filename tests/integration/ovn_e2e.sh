#!/usr/bin/env bash
# ML2/OVN end to end (docs/ovn.md): the OVN test bed (SF_TESTBED=ovn, brought
# up here if needed; docs/testbed.md) beside the default one, a real
# superfluidd on each of its two chassis, host21 and host22:
#  - the pool's ports are bound by Neutron's ovn mechanism driver (vif_type
#    ovs, no L2 agent: the host's agent is an "OVN Controller agent"); each
#    tap sits in br-int with iface-id and attached-mac, ovn-controller
#    claimed it (SB Port_Binding on the host's chassis, ovn-installed) and
#    the port is ACTIVE (LSP up) while still in the pool;
#  - sfctl doctor on an OVN host: ovn-controller, the chassis, br-int, Geneve;
#    a host whose [host] name is not its OVSDB's chassis fails it, and so
#    does a chassis without Geneve;
#  - a warm CNI ADD on each host (no Neutron call), the container on host21
#    blocked from the one on host22 by a security group without an ICMP rule
#    (an OVN ACL drops it), reaching it over Geneve (UDP 6081 seen on the
#    underlay) once the rule is added, blocked again once it is removed;
#  - 1 MiB over TCP between the chassis arrives whole (offloads finished
#    before the userspace datapath);
#  - the subnet's gateway on a router (an OVN logical router) answers ping,
#    and a container on a second subnet on the other chassis is reached
#    through it;
#  - DEL, then both instances purged: no Neutron port, no logical switch
#    port, no OVSDB port, no host interface of them left.
# Exit 0 pass, 1 fail, 77 skip (only when a package is missing).
# shellcheck disable=SC2016,SC2154,SC2317
T=ovn_e2e
# shellcheck source=tests/integration/lib/ovn.sh
. "$(dirname "$0")/lib/ovn.sh"

testnet sg   # egress only: no ICMP in
# A second network, routed to the first by the logical router below; its
# pool on $H1 only.
pfx2=$pfx
while [ "$pfx2" = "$pfx" ]; do pfx2=$(rand_prefix); done
mk_network net2_id net2
mk_subnet subnet2_id "$net2_id" "$pfx2"
declare -A inst cf_of
for h in "$H1" "$H2"; do   # both start, then both pools fill at once
	extra=()
	[ "$h" = "$H1" ] && extra=(q:net2:sg min=1 max=1 batch=1)
	start_instance "${h#host}" "$h" < <(pool_ini p:net:sg min=2 max=3 batch=2 "${extra[@]}")
	inst[$h]=$INSTANCE
	CONF_SOCKET=$(scripts/sfhost sock "$INSTANCE")
	cf_of[$h]=$(conf 1.0.0 "$NAME-net" "[\"$NAME-sg\"]")
done
t0=$SECONDS
for h in "$H1" "$H2"; do wait_pool "${inst[$h]}" p 2 60; done
say "both pools ready, 2 ports each, in $((SECONDS - t0)) s"

# --- the pool's ports, as Neutron, OVN and OVSDB see them ----------------------------
ovn_agent_alive() { # HOST: its one agent is an alive OVN controller agent
	neutron GET "agents?host=$1" | jq -e --arg h "$1" \
		'[.agents[] | select(.alive)] | map(.agent_type) == ["OVN Controller agent"]' > /dev/null
}
for h in "$H1" "$H2"; do
	check "$h's agent in Neutron: an alive OVN Controller agent, no L2 agent" \
		wait_until 30 ovn_agent_alive "$h"
	ch=$(sbctl --bare --columns=_uuid find Chassis name="$h")
	for id in $(ctl "${inst[$h]}" ports | jq -r '.ports[] | select(.state == "ready") | .port_id'); do
		p=$(port_get "$id")
		check "port ${id:0:8}: ACTIVE while pooled, bound to $h with vif_type ovs" jq -e --arg h "$h" \
			'.status == "ACTIVE" and ."binding:host_id" == $h and ."binding:vif_type" == "ovs"' <<< "$p"
		tap=tap${id:0:11}
		check "$tap is in $h's br-int" test "$(vsctl "$h" iface-to-br "$tap")" = br-int
		check "$tap: iface-id, attached-mac; ovn-controller set ovn-installed" test \
			"$(vsctl "$h" get Interface "$tap" external_ids:iface-id external_ids:attached-mac \
				external_ids:ovn-installed | tr -d '"' | paste -sd ' ')" = \
			"$id $(jq -r .mac_address <<< "$p") true"
		check "SB: port ${id:0:8} claimed by chassis $h" \
			test "$(sbctl --bare --columns=chassis find Port_Binding logical_port="$id")" = "$ch"
		check "NB: logical switch port ${id:0:8} up" test "$(nbctl get Logical_Switch_Port "$id" up)" = true
	done
done

say "[$SECONDS s] doctor"
"$B/sfctl" -c "$(scripts/sfhost conf "${inst[$H1]}")" doctor --json > "$tmp/doctor.json" 2> /dev/null
check "sfctl doctor on $H1: the OVN controller agent; ovn-controller, chassis, br-int, Geneve ok" jq -e \
	'[.checks[] | select((.name == "agent" and (.message | contains("OVN Controller agent"))) or
	 .name == "ovn") | .status] == ["ok", "ok"]' "$tmp/doctor.json"

# The wrong chassis: $H2's name with $H1's OVSDB, as a misconfigured host would have it.
sed "s/^name = $H1\$/name = $H2/" "$(scripts/sfhost conf "${inst[$H1]}")" > "$tmp/wrong.conf"
chmod 0600 "$tmp/wrong.conf"
"$B/sfctl" -c "$tmp/wrong.conf" doctor --json > "$tmp/doctor.json" 2> /dev/null
check "sfctl doctor, [host] name $H2 on $H1's OVSDB: fails, naming chassis $H1" jq -e --arg h "$H1" \
	'.ok == false and ([.checks[] | select(.name == "ovn" and .status == "fail" and
	 (.message | contains("is chassis '"'"'" + $h + "'"'"'")))] | length == 1)' "$tmp/doctor.json"

# An OVSDB of our own (this test's ovsdb-server, stopped by its pid) whose
# chassis is host21 by system-id alone (no hostname key) and has no
# encapsulation: the check finds the chassis and fails on Geneve.
ovsdb-tool create "$tmp/conf.db" /usr/share/openvswitch/vswitch.ovsschema
ovsdb-server "$tmp/conf.db" --remote="punix:$tmp/db.sock" --unixctl="$tmp/ovsdb.ctl" \
	--log-file="$tmp/ovsdb.log" > /dev/null 2>&1 &
own_ovsdb=$!
own_ovsdb_stop() { kill "$own_ovsdb" 2> /dev/null; wait "$own_ovsdb" 2> /dev/null; }
at_exit 20 own_ovsdb_stop
wait_until 10 test -S "$tmp/db.sock" || die "our ovsdb-server did not start"
ovs-vsctl --db="unix:$tmp/db.sock" --timeout=10 --no-wait -- init -- set Open_vSwitch . \
	external_ids:system-id="$H1" external_ids:ovn-remote="$SF_TB_OVN_SB" || die "our OVSDB"
sed "s#^ovsdb = .*#ovsdb = unix:$tmp/db.sock#" "$(scripts/sfhost conf "${inst[$H1]}")" > "$tmp/noencap.conf"
chmod 0600 "$tmp/noencap.conf"
"$B/sfctl" -c "$tmp/noencap.conf" doctor --json > "$tmp/doctor.json" 2> /dev/null
check "sfctl doctor, an OVSDB of chassis $H1 (system-id only) without Geneve: fails on that" \
	jq -e --arg h "$H1" '[.checks[] | select(.name == "ovn" and .status == "fail" and
	 (.message | contains("chassis '"'"'" + $h + "'"'"' has no Geneve")))] | length == 1' "$tmp/doctor.json"
own_ovsdb_stop

# --- a container on each host; the security group is OVN's ACLs ----------------------
say "[$SECONDS s] containers"
calls() { # INSTANCE HOST: Neutron calls it made so far
	ip netns exec "$(host_ns "$2")" curl -sf "http://$(scripts/sfhost metrics "$1")/metrics" |
		awk '/^superfluid_neutron_request_duration_seconds_count/ { s += $NF } END { print s + 0 }'
}
declare -A ns_of ip_of
sleep 1   # the refiller and syncer settle; then count the warm ADD's calls
for c in c1 c2; do
	h=$H1; [ "$c" = c2 ] && h=$H2
	calls0=$(calls "${inst[$h]}" "$h")
	mk_netns "ns_of[$c]" "$c"
	CONF_SOCKET=$(scripts/sfhost sock "${inst[$h]}")
	cni ADD "$NAME-$c" "/run/netns/${ns_of[$c]}" eth0 "${cf_of[$h]}"
	expect "ADD $c on $h (warm, $took_ms ms)" 0 '.ips[0].address != null' || die "ADD $c"
	ip_of[$c]=$(jq -r '.ips[0].address | sub("/.*"; "")' <<< "$out")
	check "$c's warm ADD made no Neutron call" test "$(calls "${inst[$h]}" "$h")" = "$calls0"
done
check "no ICMP rule: c1 ($H1) cannot ping c2 ($H2)" not ping_ok "${ns_of[c1]}" "${ip_of[c2]}" 3
icmp_rule=$(sg_allow_icmp "$sg_id" | jq -r .security_group_rule.id)
check "an ICMP rule added: c1 ($H1) pings c2 ($H2)" ping_ok "${ns_of[c1]}" "${ip_of[c2]}" 20
timeout 5 tcpdump -i "sf-$H1-u" -c 2 -nn 'udp port 6081' > "$tmp/geneve.txt" 2> /dev/null &
cap=$!
sleep 0.5
# Pings for 3 s: a loaded machine may start tcpdump after the first ones
# (the ASan run at load 11 saw none captured); it stops at 2 packets.
ip netns exec "${ns_of[c2]}" ping -c 10 -i 0.3 -W 1 "${ip_of[c1]}" > /dev/null 2>&1
wait "$cap"
check "... and c2 pings c1, over Geneve between the chassis (UDP 6081 on the underlay)" \
	test "$(grep -c 'UDP\|Geneve' "$tmp/geneve.txt")" -ge 2
# TCP in bulk between the chassis: the userspace datapath passes frames on
# as it reads them, so the daemon finishes the offloads before br-int.
tcp_mib_check "from c1 ($H1) to c2 ($H2)" "$sg_id" "${ns_of[c1]}" "${ns_of[c2]}" "${ip_of[c2]}"
neutron DELETE "security-group-rules/$icmp_rule" > /dev/null || fail "deleting rule $icmp_rule"
blocked() { ! ping_once "${ns_of[c1]}" "${ip_of[c2]}"; }
check "the rule removed: c1 cannot ping c2 again" wait_until 20 blocked
# The subnet's gateway on a Neutron router: an OVN logical router (ovn-router).
gw_ping() { ping_once "${ns_of[c2]}" "$pfx.1"; }
check "no router yet: nothing answers at the gateway $pfx.1" not gw_ping
mk_router router_id r "$subnet_id"
check "NB: the router is logical router neutron-$router_id" \
	nbctl --bare --columns=name find Logical_Router name="neutron-$router_id"
check "c2 ($H2) pings its gateway $pfx.1, the logical router's port (a reply is let in)" \
	wait_until 20 gw_ping
# Routed between two subnets: c3 on $H1 in $pfx2.0/24, c2 on $H2 in
# $pfx.0/24, through the router (OVN routes it on the sender's chassis).
neutron PUT "routers/$router_id/add_router_interface" "$(jq -nc --arg s "$subnet2_id" \
	'{subnet_id: $s}')" > /dev/null || fail "the router's interface on $pfx2.0/24"
CONF_SOCKET=$(scripts/sfhost sock "${inst[$H1]}")
cf_q=$(conf 1.0.0 "$NAME-net2" "[\"$NAME-sg\"]")
wait_pool "${inst[$H1]}" q 1 60
mk_netns "ns_of[c3]" c3
cni ADD "$NAME-c3" "/run/netns/${ns_of[c3]}" eth0 "$cf_q"
expect "ADD c3 on $H1 in the second network ($took_ms ms)" 0 '.ips[0].address != null' || die "ADD c3"
ip_of[c3]=$(jq -r '.ips[0].address | sub("/.*"; "")' <<< "$out")
icmp_rule=$(sg_allow_icmp "$sg_id" | jq -r .security_group_rule.id)
routed() { ping_once "${ns_of[c2]}" "${ip_of[c3]}"; }
check "c2 ($H2, $pfx.0/24) pings c3 ($H1, ${ip_of[c3]}) through the logical router" \
	wait_until 20 routed
neutron DELETE "security-group-rules/$icmp_rule" > /dev/null || fail "deleting rule $icmp_rule"
cni DEL "$NAME-c3" "/run/netns/${ns_of[c3]}" eth0 "$cf_q"
expect "DEL c3" 0 ""
neutron PUT "routers/$router_id/remove_router_interface" "$(jq -nc --arg s "$subnet2_id" \
	'{subnet_id: $s}')" > /dev/null || fail "removing the router's interface on $pfx2.0/24"
for c in c1 c2; do
	h=$H1; [ "$c" = c2 ] && h=$H2
	CONF_SOCKET=$(scripts/sfhost sock "${inst[$h]}")
	cni DEL "$NAME-$c" "/run/netns/${ns_of[$c]}" eth0 "${cf_of[$h]}"
	expect "DEL $c" 0 ""
done

# --- purged: nothing left ----------------------------------------------------------------
say "[$SECONDS s] purge"
declare -A ids_of purger
for h in "$H1" "$H2"; do   # both at once: a purge's openstack calls take seconds
	ids_of[$h]=$(instance_ports "${inst[$h]}")
	scripts/sfhost stop "${inst[$h]}" --purge > "$tmp/purge-$h.out" 2>&1 &
	purger[$h]=$!
done
for h in "$H1" "$H2"; do
	o=${inst[$h]} ids=${ids_of[$h]}
	wait "${purger[$h]}" || fail "purging $o: $(cat "$tmp/purge-$h.out")"
	check "$o purged: no Neutron port tagged with it" test -z "$(instance_ports "$o")"
	lsps=$(for id in $ids; do nbctl --bare --columns=name find Logical_Switch_Port name="$id"; done)
	check "... no logical switch port of its ports ($(wc -w <<< "$ids") had been)" test -z "$lsps"
	check "... no OVSDB port of it on $h" \
		test -z "$(vsctl "$h" --bare --columns=name find Interface "external_ids:sf-deployment=$o")"
	left=$(ip -n "$(host_ns "$h")" -j link show | jq -r --arg a "sf:$o:" \
		'[.[] | select((.ifalias // "") | startswith($a)) | .ifname] | join(" ")')
	check "... no interface of it on $h ($left)" test -z "$left"
done
made_instances=()   # purged above
say "took $SECONDS s, of which the bed's up $t_bed s"
finish
