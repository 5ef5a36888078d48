#!/usr/bin/env bash
# tests/tools/sfwan, the test bed's WAN delay line, on its own: namespaces
# A and B joined only through sfwan in namespace W (veth a0=a1, b1=b0).
# Checks the round trip with no delay and with 20 ms one way, full-size
# frames with DF, a TCP transfer intact (checksums carried over), the
# counters (SIGUSR1), a bounded queue that drops and counts, jitter, and a
# clean exit on SIGTERM.  Needs no test bed.  Exit 0 pass, 1 fail, 77 skip.
set -uo pipefail
cd "$(dirname "$0")/../.." || exit 1

T=sfwan
say() { printf '%s: %s\n' "$T" "$*"; }
failures=0
pass() { say "ok:   $*"; }
fail() { say "FAIL: $*"; failures=$((failures + 1)); }
die() { say "FAIL (fatal): $*"; exit 1; }
skip() { say "SKIP: $*"; exit 77; }

[ "$(id -u)" -eq 0 ] || skip "needs root (namespaces)"
B=${SF_BUILD:-${O:-build}}
W=$B/tests/tools/sfwan
[ -x "$W" ] || skip "$W is not built (make tests)"
for tool in ip ping socat sha256sum; do
	command -v "$tool" > /dev/null || skip "$tool is missing"
done

rnd=$(od -An -tx1 -N3 /dev/urandom | tr -d ' \n')
na=sfwt-$rnd-a nw=sfwt-$rnd-w nb=sfwt-$rnd-b
tmp=$(mktemp -d)
wan_pid=""

cleanup() {
	local rc=$?
	[ -n "$wan_pid" ] && kill "$wan_pid" 2> /dev/null && wait "$wan_pid" 2> /dev/null
	for n in "$na" "$nw" "$nb"; do ip netns del "$n" 2> /dev/null; done
	rm -rf "$tmp"
	exit "$rc"
}
trap cleanup EXIT
trap 'exit 1' INT TERM

for n in "$na" "$nw" "$nb"; do ip netns add "$n" || die "netns $n"; done
ip -n "$na" link add a0 type veth peer name a1 netns "$nw" || die "veth a"
ip -n "$nb" link add b0 type veth peer name b1 netns "$nw" || die "veth b"
# W carries frames only: no addresses, no IPv6 (it would send its own).
ip netns exec "$nw" sysctl -qw net.ipv6.conf.all.disable_ipv6=1 net.ipv6.conf.default.disable_ipv6=1
for d in a1 b1; do ip -n "$nw" link set "$d" up; done
ip -n "$na" addr add 10.250.0.1/24 dev a0
ip -n "$nb" addr add 10.250.0.2/24 dev b0
# As the test bed does on its WAN ports: segment GSO before the veth.
ip -n "$na" link set a0 gso_max_segs 1 up
ip -n "$nb" link set b0 gso_max_segs 1 up

# start_wan ARGS...: sfwan between a1 and b1, in W.
start_wan() {
	# A log per run: the readiness wait below must see this run's banner,
	# not the one before (a slower start, under ASan, lost that race).
	: > "$tmp/wan.log"
	ip netns exec "$nw" "$W" "$@" a1 b1 >> "$tmp/wan.log" 2>&1 &
	wan_pid=$!
	for _ in $(seq 50); do
		grep -q ' one way' "$tmp/wan.log" && return 0
		sleep 0.1
	done
	die "sfwan did not start: $(cat "$tmp/wan.log")"
}
stop_wan() {
	kill -TERM "$wan_pid"
	wait "$wan_pid"
	local rc=$?
	wan_pid=""
	return "$rc"
}
# rtt ARGS...: "min avg max" ms of a ping from A to B.
rtt() {
	ip netns exec "$na" ping -q "$@" 10.250.0.2 2> /dev/null |
		sed -n 's#.* = \([0-9.]*\)/\([0-9.]*\)/\([0-9.]*\)/.*#\1 \2 \3#p'
}
# stat KEY DIR: the last counter KEY printed for direction DIR (a1>b1).
stat_of() {
	grep "stats $2 " "$tmp/wan.log" | tail -1 | tr ' ' '\n' | sed -n "s/^$1=//p"
}
ge() { awk -v a="$1" -v b="$2" 'BEGIN { exit !(a >= b) }'; }

# No delay: the line adds little.
start_wan --delay-ms 0
read -r mn avg mx <<< "$(rtt -c 20 -i 0.02)"
[ -n "${avg:-}" ] || die "no ping across sfwan with no delay"
if ge 5 "$avg"; then pass "delay 0: rtt avg $avg ms (min $mn, max $mx)"; else fail "delay 0: rtt avg $avg ms"; fi
stop_wan || fail "sfwan exit status on SIGTERM"

# 20 ms one way: every round trip takes at least 40 ms.
SF_TESTBED_WAN_DELAY_MS=20 start_wan
grep -q 'delay 20.000 ms one way' "$tmp/wan.log" && pass "the delay is taken from SF_TESTBED_WAN_DELAY_MS" ||
	fail "the delay is not taken from SF_TESTBED_WAN_DELAY_MS: $(tail -1 "$tmp/wan.log")"
read -r mn avg mx <<< "$(rtt -c 20 -i 0.02)"
if [ -n "${mn:-}" ] && ge "$mn" 40 && ge 60 "$avg"; then
	pass "delay 20 ms: rtt min $mn avg $avg max $mx ms"
else
	fail "delay 20 ms: rtt min ${mn:-none} avg ${avg:-none} max ${mx:-none} ms"
fi
# Full-size frames, DF set: 1472 + 28 = the veth's MTU of 1500.
if ip netns exec "$na" ping -q -c 3 -i 0.05 -M do -s 1472 10.250.0.2 > /dev/null 2>&1; then
	pass "1500-byte packets with DF cross whole"
else
	fail "1500-byte packets with DF do not cross"
fi
# TCP: segments cross with valid checksums and in order.
head -c 4000000 /dev/urandom > "$tmp/data"
ip netns exec "$nb" socat -u TCP-LISTEN:7001,reuseaddr OPEN:"$tmp/got",creat,trunc &
lpid=$!
sleep 0.3
if ip netns exec "$na" timeout 60 socat -u OPEN:"$tmp/data" TCP:10.250.0.2:7001 && wait "$lpid" &&
	[ "$(sha256sum < "$tmp/data")" = "$(sha256sum < "$tmp/got")" ]; then
	pass "4 MB over TCP arrive intact"
else
	fail "the TCP transfer broke ($(stat -c %s "$tmp/got" 2> /dev/null) bytes arrived)"
	kill "$lpid" 2> /dev/null
fi
kill -USR1 "$wan_pid"
sleep 0.3
rx=$(stat_of rx a1\>b1) tx=$(stat_of tx a1\>b1) drx=$(stat_of drop_rx a1\>b1)
if [ "${rx:-0}" -ge 2700 ] && [ "${tx:-0}" -ge 2700 ] && [ "${drx:-1}" -eq 0 ]; then
	pass "SIGUSR1 counters: a1>b1 rx $rx tx $tx, no frame refused"
else
	fail "SIGUSR1 counters: a1>b1 rx ${rx:-none} tx ${tx:-none} drop_rx ${drx:-none}"
fi
stop_wan || fail "sfwan exit status on SIGTERM"
grep -q '^sfwan: exiting' "$tmp/wan.log" && [ "$(grep -c 'stats a1>b1' "$tmp/wan.log")" -ge 2 ] &&
	pass "SIGTERM: counters printed, clean exit" || fail "SIGTERM: no counters or no exit line"

# A bounded queue: 4 frames in 50 ms, a ping every 2 ms overflows it.
start_wan --delay-ms 50 --limit 4
ip netns exec "$na" ping -q -c 100 -i 0.002 10.250.0.2 > /dev/null 2>&1
sleep 0.2
kill -USR1 "$wan_pid"
sleep 0.3
dq=$(stat_of drop_queue a1\>b1) md=$(stat_of max_depth a1\>b1)
if [ "${dq:-0}" -gt 0 ] && [ "${md:-9}" -le 4 ]; then
	pass "queue of 4: $dq frames dropped and counted, depth never over $md"
else
	fail "queue of 4: drop_queue ${dq:-none}, max_depth ${md:-none}"
fi
stop_wan

# Jitter 0..10 ms on 5 ms: round trips spread, none under 10 ms.
start_wan --delay-ms 5 --jitter-ms 10
read -r mn avg mx <<< "$(rtt -c 30 -i 0.05)"
if [ -n "${mn:-}" ] && ge "$mn" 10 && ge "$(awk -v a="$mx" -v b="$mn" 'BEGIN { print a - b }')" 4; then
	pass "jitter 10 ms: rtt min $mn avg $avg max $mx ms"
else
	fail "jitter 10 ms: rtt min ${mn:-none} avg ${avg:-none} max ${mx:-none} ms"
fi
stop_wan

# Bad arguments are refused.
if ip netns exec "$nw" "$W" --delay-ms -1 a1 b1 > /dev/null 2>&1 ||
	ip netns exec "$nw" "$W" a1 > /dev/null 2>&1 || ip netns exec "$nw" "$W" a1 nosuchdev > /dev/null 2>&1; then
	fail "sfwan accepted bad arguments"
else
	pass "bad arguments and a missing interface are refused"
fi

[ "$failures" -eq 0 ] || { say "$failures check(s) failed"; exit 1; }
say "all checks passed"
