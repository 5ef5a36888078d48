#!/usr/bin/env bash
# A host with the Neutron Open vSwitch agent (docs/ovs.md): the test bed's
# OVS host runs ovsdb-server, ovs-vswitchd (userspace datapath) and the real
# neutron-openvswitch-agent; a daemon there binds its pool ports:
#  - Neutron binds them with vif_type "ovs", no hybrid plug; each port's
#    tap is a port of br-int whose Interface carries iface-id, attached-mac,
#    iface-status=active and our deployment; the agent wires it and Neutron
#    marks the port ACTIVE before the pool hands it out;
#  - two containers on the host get their ports with a warm ADD (no Neutron
#    call), and the agent's firewall enforces the security group: no ICMP
#    rule blocks a ping, adding the rule opens it, removing it closes it;
#    with a TCP rule 1 MiB passes whole (offloads finished before br-int);
#  - a pool shrunk to nothing deletes its ports and takes their taps out of
#    OVSDB: nothing of the instance is left on the switch.
# Exit 0 pass, 1 fail, 77 skip.  Cleans up all it makes, pass or fail.
# shellcheck disable=SC2154,SC2317
T=ovs_host
# shellcheck source=tests/integration/lib/daemon.sh
. "$(dirname "$0")/lib/daemon.sh"

# The test bed's OVS host: the one whose daemon config names an OVSDB.
OH=
for c in "$SF_TB_DIR"/hosts/host*/superfluid.conf; do
	grep -q '^ovsdb = ' "$c" 2> /dev/null && { OH=$(basename "$(dirname "$c")"); break; }
done
[ -n "$OH" ] || skip "the test bed has no Open vSwitch host (SF_TESTBED_OVS_HOSTS, docs/testbed.md)"
DB=$(sed -n 's/^ovsdb = //p' "$SF_TB_DIR/hosts/$OH/superfluid.conf")
vsctl() { ovs-vsctl --db="$DB" --timeout=10 "$@"; }
vsctl br-exists br-int || skip "$OH: OVSDB at $DB does not answer or has no br-int"

testnet sg   # egress only: no ICMP in
say "$OH's OVSDB: $DB"
ready_instance o "$OH" 2 120 p:net:sg min=2 max=4 batch=2
O=$INSTANCE

# --- the pool's ports, as Neutron and OVSDB see them ----------------------------------
for id in $(ctl "$O" ports | jq -r '.ports[] | select(.state == "ready") | .port_id'); do
	p=$(port_get "$id")
	check "port $id: ACTIVE, bound to $OH with vif_type ovs and no hybrid plug" jq -e --arg h "$OH" \
		'.status == "ACTIVE" and ."binding:host_id" == $h and ."binding:vif_type" == "ovs" and
		 (."binding:vif_details".ovs_hybrid_plug | not)' <<< "$p"
	tap=tap${id:0:11}
	ext=$(vsctl --if-exists get Interface "$tap" external_ids)
	check "$tap is in br-int with an OpenFlow port" \
		test "$(vsctl iface-to-br "$tap")" = br-int -a "$(vsctl get Interface "$tap" ofport)" -gt 0
	want="{attached-mac=\"$(jq -r .mac_address <<< "$p")\", iface-id=\"$id\", iface-status=active, sf-deployment=$O}"
	check "$tap's external_ids: iface-id, attached-mac, iface-status=active, sf-deployment ($ext)" \
		test "$ext" = "$want"
done

# sfctl doctor with the instance's config: the OVS agent, and OVSDB.
"$B/sfctl" -c "$(scripts/sfhost conf "$O")" doctor --json > "$tmp/doctor.json" 2> /dev/null
check "sfctl doctor: the Open vSwitch agent is alive, OVSDB has br-int" jq -e \
	'[.checks[] | select((.name == "agent" and (.message | contains("Open vSwitch agent"))) or
	 (.name == "ovsdb" and (.message | contains("br-int")))) | .status] == ["ok", "ok"]' \
	"$tmp/doctor.json"

# --- two containers, the security group ---------------------------------------------
calls() {
	ip netns exec "$(host_ns "$OH")" curl -sf "http://$(scripts/sfhost metrics "$O")/metrics" |
		awk '/^superfluid_neutron_request_duration_seconds_count/ { s += $NF } END { print s + 0 }'
}
declare -A ns_of ip_of
sleep 2   # the refiller and syncer settle; then count c1's warm ADD's calls
calls0=$(calls)
for c in c1 c2; do
	mk_netns "ns_of[$c]" "$c"
	cni ADD "$NAME-$c" "/run/netns/${ns_of[$c]}" eth0 "$cf"
	expect "ADD $c on $OH (warm, $took_ms ms)" 0 '.ips[0].address != null' || die "ADD $c"
	ip_of[$c]=$(jq -r '.ips[0].address | sub("/.*"; "")' <<< "$out")
	mac=$(jq -r '.interfaces[] | select(.sandbox != null) | .mac' <<< "$out")
	[ "$c" = c1 ] && calls1=$(calls)
	check "$c: eth0 has the port's MAC $mac" \
		test "$(link_json "${ns_of[$c]}" eth0 | jq -r .address)" = "$mac"
done
check "c1's warm ADD made no Neutron call ($calls0 -> $calls1)" test "$calls1" = "$calls0"
check "no ICMP rule: c1 cannot ping c2" not ping_ok "${ns_of[c1]}" "${ip_of[c2]}" 3
rule=$(sg_allow_icmp "$sg_id" | jq -r .security_group_rule.id)
check "an ICMP rule added: c1 pings c2 (the agent's OVS firewall)" \
	ping_ok "${ns_of[c1]}" "${ip_of[c2]}" 20
check "... and c2 pings c1" ping_ok "${ns_of[c2]}" "${ip_of[c1]}" 5
# TCP in bulk through the userspace datapath, which forwards what it reads
# off tap<p11> as it is: the container's partial checksums and GSO frames
# are finished on sfp<p11> (bind.c), or no segment past the first arrives.
tcp_mib_check "from c1 to c2" "$sg_id" "${ns_of[c1]}" "${ns_of[c2]}" "${ip_of[c2]}"
neutron DELETE "security-group-rules/$rule" > /dev/null || fail "deleting rule $rule"
blocked() { ! ping_once "${ns_of[c1]}" "${ip_of[c2]}"; }
check "the rule removed: c1 cannot ping c2 again" wait_until 20 blocked
for c in c1 c2; do
	cni DEL "$NAME-$c" "/run/netns/${ns_of[$c]}" eth0 "$cf"
	expect "DEL $c" 0 ""
done

# --- shrink: nothing left on the switch -------------------------------------------------
ours() { vsctl --bare --columns=name find Interface "external_ids:sf-deployment=$O"; }
check "OVSDB holds the instance's pool taps ($(ours | wc -w))" test "$(ours | wc -w)" -ge 2
sed -i 's/^min = 2$/min = 0/; s/^max = 4$/max = 0/' "$(scripts/sfhost conf "$O")"
kill -HUP "$(cat "$(scripts/sfhost dir "$O")/pid")"
for c in s1 s2 s3 s4; do   # a pool at max 0 trims on release
	mk_netns "ns_of[$c]" "$c"
	cni ADD "$NAME-$c" "/run/netns/${ns_of[$c]}" eth0 "$cf"
	cni DEL "$NAME-$c" "/run/netns/${ns_of[$c]}" eth0 "$cf"
done
no_ports() { [ -z "$(instance_ports "$O")" ]; }
check "the pool shrank to no port in Neutron" wait_until 60 no_ports
no_taps() { [ -z "$(ours)" ]; }
check "... and OVSDB holds no port of the instance" wait_until 20 no_taps
left=$(ip -n "$(host_ns "$OH")" -j link show | jq -r --arg a "sf:$O:" \
	'[.[] | select((.ifalias // "") | startswith($a)) | .ifname] | join(" ")')
check "... nor the host an interface of it ($left)" test -z "$left"
finish
