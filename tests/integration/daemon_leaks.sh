#!/usr/bin/env bash
# sf-test: alone
# The leak run (issue 5): one superfluidd serves ADD/DEL cycles through the
# real plugin, several workers at once, then gets SIGTERM; it must exit 0
# with no leak reported.  Under the sanitizer build (make SAN=1)
# LeakSanitizer checks at exit, after SF_LEAK_CYCLES cycles (default 1000).
# Under the plain build the daemon runs under valgrind (--leak-check=full,
# definite leaks and memory errors fail), after SF_LEAK_VG_CYCLES cycles
# (default 1000: the plugin and this script, not the daemon, set the
# pace); skipped when valgrind is missing.  SF_LEAK_WORKERS: default 4.
# Exit 0 pass, 1 fail, 77 skip.  Cleans up all it makes, pass or fail.
# shellcheck disable=SC2015,SC2034,SC2154,SC2317
T=daemon_leaks
# shellcheck source=tests/integration/lib/daemon.sh
. "$(dirname "$0")/lib/daemon.sh"

if ldd "$B/superfluidd" 2> /dev/null | grep -q libasan || nm "$B/superfluidd" 2> /dev/null | grep -q __asan_init; then
	mode=lsan
	CYCLES=${SF_LEAK_CYCLES:-1000}
	# LeakSanitizer runs at exit unless told not to; make sure it is on.
	export ASAN_OPTIONS="${ASAN_OPTIONS:+$ASAN_OPTIONS:}detect_leaks=1"
else
	command -v valgrind > /dev/null || skip "a plain build needs valgrind for the leak run (scripts/deps); make SAN=1 runs it under LeakSanitizer"
	mode=valgrind
	CYCLES=${SF_LEAK_VG_CYCLES:-1000}
fi
WORKERS=${SF_LEAK_WORKERS:-4}
for v in CYCLES WORKERS; do
	[[ ${!v} =~ ^[1-9][0-9]*$ ]] || die "$v must be a positive integer"
done
t_start=$SECONDS

soak_cleanup() {
	local ns
	for ns in $(ip netns list | awk -v p="$NAME-w" 'index($1, p) == 1 {print $1}'); do
		ip netns del "$ns" 2> /dev/null
	done
	# The daemon is this shell's child: stop it before the lib purges.
	[ -n "${dpid:-}" ] && kill -TERM "$dpid" 2> /dev/null && wait "$dpid" 2> /dev/null
}
at_exit 20 soak_cleanup

testnet sg
start_instance l host1 < <(pool_ini min=6 max=16 batch=6 cooldown_ms=200 p:net:sg)
R=$INSTANCE
CONF_SOCKET=$(scripts/sfhost sock "$R")
D=$(scripts/sfhost dir "$R")
# Started by sfhost, which cannot tell its exit status: run it again as
# this shell's child, so that `wait` can.
scripts/sfhost stop "$R" > /dev/null || die "stopping $R"
rm -f "$D/sock"
if [ "$mode" = valgrind ]; then
	valgrind --leak-check=full --errors-for-leak-kinds=definite --error-exitcode=97 \
		--log-file="$tmp/valgrind.log" "$B/superfluidd" -c "$D/superfluid.conf" >> "$D/log" 2>&1 < /dev/null &
else
	"$B/superfluidd" -c "$D/superfluid.conf" >> "$D/log" 2>&1 < /dev/null &
fi
dpid=$!
echo "$dpid" > "$D/pid"
wait_until 120 test -S "$D/sock" || die "$R did not open its socket: $(tail -5 "$D/log")"
say "instance $R ($mode) on host1; waiting for its pool"
wait_pool "$R" p 6 180
cf=$(conf 1.0.0 "$NAME-net" "[\"$NAME-sg\"]")
S=$tmp

worker() { # N: CYCLES / WORKERS cycles of netns, ADD, DEL, netns gone
	local w=$1 i cid n=$((CYCLES / WORKERS)) ok=0
	tmp=$S/w$w   # the lib's cni writes its stdin and stderr under $tmp
	mkdir -p "$tmp"
	for ((i = 1; i <= n; i++)); do
		cid=$NAME-w$w-$i
		ip netns add "$cid" || break
		cni ADD "$cid" "/run/netns/$cid" eth0 "$cf"
		[ "$rc" -eq 0 ] || echo "ADD $cid: exit $rc: $out" >> "$S/fails"
		cni DEL "$cid" "/run/netns/$cid" eth0 "$cf"
		[ "$rc" -eq 0 ] && ok=$((ok + 1)) || echo "DEL $cid: exit $rc: $out" >> "$S/fails"
		ip netns del "$cid"
	done
	echo "$ok" > "$S/ok.$w"
}
pids=()
for w in $(seq 1 "$WORKERS"); do
	worker "$w" & pids+=($!)
done
for p in "${pids[@]}"; do wait "$p"; done
cycles=$(cat "$S"/ok.* | awk '{s += $1} END {print s + 0}')
t_run=$((SECONDS - t_start))
if [ -s "$S/fails" ]; then
	fail "$(wc -l < "$S/fails") ADD or DEL failed: $(head -3 "$S/fails")"
else
	pass "$cycles ADD/DEL cycles, $WORKERS at once, all answered 0"
fi
in_use_now() { [ "$(ctl "$R" ports | jq '[.ports[] | select(.state == "in_use")] | length')" = 0 ]; }
check "no port left in use" wait_until 20 in_use_now

# SIGTERM: a clean exit, and no leak.
t_stop=$SECONDS
kill -TERM "$dpid"
wait_until 300 not test -d "/proc/$dpid" || die "$R did not exit within 300 s of SIGTERM"
wait "$dpid"
drc=$?
dpid=
rm -f "$D/pid"
check "SIGTERM: exit status 0 (got $drc)" test "$drc" = 0
if [ "$mode" = lsan ]; then
	if grep -q 'Sanitizer\|runtime error:' "$D/log"; then
		fail "a sanitizer report in the daemon's log: $(grep -m3 'Sanitizer\|SUMMARY' "$D/log")"
		sed -n '/Sanitizer/,$p' "$D/log" | head -60 | sed 's/^/    | /'
	else
		pass "no LeakSanitizer report"
	fi
else
	summary=$(grep -E 'in use at exit|definitely lost|indirectly lost|possibly lost|ERROR SUMMARY' "$tmp/valgrind.log" | sed 's/^==[0-9]*== *//')
	say "valgrind: $(tr '\n' ';' <<< "$summary")"
	if grep -q 'definitely lost: [1-9]\|ERROR SUMMARY: [1-9]' "$tmp/valgrind.log"; then
		# The first report on one line: the runner's summary shows FAIL lines
		# and the log's tail, which the daemon's log fills.
		first=$(awk '/^==[0-9]+== (Invalid|Conditional|Use of|Syscall|Mismatched|[0-9,]+ bytes in [0-9,]+ blocks are definitely)/ {on = 1}
			on && /^==[0-9]+== *$/ {exit} on {sub(/^==[0-9]+== */, ""); printf "%s; ", $0}' "$tmp/valgrind.log" | cut -c1-600)
		fail "valgrind reports errors or definite leaks: ${first:-see $tmp/valgrind.log}"
		cp "$tmp/valgrind.log" "$B/test-logs/integration/daemon_leaks.valgrind.log" 2> /dev/null || :
		# The first reports, after valgrind's banner.
		sed -n '/^==[0-9]*== [A-Z]/,$p' "$tmp/valgrind.log" | grep -v 'Copyright\|Command:\|Using Valgrind\|Memcheck,' |
			head -"${SF_IT_LOG_LINES:-80}" | sed 's/^/    | /'
	else
		pass "valgrind: no error, no definite leak"
	fi
fi
say "FIGURES: $mode, $cycles cycles ($((cycles * 2)) ops) with $WORKERS workers in ${t_run}s, exit $drc $((SECONDS - t_stop))s after SIGTERM"
finish
