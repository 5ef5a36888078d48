#!/usr/bin/env bash
# A wall-clock step under a real superfluidd on host1 (docs/outages.md):
# the daemon alone runs with tests/tools/sfclock.so preloaded, which adds
# the seconds written in a file to its CLOCK_REALTIME, gettimeofday() and
# time() (its log's stamps show the step), never to CLOCK_MONOTONIC.
#  - a port released just before a step of +1 h is not ready again before
#    its cool-down (3 s) has passed, and is soon after;
#  - a port released just before a step of -1 h is ready again after its
#    cool-down, not an hour later;
#  - ports the refiller is wiring when the clock jumps +1 h are neither
#    given up ("never turned ACTIVE") nor created twice: the pool refills
#    as fast as without a step; Neutron's ports are the store's.
# Exit 0 pass, 1 fail, 77 skip.  Cleans up all it makes, pass or fail.
# shellcheck disable=SC2154,SC2317
T=daemon_clock
# shellcheck source=tests/integration/lib/daemon.sh
. "$(dirname "$0")/lib/daemon.sh"

COOL_MS=3000
shim=${SFCLOCK_SO:-$B/tests/tools/sfclock.so}   # SFCLOCK_SO: for an older build
[ -f "$shim" ] || skip "$shim is not built (make tests)"
clock=$tmp/clock
step() { echo "$1" > "$clock.new" && mv "$clock.new" "$clock"; } # SECONDS
step 0
testnet sg
SF_DAEMON_WRAP="env LD_PRELOAD=$shim SFCLOCK_FILE=$clock \
ASAN_OPTIONS=${ASAN_OPTIONS:+$ASAN_OPTIONS:}verify_asan_link_order=0" \
	ready_instance a host1 2 60 cooldown_ms=$COOL_MS p:net:sg min=2 max=8 batch=2
A=$INSTANCE
log0=$(( $(instance_log "$A" | wc -l) + 1 ))

# The daemon's idea of the time, from the stamp of its last log line, less ours.
skew_s() {
	local stamp
	stamp=$(instance_log "$A" | tail -1 | cut -d' ' -f1)
	echo $(( $(date -d "$stamp" +%s) - $(date +%s) ))
}
skew_is() { # SECONDS: within 5 s
	local s
	s=$(skew_s)
	[ "$s" -ge $(( $1 - 5 )) ] && [ "$s" -le $(( $1 + 5 )) ]
}

# released LABEL OFFSET SECONDS: ADD LABEL (its log line shows the daemon's
# clock OFFSET s from ours), DEL it, step the clock by SECONDS right after
# the DEL, and time the port's way back to ready: sets cool_ms.
released() {
	local label=$1 ns port t0 st
	shift
	mk_netns ns "$label"
	cni ADD "$NAME-$label" "/run/netns/$ns" eth0 "$cf"
	expect "ADD $label ($took_ms ms)" 0 '.ips[0].address != null' || return 1
	check "... the daemon's log stamps are $1 s from ours ($(skew_s) s)" skew_is "$1"
	shift
	port=$(held_port "$A" "$NAME-$label") || { fail "$label holds no port"; return 1; }
	cni DEL "$NAME-$label" "/run/netns/$ns" eth0 "$cf"
	t0=$(date +%s%N)
	expect "DEL $label" 0 "" || return 1
	step "$1"
	cool_ms=""
	for _ in $(seq 1 100); do
		st=$(port_state "$A" "$port")
		if [ "$st" = ready ]; then
			cool_ms=$(( ($(date +%s%N) - t0) / 1000000 ))
			break
		fi
		sleep 0.1
	done
	if [ -z "$cool_ms" ]; then
		fail "$label's port $port is still '$st' 10 s after its release (clock stepped $1 s)"
		return 1
	fi
	check "$label's port ready again $cool_ms ms after its release, clock stepped $1 s: not before the cool-down ($COOL_MS ms)" \
		test "$cool_ms" -ge $(( COOL_MS - 100 ))
	check "... and within the cool-down + 2 s" test "$cool_ms" -le $(( COOL_MS + 2000 ))
}

released c1 0 3600
plus_ms=$cool_ms
released c2 3600 -3600
minus_ms=$cool_ms

# The refiller: ADDs take ready ports until it must create more; the clock
# steps +1 h (back to ours) while the new ports are wiring.
busy() { ctl "$A" pools | jq -e '.pools[] | select(.name == "p") | .wiring + .creating > 0' > /dev/null; }
wait_pool "$A" p 2 30
t0=$(date +%s%N) stepped=""
for l in r1 r2 r3 r4 r5; do
	mk_netns ns "$l"
	cni ADD "$NAME-$l" "/run/netns/$ns" eth0 "$cf"
	expect "ADD $l ($took_ms ms)" 0 '.ips[0].address != null'
	if wait_until 1 busy; then
		t0=$(date +%s%N)
		step 0
		stepped=$l
		break
	fi
done
check "the refiller was wiring new ports when the clock stepped (after ${stepped:-none})" test -n "$stepped"
if wait_until 30 pool_settled "$A" p 2; then
	refill_ms=$(( ($(date +%s%N) - t0) / 1000000 ))
	pass "pool back at 2 ready $refill_ms ms after the step of +3600 s"
else
	fail "pool not refilled: $(ctl "$A" pools)"
fi
mk_netns ns z
cni ADD "$NAME-z" "/run/netns/$ns" eth0 "$cf"
expect "ADD z ($took_ms ms)" 0 '.ips[0].address != null'
check "... the daemon's log stamps are ours again ($(skew_s) s)" skew_is 0
given_up=$(instance_log "$A" | tail -n +"$log0" | grep -c 'never turned ACTIVE')
check "no port given up as never ACTIVE ($given_up)" test "$given_up" = 0
check "Neutron's ports tagged for $A are the store's" wait_until 20 ports_agree "$A"
n=$(store_ports "$A" | wc -l)
check "... $n of them, no more than max = 8: none doubled" test "$n" -le 8

say "figures:"
say "    cool-down $COOL_MS ms: ready again after $plus_ms ms (step +1 h), $minus_ms ms (step -1 h); refill ${refill_ms:-?} ms (step +1 h)"
finish
