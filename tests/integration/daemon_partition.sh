#!/usr/bin/env bash
# sf-test: alone
# A host cut off from Neutron and Keystone (packets dropped, not refused:
# lib/daemon.sh's partition, in host1's namespace, for this test's daemon
# only), against a real superfluidd whose client keeps its default 30 s
# request timeout (docs/outages.md has the figures):
#  - warm ADDs and DELs keep working, the containers ping each other;
#  - an ADD on the drained pool answers code 11 within cold_add_timeout
#    (+ slack), not the client's timeout, and leaves nothing behind;
#  - the next such ADD answers code 11 at once: the breaker is open, the
#    message says since when Neutron is unreachable; metrics and
#    {"ctl":"health"} show it;
#  - once the rules go, the prober closes the breaker by itself, the pool
#    refills, Neutron's tagged ports are the store's (nothing doubled);
#  - Keystone alone dropped, the daemon restarted without a token (its
#    first call hangs in authentication, holding the client's auth lock):
#    the same bounds, the same recovery.
# Disturbs no other process on host1: no lock needed.
# Exit 0 pass, 1 fail, 77 skip.  Cleans up all it makes, pass or fail.
# shellcheck disable=SC2154,SC2317
T=daemon_partition
# shellcheck source=tests/integration/lib/daemon.sh
. "$(dirname "$0")/lib/daemon.sh"
command -v iptables > /dev/null || skip "iptables is missing (scripts/deps)"

COLD_S=4        # cold_add_timeout
SLACK_MS=1500
testnet sg:icmp
ini=(on_demand=true "cold_add_timeout=$COLD_S" cooldown_ms=300 p:net:sg min=2 max=2 batch=2)
part_enter
ready_instance a host1 2 60 "${ini[@]}"
part_leave
A=$INSTANCE
grep -q "$part_cg" "/proc/$(cat "$(scripts/sfhost dir "$A")/pid")/cgroup" ||
	die "the daemon is not in cgroup $part_cg"

declare -A ns_of ip_of
add() { # LABEL: a warm ADD that must succeed
	mk_netns "ns_of[$1]" "$1"
	cni ADD "$NAME-$1" "/run/netns/${ns_of[$1]}" eth0 "$cf"
	expect "ADD $1 (warm, $took_ms ms)" 0 '.ips[0].address != null' || return 1
	ip_of[$1]=$(jq -r '.ips[0].address | sub("/.*"; "")' <<< "$out")
}
del() { # LABEL
	cni DEL "$NAME-$1" "/run/netns/${ns_of[$1]}" eth0 "$cf"
	expect "DEL $1 ($took_ms ms)" 0 ""
}
cold() { # LABEL: an ADD on the drained pool, code 11, nothing left behind
	mk_netns "ns_of[$1]" "$1"
	cni ADD "$NAME-$1" "/run/netns/${ns_of[$1]}" eth0 "$cf"
	expect "ADD $1 on the drained pool: code 11 after $took_ms ms" 1 '.code == 11'
	say "    its message: $(jq -r .msg <<< "$out")"
	check "... and the container holds no interface" test -z "$(links_of "${ns_of[$1]}")"
}
# The refiller's own create hangs while partitioned (creating > 0), so
# pool_settled would not hold: count the ready ports only.
ready_ge() { [ "$(pool_field "$A" p ready)" -ge "$1" ]; }
breaker() { ctl "$A" health | jq -r .neutron.breaker; }
breaker_is() { [ "$(breaker)" = "$1" ]; }

partition host1
say "host1 -> $SF_TB_UNDERLAY_IP:9696,5000 dropped for $A (cgroup $part_cg)"
t_part=$SECONDS
add x1 || die "warm ADD x1"
add x2 || die "warm ADD x2"
del x2
check "the released port is ready again without Neutron" wait_until 10 ready_ge 1
add x3 || die "warm ADD x3"
check "x1 pings x3 while partitioned" ping_ok "${ns_of[x1]}" "${ip_of[x3]}" 10

cold c1
c1_ms=$took_ms
check "the first cold ADD is bounded by cold_add_timeout ($c1_ms ms <= $((COLD_S * 1000 + SLACK_MS)))" \
	test "$c1_ms" -le $((COLD_S * 1000 + SLACK_MS))
check "... and did wait for Neutron, or knew it gone ($c1_ms ms)" \
	jq -e '.msg | test("cold_add_timeout|unreachable since")' <<< "$out"
cold c2
c2_ms=$took_ms
check "the next cold ADD answers at once ($c2_ms ms < 1000)" test "$c2_ms" -lt 1000
check "... saying since when Neutron is unreachable" \
	jq -e '.msg | test("Neutron is unreachable since [0-9]{4}-[0-9]{2}-[0-9]{2}T")' <<< "$out"
check "{\"ctl\":\"health\"}: the breaker is not closed ($(breaker))" not breaker_is closed
check "metrics: the breaker has opened" \
	test "$(instance_metric host1 "$A" superfluid_neutron_breaker_opens_total)" -ge 1
check "metrics: superfluid_neutron_breaker_state{state=\"closed\"} is 0" \
	test "$(instance_metric host1 "$A" 'superfluid_neutron_breaker_state{state="closed"}')" = 0
# Warm traffic through the open breaker: a release, and its port again.
del x3
check "a released port is ready again while the breaker is open" wait_until 10 ready_ge 1
add x4 || die "warm ADD x4 with the breaker open"
check "x1 pings x4" ping_ok "${ns_of[x1]}" "${ip_of[x4]}" 10
check "our rule is still in host1's firewall (the agent left it)" partitioned host1
part_s=$((SECONDS - t_part))

heal
say "partition healed after $part_s s"
t_heal=$SECONDS
if wait_until 40 breaker_is closed; then
	heal_s=$((SECONDS - t_heal))
	pass "the breaker closed by itself $heal_s s after the path healed"
else
	fail "the breaker is still $(breaker) 40 s after the path healed"
fi
t0=$SECONDS
del x4
if wait_until 60 pool_settled "$A" p 2; then
	refill_s=$((SECONDS - t0))
	pass "the pool refilled to its minimum ($refill_s s)"
else
	fail "the pool did not refill: $(ctl "$A" pools)"
fi
check "Neutron's ports tagged for $A are the store's ($(store_ports "$A" | wc -l)): none doubled" \
	wait_until 20 ports_agree "$A"
check "an ADD after recovery succeeds" add x5

# --- Keystone alone, with a daemon that must authenticate ------------------------------
# Restarted while Keystone's port is dropped, its first Neutron call hangs
# in authentication, holding the client's auth lock: an empty-pool ADD
# must still end at cold_add_timeout, and open the breaker.
partition host1 5000
part_enter
if ! scripts/sfhost stop "$A" > /dev/null || ! scripts/sfhost restart "$A" > /dev/null; then
	die "restarting $A in the partition"
fi
part_leave
say "Keystone dropped for $A, restarted without a token"
drain_k=()
while ready_ge 1 && [ "${#drain_k[@]}" -lt 4 ]; do
	l=k$(( ${#drain_k[@]} + 1 ))
	add "$l" || die "warm ADD $l without a token"
	drain_k+=("$l")
done
cold c3
c3_ms=$took_ms
check "Keystone dropped: the cold ADD is bounded by cold_add_timeout ($c3_ms ms)" \
	test "$c3_ms" -le $((COLD_S * 1000 + SLACK_MS))
cold c4
c4_ms=$took_ms
check "... the next answers at once ($c4_ms ms < 1000), Neutron unreachable since ..." \
	jq -e '.msg | test("Neutron is unreachable since")' <<< "$out"
check "... ($c4_ms ms < 1000)" test "$c4_ms" -lt 1000
heal
t_heal=$SECONDS
if wait_until 40 breaker_is closed; then
	kheal_s=$((SECONDS - t_heal))
	pass "Keystone back: the breaker closed by itself ($kheal_s s)"
else
	fail "Keystone back: the breaker is still $(breaker)"
fi
for l in "${drain_k[@]}"; do del "$l"; done
check "Keystone back: Neutron's ports tagged for $A are the store's" wait_until 30 ports_agree "$A"

say "figures:"
say "    partition ${part_s} s: first cold ADD code 11 after $c1_ms ms (cold_add_timeout ${COLD_S} s), next $c2_ms ms"
say "    healed: breaker closed after ${heal_s:-?} s, pool at min ${refill_s:-?} s later"
say "    Keystone alone, no token: cold ADD code 11 after $c3_ms ms, next $c4_ms ms; closed ${kheal_s:-?} s after healing"
finish
