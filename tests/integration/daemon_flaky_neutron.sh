#!/usr/bin/env bash
# A slow and a failing Neutron, through tests/tools/sfflaky (a proxy on
# host1's loopback, the daemon's endpoint_override; Keystone direct),
# against a real superfluidd whose client keeps its default 30 s timeout
# (docs/outages.md):
#  - slow: every answer 1.5 s late; a warm ADD is as fast as ever, an ADD
#    on the empty pool answers (a port or code 11) within cold_add_timeout;
#  - failing: the first 2 creates answered 503 with Retry-After: 1, not
#    forwarded: the client retries each after the second it was told, the
#    pool fills, no port is made twice;
#  - a create's answer reset mid-body after Neutron made the port: the port
#    is adopted by tag, no second create is sent for it;
#  - every second holder write (PUT) and then every second read (GET) reset
#    mid-body: the holders reach Neutron in the end, the pool refills.
# Each phase ends with Neutron's tagged ports equal to the store's.
# Exit 0 pass, 1 fail, 77 skip.  Cleans up all it makes, pass or fail.
# shellcheck disable=SC2154,SC2317
T=daemon_flaky_neutron
# shellcheck source=tests/integration/lib/daemon.sh
. "$(dirname "$0")/lib/daemon.sh"
flaky_have || skip "$FLAKY is not built (make tests)"

COLD_S=4
port=$flaky_port
posts() { grep -c " POST /v2.0/ports " "$tmp/flaky.log"; }

testnet sg
flaky --delay-ms 1500
ready_instance a host1 1 90 on_demand=true "cold_add_timeout=$COLD_S" cooldown_ms=300 \
	p:net:sg min=1 max=2 batch=1 '[neutron]' "endpoint_override = http://127.0.0.1:$port"
A=$INSTANCE
check "the daemon's calls go through the proxy" grep -q "fwd POST /v2.0/ports " "$tmp/flaky.log"

settled() { wait_until "$2" pool_settled "$A" p "$1" && wait_until 20 ports_agree "$A"; }

# --- slow --------------------------------------------------------------------------------
add s1
expect "slow Neutron: a warm ADD ($took_ms ms)" 0 '.ips[0].address != null'
check "... as fast as ever ($took_ms ms < 1000)" test "$took_ms" -lt 1000
add s2
slow_ms=$took_ms
say "    the ADD on the empty pool: rc $rc, $(jq -c '{code, msg}' <<< "$out")"
check "slow Neutron: an ADD on the empty pool answers within cold_add_timeout + 1.5 s ($took_ms ms)" \
	test "$took_ms" -le $((COLD_S * 1000 + 1500))
check "... with a port or code 11" jq -e '.ips[0].address != null or .code == 11' <<< "$out"
[ "$rc" = 0 ] && del s2
del s1
check "slow Neutron: Neutron's ports are the store's" settled 1 60

# --- failing: 503 with Retry-After -----------------------------------------------------------
flaky --fail-first 2 --fail-method POST --status 503 --retry-after 1
drain f
check "failing Neutron: the pool refills" settled 1 60
say "    the proxy saw: $(awk '{ print $2, $3 }' "$tmp/flaky.log" | sort | uniq -c | tr '\n' ';')"
gaps=$(awk '$3 == "POST" && $4 == "/v2.0/ports" { if (inj) print $1 - t; inj = ($2 == "inj"); t = $1 }' \
	"$tmp/flaky.log")
say "    POST after an injected 503: $(tr '\n' ' ' <<< "$gaps")ms later"
check "failing Neutron: a create was answered 503" grep -q "inj POST /v2.0/ports " "$tmp/flaky.log"
waited() { [ -n "$gaps" ] && awk '$1 < 1000 { bad = 1 } END { exit bad }' <<< "$gaps"; }
check "... and every create after one waited its Retry-After (>= 1000 ms)" waited
made=$(grep -c "fwd POST /v2.0/ports 201" "$tmp/flaky.log")
check "... no port made twice: $made forwarded create(s), Neutron's ports are the store's" ports_agree "$A"
undrain

# --- a create's answer reset mid-body --------------------------------------------------------
check "the pool at rest before the resets" settled 1 60
flaky --reset-every 1
leak='superfluid_leaked_ports_total{kind="neutron"}'
leak0=$(instance_metric host1 "$A" "$leak")
drain r
check "reset answers: the pool refills" settled 1 60
cut=$(grep -c "cut POST /v2.0/ports" "$tmp/flaky.log")
adopted=$(( $(instance_metric host1 "$A" "$leak") - leak0 ))
check "a create was cut mid-body after Neutron acted ($cut)" test "$cut" -ge 1
check "... each cut create's port adopted by tag ($adopted of $cut), none created twice" \
	test "$adopted" = "$cut" -a "$(posts)" = "$cut"
undrain
check "reset answers: Neutron's ports are the store's" settled 1 60

# --- a holder's write and a status read reset mid-body -------------------------------------
flaky --reset-every 2 --cut-method PUT
add h1
expect "PUT answers cut: warm ADD h1 ($took_ms ms)" 0 '.ips[0].address != null'
check "... Neutron shows its holder in the end" wait_until 30 holders_synced "$A"
del h1
check "... and no holder once h1 is gone" wait_until 30 holders_synced "$A"
cut_put=$(grep -c "cut PUT /v2.0/ports/" "$tmp/flaky.log")
check "... holder writes were cut mid-body ($cut_put)" test "$cut_put" -ge 1
flaky --reset-every 2 --cut-method GET
drain g
check "GET answers cut: the pool refills" settled 1 60
cut_get=$(grep -c "cut GET /v2.0/ports" "$tmp/flaky.log")
check "... reads were cut mid-body ($cut_get)" test "$cut_get" -ge 1
undrain
check "... Neutron shows the holders, none doubled" wait_until 30 holders_synced "$A"
check "... Neutron's ports are the store's" settled 1 60

say "figures:"
say "    slow (1.5 s a call): cold ADD answered after $slow_ms ms"
say "    503 + Retry-After 1: gaps after an injected 503: $(tr '\n' ' ' <<< "$gaps")ms; $made create(s)"
say "    reset mid-body: $cut cut create(s), $adopted adopted; $cut_put cut holder write(s), $cut_get cut read(s)"
finish
