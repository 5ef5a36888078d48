#!/usr/bin/env bash
# A move that fails midway never leaves the service without an answering
# instance, and leaks nothing (docs/superfluidity.md, "Failures").  The
# target's daemon is killed (SIGKILL, by its own hand: SF_TEST_MOVE_CRASH)
# at each step of a move: before the readiness check, before the commit in
# Neutron, between the commit and taking the address, between taking it and
# confirming.  While it is dead the client must still be answered; once it
# is back the move is undone (the first three) or finished (the last), with
# the address on exactly one instance.  Then Neutron goes away from every
# daemon (their gates close, lib/daemon.sh; the shared neutron-server stays
# up for the tests beside this one): a move is refused, nothing changes, the
# service keeps answering.  Last, 20 moves back and forth leave exactly one
# pair and one tag per instance, and deleting everything leaves no pair,
# tag, port or address.
# Exit 0 pass, 1 fail, 77 skip.
# shellcheck disable=SC2154,SC2317
T=service_faults
# shellcheck source=tests/integration/lib/daemon.sh
. "$(dirname "$0")/lib/daemon.sh"
# shellcheck source=tests/integration/lib/service.sh
. "$(dirname "$0")/lib/service.sh"

SVC_GATE=1 svc_bed

# Where the address is: "a", "b", or "none"/"both" (only a failure says so).
holder() {
	local on_a=0 on_b=0
	vip_on "$ns_a" eth0 && on_a=1
	vip_on "$ns_b" eth0 && on_b=1
	case $on_a$on_b in 10) echo a ;; 01) echo b ;; 00) echo none ;; *) echo both ;; esac
}
settled_on() { # a|b: Neutron, the hosts and the client agree
	local p=$port_a ns_other=$ns_b
	[ "$1" = b ] && p=$port_b ns_other=$ns_a
	answers "$p" && [ "$(holder)" = "$1" ] && holds_nothing "$ns_other" && got_who "$1"
}

for step in ready moving take stable; do
	want=a
	[ "$step" = stable ] && want=b
	say "--- the target's daemon dies at '$step'"
	crash_move "$step" "$IB" b
	# While b's daemon is away the service answers (a, or b once it took it).
	check "$step: the client is answered while the target's daemon is dead" \
		wait_until 3 test -n "$(who)"
	case $step in
	ready | moving) check "$step: Neutron still says a answers" answers "$port_a" ;;
	*) check "$step: Neutron says the move from a is under way" eval 'svc_json | jq -e \
		--arg a "$port_a" --arg b "$port_b" ".service.phase == \"moving\" and
		.service.active == \$b and .service.from == \$a" > /dev/null' ;;
	esac
	scripts/sfhost restart "$IB" > /dev/null || die "restart b after '$step'"
	check "$step: after the restart the service settles on $want" wait_until 20 settled_on "$want"
	check "$step: one pair and one tag on each instance's port" \
		eval 'member_marks "$port_a" 1 && member_marks "$port_b" 1'
	if [ "$want" = b ]; then
		check "$step: and moves back to a" sfctl "$IA" service move "$svc" --to "$NAME-a"
		check "$step: a answers again" wait_until 20 settled_on a
	fi
done

say "--- Neutron away"
gate_close host1
gate_close host2
if sfctl "$IB" service move "$svc" --to "$NAME-b" > "$tmp/move.out" 2>&1; then
	fail "a move with Neutron away succeeded"
else
	pass "a move with Neutron away is refused: $(head -c 200 "$tmp/move.out")"
fi
check "with Neutron away the client still gets a" got_who a
check "b does not hold the address" not vip_on "$ns_b" eth0
gate_open host1
gate_open host2
check "Neutron back: a answers" wait_until 20 settled_on a

say "--- 20 moves"
moves_ok=0
for i in $(seq 1 20); do
	if [ $((i % 2)) = 1 ]; then to=b inst=$IB; else to=a inst=$IA; fi
	sfctl "$inst" service move "$svc" --to "$NAME-$to" > /dev/null 2>&1 &&
		wait_until 10 settled_on "$to" && moves_ok=$((moves_ok + 1))
done
check "20 of 20 moves settled ($moves_ok)" test "$moves_ok" = 20
check "after 20 moves: one pair and one tag on each instance's port" \
	eval 'member_marks "$port_a" 1 && member_marks "$port_b" 1'
check "after 20 moves: one service port" test "$(neutron GET \
	"ports?device_owner=superfluid:service&network_id=$net_id&fields=id" | jq '.ports | length')" = 1

check "sfctl service delete" sfctl "$IA" service delete "$svc"
check "no pair or tag left on a" member_marks "$port_a" 0
check "no pair or tag left on b" member_marks "$port_b" 0
check "the address leaves a and b" wait_until 10 eval 'holds_nothing "$ns_a" && holds_nothing "$ns_b"'
del "$IA" a "$ns_a"; expect "DEL a" 0 ""
del "$IB" b "$ns_b"; expect "DEL b" 0 ""
del "$IC" c "$ns_c"; expect "DEL c" 0 ""
no_rows() { [ "$(sqlite3 "$(scripts/sfhost dir "$1")/state/state.db" \
	'SELECT count(*) FROM services' 2> /dev/null)" = 0 ]; }
check "a's daemon keeps no service row" wait_until 10 no_rows "$IA"
check "b's daemon keeps no service row" wait_until 10 no_rows "$IB"
finish
