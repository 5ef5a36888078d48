#!/usr/bin/env bash
# A port create that Neutron carried out or refused, with the answer the
# daemon got lost or unhelpful, through tests/tools/sfflaky (a proxy on
# host1's loopback, the daemon's endpoint_override; docs/outages.md):
#  - the answer of a bulk create dropped after Neutron acted (a partition
#    between the answer and the daemon: nothing comes back, the connection
#    stays open): the client gives up at its timeout, the ports Neutron made
#    are adopted by tag, no second create is sent for them;
#  - 409 Conflict to the first 3 creates: never retried by the client, the
#    pool's own backoff (jittered, growing) between creates, then the pool
#    fills;
#  - 500 with Retry-After: 12 to a create: not retried by the client (a 500
#    may hide a create that happened): a listing by tag first, and the next
#    create no sooner than the 12 s the answer asked for.
# After each, Neutron's tagged ports == the store's == host1's interfaces
# with the instance's alias: nothing doubled, nothing leaked.
# Disturbs nothing else on host1: no lock needed.
# Exit 0 pass, 1 fail, 77 skip.  Cleans up all it makes, pass or fail.
# shellcheck disable=SC2154,SC2317,SC2016
T=daemon_flaky_create
# shellcheck source=tests/integration/lib/daemon.sh
. "$(dirname "$0")/lib/daemon.sh"
flaky_have || skip "$FLAKY is not built (make tests)"

# The client's request timeout: a dropped answer is given up after it.  Not
# shorter: on the shared bed a create can take 5 s or more to be answered.
TIMEOUT_S=10
# Longer than the second listing's wait after a lost create (the client's
# timeout, refiller.c), so that the gap it makes is the Retry-After's.
RA_S=12
testnet sg
flaky
# quiet_ms: the drained pool's refill waits for the ADDs to end, so that it
# is one bulk create of 2.
ready_instance a host1 2 150 on_demand=true cold_add_timeout=4 cooldown_ms=300 quiet_ms=2000 \
	p:net:sg min=2 max=2 batch=2 '[neutron]' "endpoint_override = http://127.0.0.1:$flaky_port" \
	"timeout = $TIMEOUT_S"
A=$INSTANCE
leak='superfluid_leaked_ports_total{kind="neutron"}'

settled() { wait_until "$1" pool_settled "$A" p 2; }
posts() { grep " POST /v2.0/ports " "$tmp/flaky.log"; } # the creates the proxy saw
# The proxy's lines in the order the requests arrived (its 6th field).
by_arrival() { sort -n -k6,6 "$tmp/flaky.log"; }
# POST gaps: ms between each create's arrival and the one before it.
gaps() { by_arrival | awk '$3 == "POST" && $4 == "/v2.0/ports" { if (n++) printf "%d ", $6 - t; t = $6 }'; }
asked_2() { instance_log "$A" | tail -n +$((log0 + 1)) | grep -q "creating 2$"; }

# --- a bulk create's answer dropped after Neutron acted -------------------------------------
flaky --drop-every 1
leak0=$(instance_metric host1 "$A" "$leak")
log0=$(instance_log "$A" | wc -l)
drain d 4
check "dropped answers: the pool refills" settled 90
# Neutron commits the ports before it answers: the listing can find them
# before the proxy has the answer it drops (and logs).
dropped_one() { grep -q "drop POST /v2.0/ports " "$tmp/flaky.log"; }
check "the proxy dropped a create's answer" wait_until 30 dropped_one
say "    the proxy saw: $(awk '{ print $2, $3, $4 }' "$tmp/flaky.log" | sed 's/?.*//' | sort | uniq -c | tr -s ' ' | tr '\n' ';')"
dropped=$(grep -c "drop POST /v2.0/ports " "$tmp/flaky.log")
asked=$(instance_log "$A" | tail -n +$((log0 + 1)) | awk '/creating [0-9]+$/ { printf "%s ", $NF }')
adopted=$(( $(instance_metric host1 "$A" "$leak") - leak0 ))
check "a create's answer was dropped after Neutron made its ports ($dropped)" test "$dropped" -ge 1
check "... every create sent was one whose answer was dropped: none repeated ($(posts | wc -l) POSTs)" \
	test "$(posts | wc -l)" = "$dropped"
check "... a bulk create of 2 among them (the refiller asked for: $asked)" asked_2
check "... its ports adopted by tag ($adopted)" test "$adopted" -ge 2
n_ports=$(instance_ports "$A" | wc -l)
check "... Neutron holds 4 ports for the instance, not more ($n_ports)" test "$n_ports" = 4
check "... Neutron's ports == the store's == host1's interfaces" wait_until 20 all_agree host1 "$A"
undrain
check "the pool at rest" settled 60

# --- 409 Conflict ------------------------------------------------------------------------
flaky --fail-first 3 --fail-method POST --status 409
drain c 4
check "409s: the pool refills" settled 60
say "    the proxy saw: $(awk '{ print $2, $3, $5 }' "$tmp/flaky.log" | sort | uniq -c | tr -s ' ' | tr '\n' ';')"
g409=$(gaps)
say "    ms between creates: $g409"
n_inj=$(grep -c "inj POST /v2.0/ports " "$tmp/flaky.log")
n_fwd=$(grep -c "fwd POST /v2.0/ports 201" "$tmp/flaky.log")
check "409s: 3 creates answered 409 ($n_inj), then one made the ports ($n_fwd)" \
	test "$n_inj" = 3 -a "$n_fwd" = 1
# The pool's backoff: 0.5 to 1 s after the first failure, then 1 to 2 s,
# 2 to 4 s (jittered): never a retry at once, and growing.
paced() { awk -v g="$g409" 'BEGIN { n = split(g, a, " "); if (n < 3) exit 1
	for (i = 1; i <= n; i++) if (a[i] < 450) exit 1
	exit !(a[n] > a[1]) }'; }
check "... each next create after the pool's backoff (>= 450 ms), growing" paced
check "409s: Neutron's ports == the store's == host1's interfaces" wait_until 20 all_agree host1 "$A"
undrain
check "the pool at rest" settled 60

# --- 500 with Retry-After ----------------------------------------------------------------
flaky --fail-first 1 --fail-method POST --status 500 --retry-after "$RA_S" 
drain r 4
check "500 + Retry-After: the pool refills" settled 60
g500=$(gaps)
say "    ms between creates: $g500"
say "    the proxy's requests (ms after the first, what, method, path, status, ms to answer):"
by_arrival | awk 'NR == 1 { t = $6 } { sub(/\?.*/, "", $4); printf "      %6d %s %s %s %s %d\n", $6 - t, $2, $3, $4, $5, $1 - $6 }' |
	while read -r l; do say "$l"; done
listed() { # a listing by tag sent between the 500 and the next create
	by_arrival | awk '$3 == "POST" && $4 == "/v2.0/ports" { if (inj) exit; inj = ($2 == "inj"); next }
	     inj && $3 == "GET" && $4 ~ /^\/v2.0\/ports\?.*tags/ { ok = 1; exit }
	     END { exit !ok }'
}
check "500: the create was not repeated before a listing by tag" listed
check "... the next create came no sooner than Retry-After (${g500%% *} ms >= $((RA_S * 1000)))" \
	test "${g500%% *}" -ge $((RA_S * 1000))
check "500: Neutron's ports == the store's == host1's interfaces" wait_until 20 all_agree host1 "$A"
undrain
check "the pool at rest" settled 60
check "at the end: Neutron's ports == the store's == host1's interfaces" wait_until 20 all_agree host1 "$A"

say "figures:"
say "    dropped answer: $dropped create(s) sent, $adopted port(s) adopted, $n_ports ports in Neutron for 4 wanted"
say "    409 x 3: ms between creates: $g409"
say "    500 + Retry-After $RA_S: ms between the 500 and the next create: $g500"
finish
