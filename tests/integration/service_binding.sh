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
#    the instances' ports have no port security and no group; refused, with
#    no service port made: a network with port security (this bed's br-int
#    is userspace) and an IPv6 subnet;
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
# The bed's fixtures (the network, the daemons, the service, the client, the
# instances, the probe, and what the test looks at: settled, holder_checks
# and their parts) are lib/service.sh's binding bed, which bench/move_service
# runs too.
[ -x "$SFPROBE" ] || die "no $SFPROBE (make tests)"

# --- the network: no port security ----------------------------------------------------
bnd_net
check "network $NAME-net ($pfx.0/24) has no port security" \
	jq -e '.network.port_security_enabled == false' <<< "$(neutron GET "networks/$net_id")"
bnd_daemons

# --- the service -----------------------------------------------------------------------
bnd_create
pass "sfctl service create --method binding"
check "status says method binding" jq -e '.service.method == "binding"' <<< "$(svc_json)"
check "the service port is Neutron's, superfluid:service, tagged sf-service=$svc and sf-method=binding" \
	jq -e --arg n "sf-service=$svc" '.device_owner == "superfluid:service" and
		(.tags | index($n)) and (.tags | index("sf-method=binding"))' <<< "$(port_get "$svc_port")"
say "service $svc at $vip, port $svc_port ($svc_if in the answering instance, $svc_tap in its host's br-int)"

# --- refused at create, nothing made ------------------------------------------------------
# A network with port security (this bed's br-int is userspace: its conntrack
# aborts ovs-vswitchd mid-move, docs/ovn.md), and an IPv6 service.
mk_network ps_net_id psnet
mk_subnet ps_subnet_id "$ps_net_id" "$(rand_prefix)"
no_service() { ! sfctl "$IA" service status "$1" > /dev/null 2>&1 &&
	[ "$(neutron GET "ports?network_id=$2&device_owner=superfluid:service&fields=id" |
		jq '.ports | length')" = 0 ]; }
# refused_create WHAT NAME NETWORK_LABEL NETWORK_ID PATTERN: create --method
# binding is refused, saying PATTERN, and makes no service port.
refused_create() {
	if sfctl "$IA" service create "$2" --network "$NAME-$3" --check http:8080/who \
		--method binding > "$tmp/refused.out" 2>&1; then
		fail "create --method binding on $1 succeeded"
	else
		check "create --method binding on $1: refused ($(head -c 200 "$tmp/refused.out"))" \
			grep -q "$5" "$tmp/refused.out"
	fi
	check "... and no service port made" no_service "$2" "$4"
}
refused_create "a network with port security" "ps$RND" psnet "$ps_net_id" "kernel datapath"
mk_network_nops v6_net_id v6net
mk_v6_subnet v6_subnet_id "$v6_net_id" "$(rand_prefix6)"
refused_create "an IPv6 subnet" "v6$RND" v6net "$v6_net_id" "IPv4 only"

# --- what the test looks at, beside lib/service.sh's --------------------------------------
not_member() { # PORT: no sf-member tag of the service
	jq -e --arg t "sf-member=$svc" '(.tags | index($t)) == null' <<< "$(port_get "$1")" > /dev/null
}
few_lost() { [ "$failed" -le 5 ] && [ "$requests" -gt 20 ]; }
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

# move_to X: `sfctl service move --to X --json` on X's daemon, the client
# asking throughout, the SB sampled; then everything says X answers.
move_to() {
	local x=$1 to=${host_of[$1]} from t0
	from=$(other_host "$to")
	say "--- [$SECONDS s] move to $x: $from -> $to, by $to's daemon"
	probe_start   # a request every 50 ms, 1 s timeout
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
bnd_client

bnd_instance a "$IA" "$H1"
check "a's port: no port security, no security group" jq -e \
	'.port_security_enabled == false and (.security_groups | length == 0)' <<< "$(port_get "${port_of[a]}")"
serve "${ns_of[a]}" a
check "sfctl service attach a (on $H1)" sfctl "$IA" service attach "$svc" --container "$NAME-a"
t0=$SECONDS
wait_until 60 settled a
say "a settled in $((SECONDS - t0)) s"
holder_checks "a attached" a

bnd_instance b "$IB" "$H2"
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
bnd_instance a2 "$IA" "$H1"
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
