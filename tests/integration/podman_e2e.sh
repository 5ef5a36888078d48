#!/usr/bin/env bash
# podman, end to end, on Neutron: real podman (CNI backend, through a private
# CONTAINERS_CONF and network_config_dir) runs containers whose networks are
# conflists of type "superfluid", served by two superfluidd instances, one
# on each simulated host of the test bed.  The `openstack` CLI is the
# independent witness of Neutron's side; the daemons' socket (ctl queries)
# is the witness of theirs.
#
# It checks: each container's eth0 has its Neutron port's MAC and address;
# the port is ACTIVE, bound to the container's host, device_id = podman's
# full container id (the CNI_CONTAINERID podman passes); containers on one
# host and across hosts (VXLAN) ping each other; a port whose security
# group has no ICMP rule is not pinged while the same pair with the ICMP
# group is; podman rm (DEL) returns the port to the pool and clears
# device_id; podman stop/start; SIGKILLed daemons, restarted, lose nothing
# (containers keep working, counts agree with Neutron, DEL after the
# restart releases); podman run with the daemon down fails cleanly; and in
# the end no port, netns or interface is left.
# On either bed: the first two hosts of SF_TB_HOSTS (host1 and host2, VXLAN
# between them; tests/integration/ovn_suites.sh runs it on the OVN bed's two
# chassis, Geneve between them, where it also checks that br-int and the
# logical switch are left clean).
# Exit 0 pass, 1 fail, 77 skip.  Cleans up all it makes, pass or fail.
# shellcheck disable=SC2015,SC2317,SC2154  # `A && pass || fail`; helpers called indirectly; testnet sets *_id
T=podman_e2e
ENV_TOOLS="podman runc openstack jq socat curl ip"
# shellcheck source=tests/integration/lib/env.sh
. "$(dirname "$0")/lib/env.sh"
# shellcheck source=tests/integration/lib/openstack.sh
. tests/integration/lib/openstack.sh
# shellcheck source=tests/integration/lib/instance.sh
. tests/integration/lib/instance.sh
# shellcheck source=tests/integration/lib/podman.sh
. tests/integration/lib/podman.sh
[ -x /bin/busybox ] || skip "/bin/busybox is missing (busybox-static)"

# osc: runs the openstack commands on stdin in one CLI process (each CLI
# start costs ~1 s); prints their JSON outputs one after the other.
osc() { openstack 2> "$tmp/osc.err"; }

# --- the daemons' side ----------------------------------------------------------

holds_nothing() { # INSTANCE CID
	ctl "$1" ports | jq -e --arg c "$2" '[.ports[] | select(.container_id == $c)] |
		length == 0' > /dev/null
}
port_state_is() { [ "$(port_state "$1" "$2")" = "$3" ]; }
# Both pools known, nothing wiring, creating, cooling or deleting, and each
# pool at least its minimum ready.
pools_settled() { # INSTANCE
	ctl "$1" pools | jq -e '(.pools | length) == 2 and all(.pools[]; .wiring == 0 and .creating == 0 and
		.cooldown == 0 and .deleting == 0 and .ready >= .min)' > /dev/null
}
# The instance's ports agree with Neutron's: the same set of ids (Neutron
# lists by the deployment tag), and each pool lends `in_use` ports as
# expected: counts "POOL=N POOL=N".
counts_agree() { # INSTANCE "icmp=N closed=N"
	local inst=$1 want=$2 kv got ours theirs
	wait_until 60 pools_settled "$inst" ||
		{ fail "$inst: pools did not settle: $(ctl "$inst" pools)"; return; }
	for kv in $want; do
		got=$(pool_field "$inst" "${kv%=*}" in_use)
		[ "$got" = "${kv#*=}" ] || { fail "$inst: pool ${kv%=*} lends $got ports, want ${kv#*=}"; return; }
	done
	ours=$(ctl "$inst" ports | jq -r '.ports[].port_id' | sort)
	theirs=$(openstack port list --tags "sf-deployment=$inst" -f value -c ID | sort)
	if [ "$ours" = "$theirs" ]; then
		pass "$inst: pools at rest, lending $want; its $(wc -l <<< "$ours") ports are exactly Neutron's (tag sf-deployment=$inst)"
	else
		fail "$inst: the daemon's ports and Neutron's differ: daemon: $(tr '\n' ' ' <<< "$ours") neutron: $(tr '\n' ' ' <<< "$theirs")"
	fi
}

# --- containers ------------------------------------------------------------------

declare -A C_ID C_HOST C_SG C_INST C_NS C_MAC C_IP C_PORT

# run_container LABEL HOST SG: podman run on network $NAME-HOST-SG.
run_container() {
	local c=$1 id
	id=$(pm run -d --name "$NAME-$c" --network "$NAME-$2-$3" --rootfs "$pm_dir/rootfs" \
		sleep 600 2> "$tmp/run.err") || { fail "podman run $c: $(cat "$tmp/run.err")"; return 1; }
	C_ID[$c]=$id C_HOST[$c]=$2 C_SG[$c]=$3 C_INST[$c]=${INST[$2]}
	C_NS[$c]=$(pm inspect --format '{{.NetworkSettings.SandboxKey}}' "$NAME-$c")
	C_MAC[$c]=$(pm exec "$NAME-$c" ip -o link show eth0 |
		sed -n 's/.*link\/ether \([0-9a-f:]*\).*/\1/p')
	C_IP[$c]=$(pm exec "$NAME-$c" ip -o -4 addr show eth0 |
		sed -n 's/.*inet \([0-9.]*\/[0-9]*\).*/\1/p')
	say "  $c on $2 ($3): id ${id:0:12}, eth0 ${C_MAC[$c]} ${C_IP[$c]}"
}

# The shim logs "VERB CONTAINERID NETNS IFNAME" for each call podman makes.
called() { # VERB CID NETNS
	grep -qxF "$1 $2 $3 eth0" "$tmp/calls.log"
}

ping_once() { pm exec "$NAME-$1" ping -c 1 -W 1 "${C_IP[$2]%/*}" > /dev/null 2>&1; }
# ping_ok FROM TO: an echo comes back within 10 s (the first needs ARP).
ping_ok() { wait_until 10 ping_once "$1" "$2"; }
# ping_blocked FROM TO: 3 echoes, none answered.
ping_blocked() { ! pm exec "$NAME-$1" ping -c 3 -W 1 "${C_IP[$2]%/*}" > /dev/null 2>&1; }

# --- setup ---------------------------------------------------------------------------

testnet icmp:icmp closed

# One instance per host, each with a pool per group, named by id (the
# containers' networks name them by name).
declare -A INST
for h in "$TB_H1" "$TB_H2"; do
	start_instance "pm${h#host}" "$h" <<-EOF
		[pools]
		min = 2
		max = 4
		batch = 2
		cooldown_ms = 1000
		[pool icmp]
		network = $net_id
		security_groups = $icmp_id
		[pool closed]
		network = $net_id
		security_groups = $closed_id
	EOF
	INST[$h]=$INSTANCE
	say "superfluidd ${INST[$h]} on $h"
done
for h in "$TB_H1" "$TB_H2"; do
	wait_until 90 pools_settled "${INST[$h]}" ||
		die "${INST[$h]}: pools not full in 90 s: $(ctl "${INST[$h]}" pools)"
done
pass "both daemons' pools are full (2 ready ports per pool, bound, ACTIVE)"

# podman: CNI backend, our plugin dir and network dir, no system file.
podman_private "$tmp/plugins"
# A shim that records each call, then is the plugin.
mkdir -p "$tmp/plugins"
cat > "$tmp/plugins/superfluid" <<-EOF
	#!/bin/sh
	echo "\$CNI_COMMAND \$CNI_CONTAINERID \$CNI_NETNS \$CNI_IFNAME" >> $tmp/calls.log
	exec $B/superfluid
EOF
chmod 0755 "$tmp/plugins/superfluid"
# One network per (host, group); "socket" picks the host's daemon.
for h in "$TB_H1" "$TB_H2"; do
	for sg in icmp closed; do
		jq -n --arg n "$NAME-$h-$sg" --arg net "$NAME-net" --arg sg "$NAME-$sg" \
			--arg s "$(scripts/sfhost sock "${INST[$h]}")" \
			'{cniVersion: "1.0.0", name: $n, plugins: [{type: "superfluid",
			  network: $net, securityGroups: [$sg], socket: $s}]}' \
			> "$pm_dir/net.d/$NAME-$h-$sg.conflist"
	done
done
n=$(pm network ls --format '{{.Name}} {{.Driver}}' | grep -c "^$NAME-\\($TB_H1\\|$TB_H2\\)-[a-z]* superfluid$")
[ "$n" = 4 ] && pass "podman lists the 4 superfluid networks" || die "podman sees $n of 4 networks"

# --- 1. podman run -----------------------------------------------------------------

ready_before=$(for h in "$TB_H1" "$TB_H2"; do
	ctl "${INST[$h]}" ports | jq -r '.ports[] | select(.state == "ready") | .port_id'; done)
say "podman run: c11 c12 ($TB_H1, icmp), c13 ($TB_H1, closed), c21 ($TB_H2, icmp), c22 ($TB_H2, closed)"
run_container c11 "$TB_H1" icmp
run_container c12 "$TB_H1" icmp
run_container c13 "$TB_H1" closed
run_container c21 "$TB_H2" icmp
run_container c22 "$TB_H2" closed
for c in c11 c12 c13 c21 c22; do [ -n "${C_ID[$c]:-}" ] || die "container $c did not start"; done

for c in c11 c12 c13 c21 c22; do
	id=${C_ID[$c]}
	[[ $id =~ ^[0-9a-f]{64}$ ]] && called ADD "$id" "${C_NS[$c]}" &&
		pass "$c: podman called ADD with CNI_CONTAINERID = its full id ${id:0:12}..., CNI_NETNS = ${C_NS[$c]}, eth0" ||
		fail "$c: no ADD with its id $id and netns ${C_NS[$c]} in: $(cat "$tmp/calls.log")"
	C_PORT[$c]=$(held_port "${C_INST[$c]}" "$id" eth0 in_use) ||
		fail "$c: ${C_INST[$c]} lends no port to it: $(ctl "${C_INST[$c]}" ports)"
	grep -qxF "${C_PORT[$c]:-none}" <<< "$ready_before" &&
		pass "$c: served from the pool (port ${C_PORT[$c]:0:8} was ready before podman run)" ||
		fail "$c: its port ${C_PORT[$c]:-none} was not one of the ready ones: $ready_before"
done
say "podman's calls so far: $(sort "$tmp/calls.log" | cut -d' ' -f1 | uniq -c | xargs)"

# Neutron's side, once the daemons have told it who holds what.
neutron_holders_set() {
	local c
	for c in c11 c12 c13 c21 c22; do echo "port list --device-id ${C_ID[$c]} -f json"; done |
		osc > "$tmp/lists.json"
	jq -se 'length == 5 and all(.[]; length == 1)' "$tmp/lists.json" > /dev/null
}
wait_until 30 neutron_holders_set ||
	fail "Neutron does not show one port per container by device_id: $(cat "$tmp/lists.json")"
for c in c11 c12 c13 c21 c22; do echo "port show ${C_PORT[$c]:-none} -f json"; done |
	osc > "$tmp/shows.json"
i=0
for c in c11 c12 c13 c21 c22; do
	p=$(jq -sc ".[$i]" "$tmp/shows.json"); i=$((i + 1))
	sg_id=$([ "${C_SG[$c]}" = icmp ] && echo "$icmp_id" || echo "$closed_id")
	listed=$(jq -sr ".[$((i - 1))][0].ID" "$tmp/lists.json")
	if [ -n "$p" ] && jq -e --arg id "${C_ID[$c]}" --arg mac "${C_MAC[$c]}" --arg ip "${C_IP[$c]%/*}" \
		--arg host "${C_HOST[$c]}" --arg sg "$sg_id" --arg inst "${C_INST[$c]}" \
		--arg net "$net_id" --arg listed "$listed" '
		.id == $listed and .device_id == $id and .mac_address == $mac and
		.fixed_ips[0].ip_address == $ip and (.fixed_ips | length) == 1 and
		.status == "ACTIVE" and .binding_host_id == $host and .network_id == $net and
		.security_group_ids == [$sg] and (.device_owner | startswith("compute:")) and
		.name == "sf-" + $id[0:12] + "-eth0" and
		(.tags | index("sf-deployment=" + $inst) != null) and
		(.tags | index("sf-host=" + $host) != null)' <<< "$p" > /dev/null; then
		pass "$c: Neutron port ${C_PORT[$c]:0:8} ACTIVE on ${C_HOST[$c]}, device_id = its id, MAC ${C_MAC[$c]} and ${C_IP[$c]%/*} as in eth0, group ${C_SG[$c]}"
	else
		fail "$c: Neutron's port does not match (eth0 ${C_MAC[$c]} ${C_IP[$c]}, id ${C_ID[$c]}, ${C_HOST[$c]}): $p"
	fi
	[[ ${C_IP[$c]} == "$pfx".*/24 ]] || fail "$c: eth0 has ${C_IP[$c]}, not in $pfx.0/24"
	pm exec "$NAME-$c" ip route | grep -q "^default via $pfx.1 dev eth0" &&
		pass "$c: default route via the subnet's gateway $pfx.1" ||
		fail "$c: no default route via $pfx.1: $(pm exec "$NAME-$c" ip route)"
done

# --- 2. traffic and security groups ----------------------------------------------------

check "c11 -> c12 (same host) ping" ping_ok c11 c12
check "c11 -> c21 ($TB_H1 -> $TB_H2, over the underlay) ping" ping_ok c11 c21
check "c21 -> c11 ($TB_H2 -> $TB_H1) ping" ping_ok c21 c11
check "c11 -> c22 ($TB_H2, group without ICMP): no echo comes back" ping_blocked c11 c22
neigh=$(pm exec "$NAME-c11" ip neigh show "${C_IP[c22]%/*}")
[[ $neigh == *"${C_MAC[c22]}"* ]] &&
	pass "  ...yet c11 resolved c22's MAC (ARP): L2 reaches it, the group drops ICMP" ||
	fail "c11 did not resolve c22's MAC: $neigh"
check "c22 -> c11 ping (c22's port works; only ingress ICMP to it is refused)" ping_ok c22 c11
check "c11 -> c13 (same host, group without ICMP): no echo comes back" ping_blocked c11 c13
check "c13 -> c12 ping (same host, to the ICMP group)" ping_ok c13 c12

# --- 3. podman rm ---------------------------------------------------------------------

say "podman rm -f c12"
pm rm -f -t 0 "$NAME-c12" > /dev/null || fail "podman rm c12"
called DEL "${C_ID[c12]}" "${C_NS[c12]}" && pass "c12: podman called DEL with its id and netns" ||
	fail "c12: no DEL in: $(cat "$tmp/calls.log")"
check "c12: its netns ${C_NS[c12]} is gone" test ! -e "${C_NS[c12]}"
holds_nothing "${INST[$TB_H1]}" "${C_ID[c12]}" && pass "c12: the daemon lends it nothing any more" ||
	fail "c12: still held: $(ctl "${INST[$TB_H1]}" ports)"
wait_until 15 port_state_is "${INST[$TB_H1]}" "${C_PORT[c12]}" ready &&
	pass "c12's port ${C_PORT[c12]:0:8} is back in the pool, ready, after the cool-down" ||
	fail "c12's port is $(port_state "${INST[$TB_H1]}" "${C_PORT[c12]}"), not ready"
device_id_is() { # PORT WANT
	[ "$(openstack port show "$1" -f value -c device_id 2> /dev/null)" = "$2" ]
}
wait_until 20 device_id_is "${C_PORT[c12]}" "" &&
	pass "Neutron: c12's port has device_id cleared" ||
	fail "Neutron: c12's port still has device_id $(openstack port show "${C_PORT[c12]}" -f value -c device_id)"
no_link() { ! ip -n "$(host_ns "$1")" link show "$2" > /dev/null 2>&1; }
wait_until 15 no_link "$TB_H1" "sfc${C_PORT[c12]:0:11}" &&
	pass "$TB_H1: c12's veth sfc${C_PORT[c12]:0:11} is gone" ||
	fail "$TB_H1: sfc${C_PORT[c12]:0:11} is still there"
counts_agree "${INST[$TB_H1]}" "icmp=1 closed=1"

# SF_PODMAN_QUICK=1 (tests/integration/ovn_suites.sh on the OVN bed) leaves
# sections 4 and 5 out: the daemon's crash and restart and podman stop/start
# are the same on every backend (the soak kills daemons on OVN too).
rest=(c13 c11 c21 c22)   # the containers still up at the end
if [ "${SF_PODMAN_QUICK:-0}" != 1 ]; then
	# --- 4. daemons killed with SIGKILL, restarted ---------------------------------------

	say "podman rm -f c13 and podman run c14 ($TB_H1, icmp), then SIGKILL both daemons"
	pm rm -f -t 0 "$NAME-c13" > /dev/null || fail "podman rm c13"
	run_container c14 "$TB_H1" icmp
	C_PORT[c14]=$(held_port "${INST[$TB_H1]}" "${C_ID[c14]:-none}" eth0 in_use) || fail "c14 holds no port"
	scripts/sfhost kill "${INST[$TB_H1]}" > /dev/null
	scripts/sfhost kill "${INST[$TB_H2]}" > /dev/null
	check "c14 -> c21 ping with both daemons dead (the data plane needs no daemon)" ping_ok c14 c21
	check "c21 -> c11 ping with both daemons dead" ping_ok c21 c11
	if pm run -d --name "$NAME-c15" --network "$NAME-$TB_H1-icmp" --rootfs "$pm_dir/rootfs" \
		sleep 600 > /dev/null 2> "$tmp/run.err"; then
		fail "podman run c15 succeeded with $TB_H1's daemon dead"
	else
		grep -q "not reachable" "$tmp/run.err" &&
			pass "podman run c15 with the daemon dead fails, saying: $(grep -o 'superfluidd is not reachable[^:]*' "$tmp/run.err" | head -1)" ||
			fail "podman run c15 failed without the expected message: $(cat "$tmp/run.err")"
	fi
	C_ID[c15]=$(pm inspect --format '{{.Id}}' "$NAME-c15" 2> /dev/null)
	pm rm -f -t 0 "$NAME-c15" > /dev/null 2>&1
	say "restarting both daemons"
	scripts/sfhost restart "${INST[$TB_H1]}" > /dev/null || die "restart ${INST[$TB_H1]}"
	scripts/sfhost restart "${INST[$TB_H2]}" > /dev/null || die "restart ${INST[$TB_H2]}"
	check "after the restart: c11 -> c21 ping" ping_ok c11 c21
	check "after the restart: c14 -> c22 ping blocked, c22 -> c14 ping works" \
		eval 'ping_blocked c14 c22 && ping_ok c22 c14'
	for c in c11 c14 c21 c22; do
		got=$(held_port "${C_INST[$c]}" "${C_ID[$c]}" eth0 in_use)
		[ "$got" = "${C_PORT[$c]}" ] && pass "after the restart: $c still holds port ${got:0:8}" ||
			fail "after the restart: $c holds '$got', want ${C_PORT[$c]}"
	done
	[ -z "${C_ID[c15]}" ] || holds_nothing "${INST[$TB_H1]}" "${C_ID[c15]}" &&
		pass "c15 (ADD failed while the daemon was dead) holds nothing" ||
		fail "c15 holds a port: $(ctl "${INST[$TB_H1]}" ports)"
	wait_until 15 port_state_is "${INST[$TB_H1]}" "${C_PORT[c13]}" ready &&
		pass "c13's port (released just before the crash) is ready again" ||
		fail "c13's port is $(port_state "${INST[$TB_H1]}" "${C_PORT[c13]}")"
	wait_until 20 device_id_is "${C_PORT[c14]}" "${C_ID[c14]}" &&
		pass "Neutron: c14's port (claimed just before the crash) has device_id = c14's id" ||
		fail "Neutron: c14's port device_id is $(openstack port show "${C_PORT[c14]}" -f value -c device_id)"
	wait_until 20 device_id_is "${C_PORT[c13]}" "" &&
		pass "Neutron: c13's port has device_id cleared" ||
		fail "Neutron: c13's port device_id is $(openstack port show "${C_PORT[c13]}" -f value -c device_id)"
	counts_agree "${INST[$TB_H1]}" "icmp=2 closed=0"
	counts_agree "${INST[$TB_H2]}" "icmp=1 closed=1"

	# --- 5. after the restart: stop/start, rm -------------------------------------------

	# What podman 4 drives, as docs/runtimes.md says (from its CNI code's
	# source): ADD, DEL and VERSION, never CHECK or GC.
	verbs=$(cut -d' ' -f1 "$tmp/calls.log" | sort | uniq -c | xargs)
	grep -qvE '^(ADD|DEL|VERSION) ' "$tmp/calls.log" &&
		fail "podman called another verb than ADD, DEL and VERSION ($verbs): docs/runtimes.md says it does not" ||
		pass "podman drove only ADD, DEL and VERSION so far ($verbs): no CHECK, no GC"

	say "podman stop c21, podman start c21"
	ns_before=${C_NS[c21]} port_before=${C_PORT[c21]}
	: > "$tmp/calls.log"
	pm stop -t 0 "$NAME-c21" > /dev/null || fail "podman stop c21"
	called DEL "${C_ID[c21]}" "$ns_before" && pass "podman stop: DEL for c21" ||
		fail "podman stop: no DEL: $(cat "$tmp/calls.log")"
	holds_nothing "${INST[$TB_H2]}" "${C_ID[c21]}" && pass "stopped c21 holds nothing" ||
		fail "stopped c21 still holds a port"
	pm start "$NAME-c21" > /dev/null || fail "podman start c21"
	C_NS[c21]=$(pm inspect --format '{{.NetworkSettings.SandboxKey}}' "$NAME-c21")
	C_IP[c21]=$(pm exec "$NAME-c21" ip -o -4 addr show eth0 | sed -n 's/.*inet \([0-9.]*\/[0-9]*\).*/\1/p')
	called ADD "${C_ID[c21]}" "${C_NS[c21]}" && pass "podman start: ADD for c21 in its new netns" ||
		fail "podman start: no ADD: $(cat "$tmp/calls.log")"
	C_PORT[c21]=$(held_port "${INST[$TB_H2]}" "${C_ID[c21]}" eth0 in_use) && pass "c21 holds a port again (${C_PORT[c21]:0:8}, ${C_IP[c21]})" ||
		fail "c21 holds no port after podman start"
	check "c11 -> c21 ping after podman start" ping_ok c11 c21
	wait_until 20 device_id_is "${C_PORT[c21]}" "${C_ID[c21]}" &&
		pass "Neutron: c21's new port has device_id = c21's id" || fail "Neutron: c21's new port device_id wrong"
	[ "$port_before" = "${C_PORT[c21]}" ] ||
		{ wait_until 20 device_id_is "$port_before" "" &&
			pass "Neutron: c21's old port has device_id cleared" ||
			fail "Neutron: c21's old port still shows a holder"; }
	rest=(c11 c14 c21 c22)
fi

say "podman rm -f ${rest[*]}"
held=()
for c in "${rest[@]}"; do held+=("${C_PORT[$c]}"); done
pm rm -f -t 0 "${rest[@]/#/$NAME-}" > /dev/null || fail "podman rm"
for c in "${rest[@]}"; do
	if ! called DEL "${C_ID[$c]}" "${C_NS[$c]}"; then
		fail "$c: no DEL from podman rm: $(cat "$tmp/calls.log")"
	elif ! holds_nothing "${C_INST[$c]}" "${C_ID[$c]}"; then
		fail "$c: its port is still lent"
	elif [ -e "${C_NS[$c]}" ]; then
		fail "$c: netns ${C_NS[$c]} left"
	else
		pass "$c: podman rm called DEL, the daemon lends it nothing, its netns is gone"
	fi
done
cleared() {
	local p
	for p in "${held[@]}"; do echo "port show $p -f json -c device_id"; done | osc > "$tmp/held.json"
	jq -se "length == ${#held[@]} and all(.[]; .device_id == \"\")" "$tmp/held.json" > /dev/null
}
wait_until 30 cleared && pass "Neutron: all released ports have device_id cleared" ||
	fail "Neutron: some released port still has a holder: $(cat "$tmp/held.json")"
counts_agree "${INST[$TB_H1]}" "icmp=0 closed=0"
counts_agree "${INST[$TB_H2]}" "icmp=0 closed=0"
veths_gone() {
	local h p
	for h in "$TB_H1" "$TB_H2"; do
		for p in "${held[@]}"; do
			ip -n "$(host_ns "$h")" link show "sfc${p:0:11}" > /dev/null 2>&1 && return 1
		done
	done
	return 0
}
wait_until 15 veths_gone && pass "no container veth (sfc...) of these ports left on the hosts" ||
	fail "container veths left on the hosts"

# --- 6. purge: nothing left ---------------------------------------------------------

all_ports=$(for i in "${made_instances[@]}"; do openstack port list --tags "sf-deployment=$i" -f value -c ID; done)
say "sfhost stop --purge both instances ($(wc -w <<< "$all_ports") ports)"
for i in "${made_instances[@]}"; do
	scripts/sfhost stop "$i" --purge > /dev/null 2>&1 || fail "sfhost stop $i --purge"
done
purged=("${made_instances[@]}")
made_instances=()
left=$(for i in "${purged[@]}"; do openstack port list --tags "sf-deployment=$i" -f value -c ID; done)
[ -z "$left" ] && pass "Neutron: no port tagged with either deployment is left" ||
	fail "Neutron: ports left: $left"
ifs_left=""
for h in "$TB_H1" "$TB_H2"; do
	links=$(ip -n "$(host_ns "$h")" -o link show | awk -F': ' '{print $2}' | cut -d@ -f1)
	for p in $all_ports; do
		ifs_left+=$(grep -E "^(tap|sfp|sfb|sfc)${p:0:11}$" <<< "$links" | sed "s/^/$h:/")
	done
done
[ -z "$ifs_left" ] && pass "no tap/sfp/sfb/sfc interface of those ports is left on the hosts" ||
	fail "interfaces left: $ifs_left"
if [ -n "$(host_ovsdb "$TB_H1")" ]; then   # OVN chassis: br-int too
	ovsdb_left=$(for h in "$TB_H1" "$TB_H2"; do
		for i in "${purged[@]}"; do host_ovsdb_ifaces "$h" "$i" | sed "s/^/$h:/"; done; done)
	check "no OVSDB port (br-int) of either deployment is left on the chassis${ovsdb_left:+: $ovsdb_left}" \
		test -z "$ovsdb_left"
fi
n=$(pm ps -a --format '{{.Names}}' | grep -c "^$NAME-")
[ "$n" = 0 ] && pass "podman: none of the test's containers is left" || fail "podman: $n containers left"
for c in "${!C_NS[@]}"; do
	[ -e "${C_NS[$c]}" ] && fail "netns ${C_NS[$c]} ($c) left"
done
openstack network delete "$net_id" ||
	fail "deleting the network (a port left on it?)"
brq_gone() {
	local h
	for h in "$TB_H1" "$TB_H2"; do
		ip -n "$(host_ns "$h")" link show "brq${net_id:0:11}" > /dev/null 2>&1 && return 1
	done
	return 0
}
if [ "${SF_TB_VARIANT:-}" = ovn ]; then   # no agent, no brq: the logical switch
	ls_gone() { [ -z "$(ovn-nbctl --db="$SF_TB_OVN_NB" --timeout=10 --bare --columns=name find \
		Logical_Switch name="neutron-$net_id")" ]; }
	check "NB: the network's logical switch neutron-${net_id:0:8}... is gone" wait_until 15 ls_gone
else
	wait_until 15 brq_gone && pass "the network's bridge brq${net_id:0:11} is gone from both hosts" ||
		fail "brq${net_id:0:11} is left on a host after the network was deleted"
fi
made_networks=()
finish
