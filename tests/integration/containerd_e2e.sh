#!/usr/bin/env bash
# containerd, end to end, on Neutron: Debian's containerd (a private one:
# own root, state, sockets; lib/containerd.sh) runs busybox tasks from an
# image imported with `ctr images import`; `ctr run --cni` calls superfluid
# with a conflist of type "superfluid" naming the daemon of a simulated
# host (its "socket"), and two superfluidd instances, one on host1 and one
# on host2, serve them.  The `openstack` CLI is the witness of Neutron's
# side, the daemons' socket (ctl queries) of theirs.
#
# It checks: ctr called ADD with its container id and the task's netns;
# each task's eth0 has its Neutron port's MAC and address and a default
# route via the subnet's gateway; the port was ready in the pool before
# (the warm path), is ACTIVE, bound to the task's host, device_id = ctr's
# container id; tasks on different hosts ping each other; a port whose
# group has no ICMP rule is not pinged while its own pings go out; `ctr
# task kill` + `ctr container rm` runs DEL: the port goes back to the pool,
# device_id is cleared, the veth is gone; ctr called no verb but ADD and
# DEL (no CHECK, no GC: docs/runtimes.md); and the host's forwarding and
# FORWARD policy are what they were.
# Exit 0 pass, 1 fail, 77 skip.  Cleans up all it makes, pass or fail.
# shellcheck disable=SC2015,SC2317,SC2154  # `A && pass || fail`; helpers called indirectly; testnet sets *_id
T=containerd_e2e
ENV_TOOLS="containerd ctr runc unshare openstack jq socat ip"
# shellcheck source=tests/integration/lib/env.sh
. "$(dirname "$0")/lib/env.sh"
# shellcheck source=tests/integration/lib/openstack.sh
. tests/integration/lib/openstack.sh
# shellcheck source=tests/integration/lib/instance.sh
. tests/integration/lib/instance.sh
# shellcheck source=tests/integration/lib/containerd.sh
. tests/integration/lib/containerd.sh
containerd_usable || skip "containerd, containerd-shim-runc-v2, runc or /bin/busybox is missing"

fwd_before=$(sysctl -n net.ipv4.ip_forward)
policy_before=$(iptables -S FORWARD 2> /dev/null | head -1)

testnet icmp:icmp closed
declare -A INST
for h in host1 host2; do
	SF_DAEMON_INI="gc_interval = 5" start_instance "ct${h#host}" "$h" <<-EOF
		[pools]
		min = 2
		max = 4
		batch = 2
		cooldown_ms = 500
		[pool icmp]
		network = $net_id
		security_groups = $icmp_id
		[pool closed]
		network = $net_id
		security_groups = $closed_id
	EOF
	INST[$h]=$INSTANCE
done
for h in host1 host2; do
	wait_pool "${INST[$h]}" icmp 2 90
	wait_pool "${INST[$h]}" closed 2 90
done
pass "both daemons' pools hold 2 ready ports each"

containerd_private
pass "containerd runs with its own root, state and socket (pid $ctd_pid); image $ctd_image imported from a local OCI archive"
# The plugin, through a shim that records each call.
cat > "$ctd_dir/bin/superfluid" <<-EOF
	#!/bin/sh
	echo "\$CNI_COMMAND \$CNI_CONTAINERID \${CNI_NETNS:--} \$CNI_IFNAME" >> $tmp/calls.log
	exec $B/superfluid
EOF
chmod 0755 "$ctd_dir/bin/superfluid"
# One network folder per (host, group): ctr reads the first conflist only.
for h in host1 host2; do
	for sg in icmp closed; do
		mkdir -p "$ctd_dir/nets/$h-$sg"
		jq -n --arg n "$NAME-$h-$sg" --arg net "$NAME-net" --arg sg "$NAME-$sg" \
			--arg s "$(scripts/sfhost sock "${INST[$h]}")" \
			'{cniVersion: "1.0.0", name: $n, plugins: [{type: "superfluid",
			  network: $net, securityGroups: [$sg], socket: $s}]}' \
			> "$ctd_dir/nets/$h-$sg/10-superfluid.conflist"
	done
done

declare -A C_HOST C_SG C_PID C_MAC C_IP C_PORT
# run_task LABEL HOST SG: ctr run --cni on that host's network.
# With FG=1, `ctr run --rm` in the foreground (in the background of this
# shell, its pid in CTR_PID[LABEL]): ctr 1.6 runs DEL when such a task ends.
declare -A CTR_PID
task_pid() { cr task ls | awk -v c="$NAME-$1" '$1 == c && $3 == "RUNNING" { print $2 }' | grep .; }
run_task() {
	local c=$1 d=$ctd_dir/nets/$2-$3
	if [ -n "${FG:-}" ]; then
		cr_cni "$d" run --cni --rm --snapshotter native --label "sfit.netd=$d" \
			"$ctd_image" "$NAME-$c" sleep 600 > "$tmp/run-$c.out" 2>&1 &
		CTR_PID[$c]=$!
		wait_until 20 task_pid "$c" > /dev/null ||
			{ fail "ctr run --cni --rm $c: $(cat "$tmp/run-$c.out")"; return 1; }
	else
		cr_cni "$d" run --cni -d --snapshotter native --label "sfit.netd=$d" \
			"$ctd_image" "$NAME-$c" sleep 600 > "$tmp/run.out" 2>&1 ||
			{ fail "ctr run --cni $c: $(cat "$tmp/run.out")"; return 1; }
	fi
	C_HOST[$c]=$2 C_SG[$c]=$3
	C_PID[$c]=$(task_pid "$c")
	C_MAC[$c]=$(cr_exec "$NAME-$c" ip -o link show eth0 | sed -n 's/.*link\/ether \([0-9a-f:]*\).*/\1/p')
	C_IP[$c]=$(cr_exec "$NAME-$c" ip -o -4 addr show eth0 | sed -n 's/.*inet \([0-9.]*\/[0-9]*\).*/\1/p')
	say "  $c on $2 ($3): pid ${C_PID[$c]}, eth0 ${C_MAC[$c]} ${C_IP[$c]}"
}
ping_once() { cr_exec "$NAME-$1" ping -c 1 -W 1 "${C_IP[$2]%/*}" > /dev/null 2>&1; }
ping_ok() { wait_until 10 ping_once "$1" "$2"; }
ping_blocked() { ! cr_exec "$NAME-$1" ping -c 3 -W 1 "${C_IP[$2]%/*}" > /dev/null 2>&1; }
cid() { echo "sfit-$NAME-$1"; }   # ctr's CNI container id: namespace-id

# --- 1. ctr run --cni ------------------------------------------------------------

ready_before=$(for h in host1 host2; do
	ctl "${INST[$h]}" ports | jq -r '.ports[] | select(.state == "ready") | .port_id'; done)
say "ctr run --cni: a1 (host1, icmp, -d), a2 (host2, icmp, --rm in the foreground), a3 (host2, closed, -d)"
run_task a1 host1 icmp
FG=1 run_task a2 host2 icmp
run_task a3 host2 closed
for c in a1 a2 a3; do [ -n "${C_IP[$c]:-}" ] || die "task $c has no address on eth0"; done

for c in a1 a2 a3; do
	inst=${INST[${C_HOST[$c]}]}
	grep -qxF "ADD $(cid $c) /proc/${C_PID[$c]}/ns/net eth0" "$tmp/calls.log" &&
		pass "$c: ctr called ADD with CNI_CONTAINERID $(cid $c), CNI_NETNS /proc/${C_PID[$c]}/ns/net, eth0" ||
		fail "$c: no such ADD in: $(cat "$tmp/calls.log")"
	C_PORT[$c]=$(held_port "$inst" "$(cid $c)" eth0 in_use) ||
		{ fail "$c: $inst lends no port to it: $(ctl "$inst" ports)"; continue; }
	grep -qxF "${C_PORT[$c]}" <<< "$ready_before" &&
		pass "$c: served from the pool (port ${C_PORT[$c]:0:8} was ready before ctr run)" ||
		fail "$c: its port ${C_PORT[$c]} was not ready before"
	cr_exec "$NAME-$c" ip route | grep -q "^default via $pfx.1 dev eth0" &&
		pass "$c: default route via the subnet's gateway $pfx.1" ||
		fail "$c: no default route via $pfx.1: $(cr_exec "$NAME-$c" ip route)"
done
device_id_is() { [ "$(neutron GET "ports/$1" | jq -r .port.device_id)" = "$2" ]; }
for c in a1 a2 a3; do
	wait_until 20 device_id_is "${C_PORT[$c]:-none}" "$(cid $c)" ||
		{ fail "$c: Neutron's device_id is not $(cid $c)"; continue; }
	sg_id=$([ "${C_SG[$c]}" = icmp ] && echo "$icmp_id" || echo "$closed_id")
	port_get "${C_PORT[$c]}" | jq -e --arg mac "${C_MAC[$c]}" --arg ip "${C_IP[$c]%/*}" \
		--arg host "${C_HOST[$c]}" --arg sg "$sg_id" --arg net "$net_id" '
		.mac_address == $mac and .fixed_ips[0].ip_address == $ip and .status == "ACTIVE" and
		.["binding:host_id"] == $host and .network_id == $net and .security_groups == [$sg]' \
		> /dev/null &&
		pass "$c: Neutron port ${C_PORT[$c]:0:8} ACTIVE on ${C_HOST[$c]}, device_id $(cid $c), MAC and address as eth0, group ${C_SG[$c]}" ||
		fail "$c: Neutron's port does not match eth0 ${C_MAC[$c]} ${C_IP[$c]}: $(port_get "${C_PORT[$c]}")"
done

# --- 2. traffic and security groups ----------------------------------------------

check "a1 -> a2 ping (host1 -> host2, VXLAN over the underlay)" ping_ok a1 a2
check "a2 -> a1 ping (host2 -> host1)" ping_ok a2 a1
check "a1 -> a3 (host2, group without ICMP): no echo comes back" ping_blocked a1 a3
check "a3 -> a1 ping (a3's port works; only ingress ICMP to it is refused)" ping_ok a3 a1

# --- 3. the end of a task: DEL, or the garbage collector ----------------------
# ctr 1.6 runs DEL only when a `ctr run --rm` it waits on sees its task end
# (containerd 1.7's ctr also on `task kill`/`container rm` of a detached
# one); for a detached task that is removed, the daemon's garbage
# collector finds the port's holder gone (its netns) and releases it on its
# second pass (gc_interval = 5 here).
say "a2: ctr task kill (ctr run --rm waits on it); a3: ctr task kill + task rm + container rm"
cr task kill -s KILL "$NAME-a2" > /dev/null || fail "ctr task kill a2"
wait_until 20 not kill -0 "${CTR_PID[a2]}" 2> /dev/null || fail "ctr run --rm a2 did not end"
grep -q "^DEL $(cid a2) " "$tmp/calls.log" &&
	pass "a2: ctr ran DEL for $(cid a2) when its task ended" ||
	fail "a2: no DEL in: $(cat "$tmp/calls.log")"
cr containers ls -q | grep -qxF "$NAME-a2" && fail "a2: ctr run --rm left its container" ||
	pass "a2: ctr run --rm removed its container"
cr task kill -s KILL "$NAME-a3" > /dev/null || fail "ctr task kill a3"
wait_until 10 not task_pid a3 > /dev/null
cr task rm -f "$NAME-a3" > /dev/null 2>&1
cr_cni "$ctd_dir/nets/host2-closed" container rm "$NAME-a3" > "$tmp/rm.out" 2>&1 ||
	fail "ctr container rm a3: $(cat "$tmp/rm.out")"
if grep -q "^DEL $(cid a3) " "$tmp/calls.log"; then
	pass "a3: ctr container rm ran DEL"
else
	pass "a3: no DEL from ctr container rm (ctr 1.6); the garbage collector must release it"
fi
released() { # C: the daemon lends it nothing, its port is ready again
	local inst=${INST[${C_HOST[$1]}]}
	ctl "$inst" ports | jq -e --arg c "$(cid "$1")" '[.ports[] | select(.container_id == $c)] | length == 0' \
		> /dev/null && [ "$(port_state "$inst" "${C_PORT[$1]}")" = ready ]
}
for c in a2 a3; do
	wait_until 30 released "$c" &&
		pass "$c: the daemon lends it nothing; port ${C_PORT[$c]:0:8} is ready in the pool again" ||
		fail "$c: still held, or its port not ready: $(ctl "${INST[${C_HOST[$c]}]}" ports)"
	wait_until 20 device_id_is "${C_PORT[$c]}" "" &&
		pass "$c: Neutron clears its port's device_id" || fail "$c: Neutron still shows a holder"
	ip -n "$(host_ns "${C_HOST[$c]}")" link show "sfc${C_PORT[$c]:0:11}" > /dev/null 2>&1 &&
		fail "$c: veth sfc${C_PORT[$c]:0:11} left on ${C_HOST[$c]}" ||
		pass "$c: its veth sfc${C_PORT[$c]:0:11} is gone from ${C_HOST[$c]}"
done
check "a1 still pings nothing it should not: a1 -> a2 (removed) gets no echo" ping_blocked a1 a2
# What ctr drives, as docs/runtimes.md says (from containerd 1.6's source):
# ADD and DEL only, never CHECK or GC.  Another verb here is a new fact to
# prove superfluid with, and to write down.
verbs=$(cut -d' ' -f1 "$tmp/calls.log" | sort | uniq -c | xargs)
grep -qvE '^(ADD|DEL|VERSION) ' "$tmp/calls.log" &&
	fail "ctr called another verb than ADD and DEL ($verbs): docs/runtimes.md says it does not" ||
	pass "ctr $(cr version 2> /dev/null | awk '/Version:/ { print $2; exit }') drove only ADD and DEL (and VERSION) over the whole run ($verbs): no CHECK, no GC"

# --- 4. the host untouched --------------------------------------------------------

[ "$(sysctl -n net.ipv4.ip_forward)" = "$fwd_before" ] &&
	[ "$(iptables -S FORWARD 2> /dev/null | head -1)" = "$policy_before" ] &&
	pass "the host's ip_forward ($fwd_before) and FORWARD policy ($policy_before) are unchanged" ||
	fail "containerd changed the host: ip_forward $(sysctl -n net.ipv4.ip_forward), $(iptables -S FORWARD | head -1)"
finish
