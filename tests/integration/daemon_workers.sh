#!/usr/bin/env bash
# The daemon at its worker limit (docs/outages.md, "At the worker limit"):
# workers = 2, Neutron slowed to 3 s an answer by tests/tools/sfflaky (a
# proxy on host1's loopback, the daemon's endpoint_override), and ADDs on
# an empty pool, each of which would hold its worker until
# cold_add_timeout.  At most all the workers but one wait on Neutron:
#  - of two such ADDs at once, one waits (code 11 within cold_add_timeout)
#    and the other answers code 11 at once, saying the others wait;
#  - meanwhile a warm ADD, its DEL and sfctl's queries are answered at once
#    (the build before this change kept them queued for cold_add_timeout);
#  - a burst of 8 more is answered at once, with one log line, not eight,
#    and so is an ADD of a chosen address (it too needs a port of its own);
#  - the daemon lives, and once Neutron is quick again a cold ADD waits on
#    it again (the place was given back); Neutron's ports are the store's.
# Disturbs nothing else on host1: no lock needed.
# Exit 0 pass, 1 fail, 77 skip.  Cleans up all it makes, pass or fail.
# shellcheck disable=SC2154,SC2317,SC2030,SC2031,SC2016
T=daemon_workers
# shellcheck source=tests/integration/lib/daemon.sh
. "$(dirname "$0")/lib/daemon.sh"
flaky_have || skip "$FLAKY is not built (make tests)"

COLD_S=4
DELAY_MS=3000
testnet sg sgc
flaky
# Pool w (warm, 2 ready ports) and pool c (min 0: every ADD on it is cold).
SF_DAEMON_INI="workers = 2" ready_instance a host1 2 90 on_demand=true "cold_add_timeout=$COLD_S" \
	cooldown_ms=300 w:net:sg min=2 max=2 batch=2 c:net:sgc min=0 max=12 batch=1 \
	'[neutron]' "endpoint_override = http://127.0.0.1:$flaky_port"
A=$INSTANCE
cf_cold=$(conf 1.0.0 "$NAME-net" "[\"$NAME-sgc\"]")
pid=$(cat "$(scripts/sfhost dir "$A")/pid")
busy_re='other ADD\(s\) already wait on Neutron'
busy_line='ADD(s) already wait on Neutron for a port of their own'

declare -A ns_of
# An address of the warm pool's subnet that no pool port can hold (outside
# the allocation pool, .10 to .200): its ADD needs a port of its own too.
cf_fixed=$(conf 1.0.0 "$NAME-net" "[\"$NAME-sg\"]" ". + {runtimeConfig: {ips: [\"$pfx.222/24\"]}}")
# bg_cold LABEL [CONF]: a cold ADD in the background, its answer in $tmp/LABEL/
# (in the namespace ns_of[LABEL], made first unless it is).
bg_cold() {
	[ -n "${ns_of[$1]:-}" ] || mk_netns "ns_of[$1]" "$1"
	(
		tmp=$tmp/$1
		mkdir -p "$tmp"
		cni ADD "$NAME-$1" "/run/netns/${ns_of[$1]}" eth0 "${2:-$cf_cold}"
		printf '%s\n' "$rc" > "$tmp/rc"
		printf '%s\n' "$took_ms" > "$tmp/ms"
		printf '%s\n' "$out" > "$tmp/out"
	) &
	bg_pids+=($!)
}
bg_wait() { local p; for p in "${bg_pids[@]}"; do wait "$p"; done; bg_pids=(); }
ans() { cat "$tmp/$1/$2"; } # LABEL rc|ms|out
is_busy() { jq -e --arg re "$busy_re" '.code == 11 and (.msg | test($re))' "$tmp/$1/out" > /dev/null; }
breaker_closed() { [ "$(ctl "$A" health | jq -r .neutron.breaker)" = closed ]; }
bg_pids=()

flaky --delay-ms "$DELAY_MS"
say "Neutron answers after $DELAY_MS ms now; cold_add_timeout $COLD_S s, workers 2"
bg_cold c1
bg_cold c2
sleep 0.5
mk_netns "ns_of[w1]" w1
cni ADD "$NAME-w1" "/run/netns/${ns_of[w1]}" eth0 "$cf"
warm_ms=$took_ms
expect "a warm ADD while the cold ones run ($warm_ms ms)" 0 '.ips[0].address != null'
check "... answered at once ($warm_ms ms < 1000)" test "$warm_ms" -lt 1000
t0=$(date +%s%N)
check "sfctl's pools query answers meanwhile" ctl "$A" pools
ctl_ms=$(( ($(date +%s%N) - t0) / 1000000 ))
check "... at once ($ctl_ms ms < 1000)" test "$ctl_ms" -lt 1000
cni DEL "$NAME-w1" "/run/netns/${ns_of[w1]}" eth0 "$cf"
del_ms=$took_ms
expect "its DEL ($del_ms ms)" 0 ""
check "... at once ($del_ms ms < 1000)" test "$del_ms" -lt 1000
bg_wait
say "    c1: rc $(ans c1 rc), $(ans c1 ms) ms, $(jq -c '{code, msg}' "$tmp/c1/out")"
say "    c2: rc $(ans c2 rc), $(ans c2 ms) ms, $(jq -c '{code, msg}' "$tmp/c2/out")"
if is_busy c1; then first=c2 second=c1; else first=c1 second=c2; fi
check "of two cold ADDs at once, one is told the others wait: code 11" is_busy "$second"
busy_ms=$(ans "$second" ms)
check "... at once ($busy_ms ms < 1000)" test "$busy_ms" -lt 1000
wait_ms=$(ans "$first" ms)
check "the other waited on Neutron, no longer than cold_add_timeout + 1.5 s ($wait_ms ms)" \
	test "$wait_ms" -le $((COLD_S * 1000 + 1500))
check "... and got a port or code 11" jq -e '.ips[0].address != null or .code == 11' "$tmp/$first/out"
[ "$(ans "$first" rc)" = 0 ] && { cni DEL "$NAME-$first" "/run/netns/${ns_of[$first]}" eth0 "$cf_cold"; expect "DEL $first" 0 ""; }

# A burst while one waits: every one answered at once, one log line.
check "the breaker closed again before the burst" wait_until 30 breaker_closed
# Their namespaces first: the burst must be launched well inside b0's wait.
for k in 1 2 3 4 5 6 7 8 f1; do
	case $k in f1) l=$k ;; *) l=b$k ;; esac
	mk_netns "ns_of[$l]" "$l"
done
bg_cold b0
sleep 0.5
t0=$(date +%s%N)
for k in 1 2 3 4 5 6 7 8; do bg_cold "b$k"; done
bg_cold f1 "$cf_fixed"
bg_wait
burst_ms=$(( ($(date +%s%N) - t0) / 1000000 ))
nbusy=0
for k in 1 2 3 4 5 6 7 8; do is_busy "b$k" && nbusy=$((nbusy + 1)); done
slowest=$(for k in 1 2 3 4 5 6 7 8; do ans "b$k" ms; done | sort -n | tail -1)
say "    b0 (waiting): rc $(ans b0 rc), $(ans b0 ms) ms, $(jq -c '{code, msg}' "$tmp/b0/out")"
check "a burst of 8 while one waits: all told the others wait ($nbusy of 8)" test "$nbusy" = 8
check "... each at once (slowest $slowest ms < 1500)" test "$slowest" -lt 1500
check "... and so is an ADD with a chosen address ($pfx.222) on the warm pool, at once ($(ans f1 ms) ms < 1500)" \
	eval 'is_busy f1 && [ "$(ans f1 ms)" -lt 1500 ]'
[ "$(ans f1 rc)" = 0 ] && { cni DEL "$NAME-f1" "/run/netns/${ns_of[f1]}" eth0 "$cf_fixed"; expect "DEL f1" 0 ""; }
[ "$(ans b0 rc)" = 0 ] && { cni DEL "$NAME-b0" "/run/netns/${ns_of[b0]}" eth0 "$cf_cold"; expect "DEL b0" 0 ""; }
lines=$(instance_log "$A" | grep -c "$busy_line")
check "10 ADDs told to wait within a minute: one warning in the log ($lines)" test "$lines" = 1
check "the daemon lives (pid $pid)" kill -0 "$pid"

# Neutron quick again: the places were given back.
flaky
check "Neutron quick again: the breaker closed" wait_until 30 breaker_closed
mk_netns "ns_of[q1]" q1
cni ADD "$NAME-q1" "/run/netns/${ns_of[q1]}" eth0 "$cf_cold"
q_ms=$took_ms
say "    then: rc $rc, $(jq -c '{code, msg}' <<< "$out")"
check "a cold ADD waits on Neutron again ($q_ms ms): its place was given back" \
	jq -e --arg re "$busy_re" '.ips[0].address != null or (.msg | test($re) | not)' <<< "$out"
cni DEL "$NAME-q1" "/run/netns/${ns_of[q1]}" eth0 "$cf_cold"
expect "DEL q1" 0 ""
check "Neutron's ports tagged for $A are the store's" wait_until 30 ports_agree "$A"

say "figures:"
say "    Neutron ${DELAY_MS} ms a call, workers 2: warm ADD $warm_ms ms, DEL $del_ms ms, ctl $ctl_ms ms beside a cold ADD"
say "    cold ADD told to wait after $busy_ms ms; the waiting one $wait_ms ms; burst of 8: $burst_ms ms wall, slowest $slowest ms, $lines log line(s)"
finish
