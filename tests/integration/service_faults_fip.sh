#!/usr/bin/env bash
# service_faults.sh for a floating IP service (`--method fip`,
# docs/superfluidity.md, "Failures"): the client is on the external network
# and uses the floating address.  The target's daemon is killed (SIGKILL,
# SF_TEST_MOVE_CRASH) at each step of a move: before the readiness check,
# before the commit in Neutron, between the commit and the floating IP's
# PUT, between the PUT and the confirmation (the floating IP is the target's
# already, the state still says moving).  While it is dead, and throughout,
# the client is answered; once it is back the service settles on exactly one
# instance, the floating IP on the one the state names.  Then Neutron
# refuses the PUT (the target's fixed address has another floating IP on the
# external network): the move fails, the state and the floating IP stay on
# the old instance.  A floating IP put on b by hand (as a PUT Neutron applied
# after the mover gave up would leave it) goes back to a, which the state
# names.  Last, 20 moves back and forth, with the client answered
# at every request, leave one pair and one tag per instance, one service
# port and one floating IP; deleting the service deletes its floating IP.
# Exit 0 pass, 1 fail, 77 skip.
# shellcheck disable=SC2154,SC2317
T=service_faults_fip
# shellcheck source=tests/integration/lib/daemon.sh
. "$(dirname "$0")/lib/daemon.sh"
# shellcheck source=tests/integration/lib/service.sh
. "$(dirname "$0")/lib/service.sh"

SVC_METHOD=fip svc_bed

# The floating IPs on the external network, and those on PORT.
ext_fips() { neutron GET "floatingips?floating_network_id=$ext_id&fields=id" | jq '.floatingips | length'; }
fips_on() { neutron GET "floatingips?port_id=$1&fields=id" | jq '.floatingips | length'; }
settled_on() { # a|b: the state, the floating IP and the client agree
	local p=$port_a
	[ "$1" = b ] && p=$port_b
	answers "$p" && fip_on "$p" && gets "$1"
}
# Nothing leaked: one pair and one tag on each instance's port, one service
# port, one floating IP on the external network (the service's), none of the
# address on an interface (fip takes no address), the service port tagged once.
no_leaks() {
	member_marks "$port_a" 1 && member_marks "$port_b" 1 && [ "$(ext_fips)" = 1 ] &&
		[ "$(neutron GET "ports?device_owner=superfluid:service&network_id=$net_id&fields=id" |
			jq '.ports | length')" = 1 ] &&
		jq -e --arg t "sf-service=$svc" '([.tags[] | select(. == $t or . == "sf-method=fip")]
			| length) == 2' <<< "$(port_get "$svc_port")" > /dev/null &&
		holds_nothing "$ns_a" && holds_nothing "$ns_b"
}
# The client: lib/service.sh's probe (a request every 50 ms, 1 s timeout)
# through the floating address.
PROBE_URL="http://$fip_addr:8080/who"
answered() { [ "$1" = 0 ] && [ "$2" -gt 20 ]; } # FAILED REQUESTS: none failed, of some
check "the bed leaks nothing" no_leaks

for step in ready moving take stable; do
	t0=$SECONDS
	want=a
	[ "$step" = stable ] && want=b
	say "--- the target's daemon dies at '$step'"
	probe_start
	scripts/sfhost stop "$IB" > /dev/null
	SF_TEST_MOVE_CRASH=$step scripts/sfhost restart "$IB" > /dev/null || die "restart b"
	if sfctl "$IB" service move "$svc" --to "$NAME-b" > "$tmp/move.out" 2>&1; then
		fail "$step: the move succeeded although the daemon was to die"
	fi
	check "$step: the client is answered while the target's daemon is dead" \
		wait_until 3 eval 'test -n "$(who_fip)"'
	case $step in
	ready | moving)
		check "$step: Neutron still says a answers" answers "$port_a"
		check "$step: the floating IP is still a's" fip_on "$port_a" ;;
	*)
		check "$step: Neutron says the move from a is under way" eval 'svc_json | jq -e \
			--arg a "$port_a" --arg b "$port_b" ".service.phase == \"moving\" and
			.service.active == \$b and .service.from == \$a" > /dev/null'
		# take: died before the PUT; stable: after it, before recording.
		if [ "$step" = take ]; then
			check "$step: the floating IP is still a's" fip_on "$port_a"
		else
			check "$step: the floating IP is b's already, the state not yet" fip_on "$port_b"
		fi ;;
	esac
	scripts/sfhost restart "$IB" > /dev/null || die "restart b after '$step'"
	check "$step: after the restart the service settles on $want" wait_until 30 settled_on "$want"
	check "$step: nothing leaked" no_leaks
	if [ "$want" = b ]; then
		check "$step: and moves back to a" sfctl "$IA" service move "$svc" --to "$NAME-a"
		check "$step: a answers again" wait_until 30 settled_on a
	fi
	probe_stop
	check "$step: the client was answered at every request ($failed of $requests failed)" \
		answered "$failed" "$requests"
	say "'$step' in $((SECONDS - t0)) s"
done

say "--- Neutron refuses the floating IP's PUT"
# Neutron allows one floating IP per fixed address and external network: a
# second one on b's port makes the association with b a 409.
blocker=$(neutron POST floatingips "$(jq -nc --arg n "$ext_id" --arg p "$port_b" \
	'{floatingip: {floating_network_id: $n, port_id: $p}}')" | jq -er .floatingip.id) ||
	die "a floating IP on b's port"
epoch=$(svc_json | jq -er .service.epoch)
probe_start
sleep 1   # answered before the move too: a quick rollback alone is too few requests to count
if sfctl "$IB" service move "$svc" --to "$NAME-b" > "$tmp/move.out" 2>&1; then
	fail "a move whose PUT Neutron refuses succeeded: $(cat "$tmp/move.out")"
else
	check "the refused PUT fails the move, saying it was moved back" grep -q 'moved back' "$tmp/move.out"
fi
rolled_back() {
	svc_json | jq -e --arg a "$port_a" --argjson e "$epoch" '.service.active == $a and
		.service.phase == "stable" and .service.epoch > $e and .service.from == null' > /dev/null
}
check "rolled back: Neutron says a answers, at a new epoch" rolled_back
check "rolled back: the floating IP is a's" fip_on "$port_a"
check "rolled back: the client gets a" gets a
b_standby() { # b's own daemon says its row is STANDBY
	sfctl "$IB" service status "$svc" --json | jq -e --arg b "$port_b" \
		'.service.instances[] | select(.port_id == $b) | .local_role == "standby"' > /dev/null
}
check "rolled back: b stands by" b_standby
probe_stop
check "the client was answered at every request ($failed of $requests failed)" \
	answered "$failed" "$requests"
neutron DELETE "floatingips/$blocker" > /dev/null || die "deleting the blocking floating IP"
check "with the PUT allowed again: nothing leaked" no_leaks

say "--- the floating IP on b behind the service's back (as a late PUT would leave it)"
t0=$SECONDS
neutron PUT "floatingips/$fip_id" "$(jq -nc --arg p "$port_b" '{floatingip: {port_id: $p}}')" \
	> /dev/null || die "associating the floating IP with b by hand"
check "a's daemon puts the floating IP back on a, the one the state names" \
	wait_until 30 eval 'fip_on "$port_a" && answers "$port_a"'
say "put back in $((SECONDS - t0)) s"
check "and the client gets a" wait_until 30 gets a

say "--- 20 moves"
probe_start
moves_ok=0 t0=$SECONDS
for i in $(seq 1 20); do
	if [ $((i % 2)) = 1 ]; then to=b inst=$IB p=$port_b; else to=a inst=$IA p=$port_a; fi
	# The move's answer has the state and the floating IP as Neutron has them.
	sfctl "$inst" service move "$svc" --to "$NAME-$to" --json > "$tmp/move.json" 2>&1 &&
		jq -e --arg p "$p" '.service | .active == $p and .phase == "stable" and
			.floating_port_id == $p' "$tmp/move.json" > /dev/null &&
		moves_ok=$((moves_ok + 1))
	jq -r '.timings.total_ms // empty' "$tmp/move.json" >> "$tmp/move_ms"
done
say "move total_ms: $(sort -n "$tmp/move_ms" | tr '\n' ' ')"

say "20 moves in $((SECONDS - t0)) s"
check "20 of 20 moves done, the floating IP on the target each time ($moves_ok)" test "$moves_ok" = 20
check "after 20 moves the client gets a" wait_until 30 gets a
probe_stop
check "the client was answered at every request of the 20 moves ($failed of $requests failed)" \
	answered "$failed" "$requests"
check "after 20 moves: nothing leaked" no_leaks
check "after 20 moves: no other floating IP on a's or b's port" \
	test "$(fips_on "$port_a")$(fips_on "$port_b")" = 10

check "sfctl service delete" sfctl "$IA" service delete "$svc"
check "the floating IP is deleted" not neutron GET "floatingips/$fip_id"
check "no floating IP left on the external network" test "$(ext_fips)" = 0
check "no pair or tag left on a" member_marks "$port_a" 0
check "no pair or tag left on b" member_marks "$port_b" 0
check "the service port is gone" not neutron GET "ports/$svc_port"
del "$IA" a "$ns_a"; expect "DEL a" 0 ""
del "$IB" b "$ns_b"; expect "DEL b" 0 ""
SVC_NET=ext del "$IC" c "$ns_c"; expect "DEL c" 0 ""
no_rows() { [ "$(sqlite3 "$(scripts/sfhost dir "$1")/state/state.db" \
	'SELECT count(*) FROM services' 2> /dev/null)" = 0 ]; }
check "a's daemon keeps no service row" wait_until 10 no_rows "$IA"
check "b's daemon keeps no service row" wait_until 10 no_rows "$IB"
finish
