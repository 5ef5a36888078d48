#!/usr/bin/env bash
# A service moved with OVN's multi-chassis port binding (`--method binding`,
# docs/superfluidity.md, "Which way to move an address"; docs/ovn.md, "Moving
# a service between chassis"), on the OVN test bed (SF_TESTBED=ovn, brought
# up here if needed; docs/testbed.md): a real superfluidd on each chassis,
# host21 and host22, on a network without port security (with security
# groups the bed's userspace ovs-vswitchd aborts on conntrack, docs/ovn.md),
# its pools without groups:
#  - sfctl service create --method binding: the service port is Neutron's,
#    device_owner superfluid:service, tagged sf-service and sf-method=binding;
#    the instances' ports have no port security and no group;
#  - attach a (host21): a answers: svc<port11> in its namespace, up, the
#    service address /32 on it; tap<port11> in host21's br-int with the
#    service port's iface-id, sf-service and ovn-installed; Neutron binds
#    the service port to host21 (status too: binding_host) and the SB
#    Port_Binding is on its chassis;
#    the client (host22) is answered by a; attach b (host22): it stands by,
#    no svc interface;
#  - sfctl service move to b (host22's daemon), then back to a (host21's),
#    while the client asks every 50 ms: at most 5 requests lost (the count,
#    the longest gap and the move's timings printed); the SB had the port on
#    both chassis (additional_chassis) during the move; after it, all of the
#    above on the new host, and nothing of the service port on the old one
#    (namespace, OVSDB, host interfaces), no migrating_to in Neutron, no
#    additional chassis in the SB;
#  - refused, changing nothing (state, interfaces, OVSDB ports, binding): a
#    move to a second container on the active one's host ("another host");
#    a move while the daemon of the instance being left is stopped (within
#    30 s, "did not let go"): a keeps answering, the target has no svc
#    interface, no migrating_to; that daemon, restarted, finds it as it was;
#  - sfctl service delete: no svc interface in any instance, no OVSDB port,
#    host interface, logical switch port or Neutron port of the service
#    port, no member tag left; then DEL, and (all passed so far) both
#    instances purged: no port left on the network, no OVSDB port, no host
#    interface.
# Exit 0 pass, 1 fail, 77 skip (only when a package is missing).
# shellcheck disable=SC2016,SC2154,SC2317
T=service_binding
ENV_TOOLS="jq socat curl openstack ip ping busybox ovs-vsctl ovn-nbctl ovn-sbctl"
# shellcheck source=tests/integration/lib/ovn.sh
. "$(dirname "$0")/lib/ovn.sh"
# shellcheck source=tests/integration/lib/service.sh
. tests/integration/lib/service.sh
SFPROBE=$B/tests/tools/sfprobe
[ -x "$SFPROBE" ] || die "no $SFPROBE (make tests)"

# --- the network: no port security ----------------------------------------------------
# lib/openstack.sh's mk_network with port_security_enabled=false (it has no
# such option); recorded, so that neutron_cleanup removes it.
mk_network_nops() { # VAR LABEL
	local _mk_id
	_mk_id=$(neutron POST networks "$(jq -nc --arg n "$NAME-$2" \
		'{network: {name: $n, port_security_enabled: false}}')" | jq -er .network.id) ||
		die "creating network $NAME-$2 without port security"
	made_networks+=("$_mk_id")
	printf -v "$1" '%s' "$_mk_id"
}
mk_network_nops net_id net
pfx=$(rand_prefix)
mk_subnet subnet_id "$net_id" "$pfx"
check "network $NAME-net ($pfx.0/24) has no port security" \
	jq -e '.network.port_security_enabled == false' <<< "$(neutron GET "networks/$net_id")"

# Pool svc has no security_groups: its ports are created without any, and
# Neutron applies the default group only to ports with port security.
start_instance a "$H1" < <(pool_ini min=2 max=4 batch=2 cooldown_ms=500 svc:net); IA=$INSTANCE
start_instance b "$H2" < <(pool_ini min=2 max=4 batch=2 cooldown_ms=500 svc:net); IB=$INSTANCE
for i in "$IA" "$IB"; do wait_pool "$i" svc 2 150; done

# lib/service.sh's add, for a network config without securityGroups (its
# add always names one; an empty list would be another pool's key).
add_nosg() { # INSTANCE LABEL NETNS [VAR=VALUE...]
	local sock
	sock=$(scripts/sfhost sock "$1")
	CONF_SOCKET=$sock cni ADD "$NAME-$2" "/run/netns/$3" eth0 \
		"$(CONF_SOCKET=$sock conf 1.1.0 "$NAME-net")" "${@:4}"
}

# --- the service -----------------------------------------------------------------------
svc=mc$RND
sfctl "$IA" service create "$svc" --network "$NAME-net" --check http:8080/who \
	--method binding > "$tmp/create.out" 2>&1 ||
	die "sfctl service create --method binding: $(cat "$tmp/create.out")"
pass "sfctl service create --method binding"
vip=$(svc_json | jq -er .service.address) || die "no service address: $(svc_json)"
svc_port=$(svc_json | jq -er .service.id) || die "no service port"
svc_if=svc${svc_port:0:11} svc_tap=tap${svc_port:0:11}
check "status says method binding" jq -e '.service.method == "binding"' <<< "$(svc_json)"
check "the service port is Neutron's, superfluid:service, tagged sf-service=$svc and sf-method=binding" \
	jq -e --arg n "sf-service=$svc" '.device_owner == "superfluid:service" and
		(.tags | index($n)) and (.tags | index("sf-method=binding"))' <<< "$(port_get "$svc_port")"
say "service $svc at $vip, port $svc_port ($svc_if in the answering instance, $svc_tap in its host's br-int)"

# --- what the test looks at --------------------------------------------------------------
# SB chassis by their Chassis row's UUID (both hosts' up front: the
# sampler below resolves them in subshells, where a cache would not stay).
declare -A chassis_name=()
for h in "$H1" "$H2"; do
	u=$(sbctl --bare --columns=_uuid find Chassis name="$h")
	[ -n "$u" ] || die "no SB chassis $h"
	chassis_name[$u]=$h
done
chassis_of() { printf '%s' "${chassis_name[$1]:-$(sbctl --bare --columns=name list Chassis "$1")}"; }
# sb_binding PORT: its SB Port_Binding, "ch=CHASSIS add=CHASSIS,... act=CHASSIS"
# (act: options:additional-chassis-activated; "-" for none), as
# bench/move_lib.sh's ovn_sb_binding reads it (that lib is the bench's).
sb_binding() {
	local ch add c names="" act
	ch=$(sbctl --bare --columns=chassis find Port_Binding logical_port="$1" 2> /dev/null)
	add=$(sbctl --bare --columns=additional_chassis find Port_Binding logical_port="$1" 2> /dev/null)
	act=$(sbctl --bare --columns=options find Port_Binding logical_port="$1" 2> /dev/null |
		tr ' ' '\n' | sed -n 's/^additional-chassis-activated=//p' | tr -d '"')
	[ -z "$ch" ] || ch=$(chassis_of "$ch")
	for c in $add; do names+=${names:+,}$(chassis_of "$c"); done
	printf 'ch=%s add=%s act=%s' "${ch:--}" "${names:--}" "${act:--}"
}
sb_on() { [[ "$(sb_binding "$svc_port")" == "ch=$1 add=- "* ]]; } # HOST, alone
# The service port's interface in NETNS: up, the service address on it as a /32.
svc_up() {
	ip -n "$1" -j addr show dev "$svc_if" 2> /dev/null | jq -e --arg a "$vip" '.[0] |
		(.flags | index("UP")) and (.operstate == "UP" or .operstate == "UNKNOWN") and
		([.addr_info[] | select(.local == $a and .prefixlen == 32)] | length == 1)' > /dev/null
}
# HOST's OVSDB plugs the service port: tap<port11> (its only Interface with
# that iface-id) in br-int, sf-service=$svc, claimed (ovn-installed).
ovs_holds() {
	[ "$(vsctl "$1" --bare --columns=name find Interface "external_ids:iface-id=$svc_port")" = "$svc_tap" ] &&
		[ "$(vsctl "$1" iface-to-br "$svc_tap" 2> /dev/null)" = br-int ] &&
		[ "$(vsctl "$1" get Interface "$svc_tap" external_ids:sf-service external_ids:ovn-installed \
			2> /dev/null | tr -d '"' | paste -sd ' ')" = "$svc true" ]
}
# HOST's interfaces named after the service port (any prefix: tap, sfp, ...).
host_links() {
	ip -n "$(host_ns "$1")" -j link show | jq -r --arg s "${svc_port:0:11}" \
		'[.[].ifname | select(endswith($s))] | join(" ")'
}
# Nothing of the service port on HOST: no OVSDB Interface with its iface-id
# or named tap<port11>, no host interface named after it.
host_free() {
	[ -z "$(vsctl "$1" --bare --columns=name find Interface "external_ids:iface-id=$svc_port")" ] &&
		[ -z "$(vsctl "$1" --bare --columns=name find Interface name="$svc_tap")" ] &&
		[ -z "$(host_links "$1")" ]
}
# Neutron binds the service port to HOST, not migrating.
bound_to() {
	port_get "$svc_port" | jq -e --arg h "$1" '."binding:host_id" == $h and
		((."binding:profile" // {}) | has("migrating_to") | not)' > /dev/null
}
# status --json says so too (binding_host, migrating_to: src/service/status.c).
status_bound() {
	svc_json | jq -e --arg h "$1" '.service.binding_host == $h and .service.migrating_to == null' \
		> /dev/null
}
standby_here() { # X: its own daemon's journal says it stands by
	sfctl "${inst_of[$1]}" service status "$svc" --json | jq -e --arg p "${port_of[$1]}" \
		'[.service.instances[] | select(.port_id == $p)] | length == 1 and .[0].local_role == "standby"' \
		> /dev/null
}
not_member() { # PORT: no sf-member tag of the service
	jq -e --arg t "sf-member=$svc" '(.tags | index($t)) == null' <<< "$(port_get "$1")" > /dev/null
}

# The instances, by label: namespace, port, host, daemon.
declare -A port_of host_of inst_of
instances=()
other_host() { if [ "$1" = "$H1" ]; then echo "$H2"; else echo "$H1"; fi; }
# settled X: everything says X answers: the state, its namespace and no
# other's, its host's OVSDB and nothing on the other host, Neutron's
# binding, the SB, the client.
settled() {
	local x=$1 h=${host_of[$1]} n
	answers "${port_of[$x]}" && svc_up "${ns_of[$x]}" || return 1
	for n in "${instances[@]}"; do
		[ "$n" = "$x" ] || link_absent "${ns_of[$n]}" "$svc_if" || return 1
	done
	ovs_holds "$h" && host_free "$(other_host "$h")" && bound_to "$h" && status_bound "$h" &&
		sb_on "$h" && got_who "$x"
}
# holder_checks WHAT X: the same, one check each.
holder_checks() {
	local w=$1 x=$2 h=${host_of[$2]} o n
	o=$(other_host "$h")
	check "$w: the state: $x's port answers, phase stable" answers "${port_of[$x]}"
	check "$w: $svc_if in $x's namespace, up, $vip/32 on it" svc_up "${ns_of[$x]}"
	for n in "${instances[@]}"; do
		[ "$n" = "$x" ] || check "$w: no $svc_if in $n's namespace" link_absent "${ns_of[$n]}" "$svc_if"
	done
	check "$w: $h's OVSDB: $svc_tap in br-int, iface-id the service port, sf-service=$svc, ovn-installed" \
		ovs_holds "$h"
	check "$w: $o's OVSDB and interfaces: nothing of the service port" host_free "$o"
	check "$w: Neutron binds the service port to $h, no migrating_to" bound_to "$h"
	check "$w: status: binding_host $h, no migrating_to" status_bound "$h"
	check "$w: SB: its Port_Binding on chassis $h, no additional chassis ($(sb_binding "$svc_port"))" sb_on "$h"
	check "$w: the client is answered by $x" got_who "$x"
}

# The client asking the service every 50 ms (service_faults_fip.sh's probe,
# at the service address), from probe_start to probe_stop, which sets
# failed, requests and gap (the longest between two answers, ms) from
# sfprobe's log and summary.
probe_pid=
probe_start() {
	ip netns exec "$ns_c" "$SFPROBE" --url "http://$vip:8080/who" --interval-ms 50 \
		--timeout-ms 1000 --log "$tmp/probe.log" > "$tmp/probe.json" 2> "$tmp/probe.err" &
	probe_pid=$!
}
probe_stop() {
	local rc=0
	kill -TERM "$probe_pid" 2> /dev/null
	wait "$probe_pid" || rc=$?
	probe_pid=
	[ "$rc" = 0 ] || say "sfprobe exited $rc: $(head -c 600 "$tmp/probe.err")"
	read -r failed requests < <(awk '!/^#/ { n++; if ($2 != 1) f++ } END { print f + 0, n + 0 }' \
		"$tmp/probe.log")
	gap=$(jq -er '.longest_gap_ms | floor' "$tmp/probe.json" 2> /dev/null) || gap="?"
	[ "$failed" = 0 ] || say "failed requests: $(awk '!/^#/ && $2 != 1' "$tmp/probe.log" | head -5 | paste -sd ';')"
}
few_lost() { [ "$failed" -le 5 ] && [ "$requests" -gt 20 ]; }
probe_kill() { if [ -n "$probe_pid" ]; then kill "$probe_pid" 2> /dev/null; fi; }
at_exit 15 probe_kill
# The service port's SB Port_Binding sampled every 50 ms from sb_watch_start
# to sb_watch_stop: a line per change in $tmp/sb.log, "MS ch=.. add=.. act=..".
sb_pid=
sb_watch_start() {
	rm -f "$tmp/sb.stop"
	: > "$tmp/sb.log"
	(
		t0=$(date +%s%3N) last=""
		while [ ! -e "$tmp/sb.stop" ]; do
			cur=$(sb_binding "$svc_port")
			[ "$cur" = "$last" ] || echo "$(($(date +%s%3N) - t0)) $cur" >> "$tmp/sb.log"
			last=$cur
			sleep 0.05
		done
	) &
	sb_pid=$!
}
sb_watch_stop() { touch "$tmp/sb.stop"; wait "$sb_pid"; sb_pid=; }
sb_kill() { if [ -n "$sb_pid" ]; then kill "$sb_pid" 2> /dev/null; wait "$sb_pid" 2> /dev/null; fi; }
at_exit 15 sb_kill
# What no purge finds of the service port if the test ends before the
# delete (its tap carries no sf-deployment, src/service/svcif.h): its OVSDB
# ports and host interfaces, by the port's id.  Neutron's port goes with
# the network (neutron_cleanup).
svc_leftovers() {
	local h i
	[ -n "${svc_port:-}" ] || return 0
	for h in "$H1" "$H2"; do
		for i in $(vsctl "$h" --bare --columns=name find Interface "external_ids:iface-id=$svc_port" 2> /dev/null); do
			say "removing $h's OVSDB port $i of the service port"
			vsctl "$h" --if-exists del-port "$i"
		done
		for i in $(host_links "$h"); do
			say "removing $h's interface $i of the service port"
			ip -n "$(host_ns "$h")" link del "$i" 2> /dev/null
		done
	done
}
at_exit 35 svc_leftovers

# move_to X: `sfctl service move --to X --json` on X's daemon, the client
# asking throughout, the SB sampled; then everything says X answers.
move_to() {
	local x=$1 to=${host_of[$1]} from t0
	from=$(other_host "$to")
	say "--- [$SECONDS s] move to $x: $from -> $to, by $to's daemon"
	probe_start
	sleep 1   # answers before the move
	sb_watch_start
	t0=$(date +%s%N)
	if sfctl "${inst_of[$x]}" service move "$svc" --to "$NAME-$x" --json > "$tmp/move.json" 2> "$tmp/move.err"; then
		pass "sfctl service move to $x, on $to ($(( ($(date +%s%N) - t0) / 1000000 )) ms)"
	else
		fail "sfctl service move to $x, on $to: $(head -c 400 "$tmp/move.err")"
	fi
	say "the move's timings (ms): $(jq -c '.timings // empty' "$tmp/move.json" 2> /dev/null)"
	check "the move's answer: $x's port answers, phase stable" jq -e --arg p "${port_of[$x]}" \
		'.service | .active == $p and .phase == "stable"' "$tmp/move.json"
	wait_until 40 settled "$x"
	sb_watch_stop
	probe_stop
	say "SB Port_Binding of the service port from the move's start (ms, chassis, additional, activated):"
	sed 's/^/    | /' "$tmp/sb.log"
	check "SB: during the move the service port was on both chassis ($from, additional $to)" \
		grep -q " ch=$from add=$to " "$tmp/sb.log"
	check "the client lost at most 5 requests at the move ($failed of $requests failed, longest gap $gap ms)" \
		few_lost
	holder_checks "after the move to $x" "$x"
}

# --- the client, a and b ---------------------------------------------------------------
mk_netns ns_c client
add_nosg "$IB" c "$ns_c"
expect "ADD the client on $H2" 0 '.ips | length == 1' || die "ADD the client"

mk_netns "ns_of[a]" a
add_nosg "$IA" a "${ns_of[a]}"
expect "ADD a on $H1" 0 '.ips | length == 1' || die "ADD a"
port_of[a]=$(held_port "$IA" "$NAME-a") || die "a holds no port"
host_of[a]=$H1 inst_of[a]=$IA
instances+=(a)
check "a's port: no port security, no security group" jq -e \
	'.port_security_enabled == false and (.security_groups | length == 0)' <<< "$(port_get "${port_of[a]}")"
serve "${ns_of[a]}" a
check "sfctl service attach a (on $H1)" sfctl "$IA" service attach "$svc" --container "$NAME-a"
t0=$SECONDS
wait_until 60 settled a
say "a settled in $((SECONDS - t0)) s"
holder_checks "a attached" a

mk_netns "ns_of[b]" b
add_nosg "$IB" b "${ns_of[b]}"
expect "ADD b on $H2" 0 '.ips | length == 1' || die "ADD b"
port_of[b]=$(held_port "$IB" "$NAME-b") || die "b holds no port"
host_of[b]=$H2 inst_of[b]=$IB
instances+=(b)
serve "${ns_of[b]}" b
check "sfctl service attach b (on $H2)" sfctl "$IB" service attach "$svc" --container "$NAME-b"
check "b is an instance, not answering" jq -e --arg p "${port_of[b]}" '.service.instances |
	map(select(.port_id == $p and .active == false)) | length == 1' <<< "$(svc_json)"
check "b stands by, says its daemon" wait_until 20 standby_here b
check "b stands by: no $svc_if in its namespace" link_absent "${ns_of[b]}" "$svc_if"
check "a still answers" eval 'answers "${port_of[a]}" && got_who a'

# --- the moves -----------------------------------------------------------------------------
move_to b
move_to a

# --- refused: the target on the active instance's host ----------------------------------------
say "--- a move to a second container on $H1, where a answers"
mk_netns "ns_of[a2]" a2
add_nosg "$IA" a2 "${ns_of[a2]}"
expect "ADD a2 on $H1" 0 '.ips | length == 1' || die "ADD a2"
port_of[a2]=$(held_port "$IA" "$NAME-a2") || die "a2 holds no port"
host_of[a2]=$H1 inst_of[a2]=$IA
instances+=(a2)
serve "${ns_of[a2]}" a2   # ready: only its host can be the reason
epoch=$(svc_json | jq -er .service.epoch) || die "no epoch: $(svc_json)"
if sfctl "$IA" service move "$svc" --to "$NAME-a2" > "$tmp/move.out" 2>&1; then
	fail "a move to a2, on a's host, succeeded: $(head -c 400 "$tmp/move.out")"
else
	check "a move to a2, on a's host, is refused, naming another host ($(head -c 200 "$tmp/move.out"))" \
		grep -qi 'another host' "$tmp/move.out"
fi
check "after the refused move: the epoch is still $epoch" test "$(svc_json | jq -r .service.epoch)" = "$epoch"
holder_checks "after the refused move to a2" a

# --- refused: the daemon of the instance being left is away ---------------------------------
say "--- a move to b while a's daemon ($IA, $H1) is stopped"
# The mover waits 10 s for the quiet (QUIET_TIMEOUT_MS), after up to four
# Neutron writes of 1-6 s each on this bed (migrating_to, moving, and the
# undo's state and binding): "~15 s", bounded at 30.
LETGO_BOUND_MS=30000
scripts/sfhost stop "$IA" > /dev/null || die "scripts/sfhost stop $IA"
pass "stopped $IA (SIGTERM, by its recorded pid)"
check "with its daemon stopped, a still holds $svc_if" svc_up "${ns_of[a]}"
probe_start
t0=$(date +%s%N)
if sfctl "$IB" service move "$svc" --to "$NAME-b" > "$tmp/move.out" 2>&1; then
	fail "a move with a's daemon stopped succeeded: $(head -c 400 "$tmp/move.out")"
else
	ms=$(( ($(date +%s%N) - t0) / 1000000 ))
	check "the move fails within $((LETGO_BOUND_MS / 1000)) s ($ms ms)" test "$ms" -le "$LETGO_BOUND_MS"
	check "... saying the instance being left did not let go ($(head -c 200 "$tmp/move.out"))" \
		grep -qi 'let go' "$tmp/move.out"
fi
probe_stop
check "the client was answered throughout ($failed of $requests failed, longest gap $gap ms)" few_lost
check "a still answers the client" got_who a
check "a still holds $svc_if" svc_up "${ns_of[a]}"
check "b's namespace has no $svc_if" link_absent "${ns_of[b]}" "$svc_if"
check "Neutron: the service port still bound to $H1, no migrating_to" wait_until 15 bound_to "$H1"
check "$H2: nothing of the service port (OVSDB, interfaces)" wait_until 15 host_free "$H2"
check "$H1's OVSDB still plugs it" ovs_holds "$H1"
check "SB: still on chassis $H1 alone ($(sb_binding "$svc_port"))" wait_until 15 sb_on "$H1"
back_on_a() { # the state, as b's daemon reads it (a's is away)
	sfctl "$IB" service status "$svc" --json | jq -e --arg a "${port_of[a]}" \
		'.service.active == $a and .service.phase == "stable"' > /dev/null
}
check "the state: a answers, phase stable" wait_until 15 back_on_a
check "b stands by" standby_here b
scripts/sfhost restart "$IA" > "$tmp/restart.out" 2>&1 || die "restart $IA: $(cat "$tmp/restart.out")"
pass "restarted $IA"
wait_until 30 settled a
holder_checks "after $IA's restart" a

# --- delete ---------------------------------------------------------------------------------
say "--- [$SECONDS s] delete"
check "sfctl service delete" sfctl "$IA" service delete "$svc"
for n in "${instances[@]}"; do
	check "no $svc_if in $n's namespace" wait_until 20 link_absent "${ns_of[$n]}" "$svc_if"
done
for h in "$H1" "$H2"; do
	check "$h: no OVSDB port nor interface of the service port" wait_until 20 host_free "$h"
done
check "the service port is gone from Neutron" not neutron GET "ports/$svc_port"
check "NB: no logical switch port of it" \
	test -z "$(nbctl --bare --columns=name find Logical_Switch_Port name="$svc_port")"
for n in "${instances[@]}"; do
	check "$n's port: no member tag of $svc" not_member "${port_of[$n]}"
done
check "sfctl service status of a deleted service fails" not sfctl "$IA" service status "$svc"
del "$IA" a "${ns_of[a]}"; expect "DEL a" 0 ""
del "$IA" a2 "${ns_of[a2]}"; expect "DEL a2" 0 ""
del "$IB" b "${ns_of[b]}"; expect "DEL b" 0 ""
del "$IB" c "$ns_c"; expect "DEL the client" 0 ""

# --- purged: nothing left -------------------------------------------------------------------
# Only when all passed so far: on a failure the trap's instances_cleanup
# purges them after showing their logs.  Stopped first and their logs
# searched, as instances_cleanup does: the purge deletes the log.
if [ "$failures" = 0 ]; then
	say "[$SECONDS s] purge"
	declare -A purger
	for o in "$IA" "$IB"; do
		scripts/sfhost stop "$o" > /dev/null 2>&1
		if instance_log "$o" 2> /dev/null | grep -q 'Sanitizer\|runtime error:'; then
			fail "a sanitizer report in the log of $o: $(instance_log "$o" | grep -m3 'Sanitizer\|runtime error:')"
		fi
		scripts/sfhost stop "$o" --purge > "$tmp/purge-$o.out" 2>&1 &
		purger[$o]=$!
	done
	for o in "$IA:$H1" "$IB:$H2"; do
		h=${o#*:} o=${o%%:*}
		wait "${purger[$o]}" || fail "purging $o: $(cat "$tmp/purge-$o.out")"
		check "$o purged: no Neutron port tagged with it" test -z "$(instance_ports "$o")"
		check "... no OVSDB port of it on $h" test -z "$(host_ovsdb_ifaces "$h" "$o")"
		left=$(ip -n "$(host_ns "$h")" -j link show | jq -r --arg a "sf:$o:" \
			'[.[] | select((.ifalias // "") | startswith($a)) | .ifname] | join(" ")')
		check "... no interface of it on $h ($left)" test -z "$left"
		check "... nothing of the service port on $h" host_free "$h"
	done
	made_instances=()   # purged above
	check "no port left on the network" \
		test "$(neutron GET "ports?network_id=$net_id&fields=id" | jq '.ports | length')" = 0
fi
say "took $SECONDS s, of which the bed's up $t_bed s"
finish
