#!/usr/bin/env bash
# sf-test: alone
# sf-test: plain-build: ASan runs its wiring recheck in every test that refills a pool
# host1's L2 agent cut from RabbitMQ (lib/daemon.sh's agent_partition: its
# connections to the broker dropped in host1's namespace, nothing else's),
# against a real superfluidd on host1 (docs/outages.md):
#  - the ports the refiller makes meanwhile are bound and plugged, but never
#    turn ACTIVE (the agent cannot report them up): the pool keeps them
#    WIRING and never counts them ready; every ready or held port is ACTIVE
#    in Neutron;
#  - an ADD on the empty pool answers code 11 within cold_add_timeout, the
#    container holding nothing; warm ADDs and DELs go on, and the ports
#    already wired keep forwarding (a ping);
#  - once the rule goes, the agent's messages get through, the ports turn
#    ACTIVE, the pool refills; Neutron's tagged ports == the store's ==
#    host1's interfaces.
# Alone: host1's agent serves every test using host1.
# Exit 0 pass, 1 fail, 77 skip.  Cleans up all it makes, pass or fail.
# shellcheck disable=SC2154,SC2317,SC2016
T=daemon_agent_partition
# shellcheck source=tests/integration/lib/daemon.sh
. "$(dirname "$0")/lib/daemon.sh"
command -v iptables > /dev/null || skip "iptables is missing (scripts/deps)"

COLD_S=4
PART_S=15       # the partition lasts at least this long (Neutron's agent_down_time)
testnet sg:icmp
ready_instance a host1 2 150 on_demand=true "cold_add_timeout=$COLD_S" cooldown_ms=300 \
	p:net:sg min=2 max=4 batch=2
A=$INSTANCE

declare -A ns_of ip_of
add() { # LABEL: a warm ADD that must succeed
	mk_netns "ns_of[$1]" "$1"
	cni ADD "$NAME-$1" "/run/netns/${ns_of[$1]}" eth0 "$cf"
	expect "ADD $1 ($took_ms ms)" 0 '.ips[0].address != null' || return 1
	ip_of[$1]=$(jq -r '.ips[0].address | sub("/.*"; "")' <<< "$out")
}
del() { cni DEL "$NAME-$1" "/run/netns/${ns_of[$1]}" eth0 "$cf"; expect "DEL $1 ($took_ms ms)" 0 ""; }
# Every port the daemon counts ready or gives out is ACTIVE in Neutron.
ready_active() {
	local id st
	for id in $(ctl "$A" ports | jq -r '.ports[] | select(.state == "ready" or .state == "in_use") | .port_id'); do
		st=$(port_get "$id" | jq -r .status)
		[ "$st" = ACTIVE ] || { say "    port $id is $st but counted ready/in use"; return 1; }
	done
}
# The daemon's wiring ports, none ACTIVE in Neutron.
wiring_ports() { ctl "$A" ports | jq -r '.ports[] | select(.state == "wiring") | .port_id'; }
none_active() {
	local id
	for id in $(wiring_ports); do [ "$(port_get "$id" | jq -r .status)" != ACTIVE ] || return 1; done
}
ready_ge() { [ "$(pool_field "$A" p ready)" -ge "$1" ]; }
has_wiring() { [ "$(pool_field "$A" p wiring)" -ge 1 ]; }
ruled() { ip netns exec sf-host1 iptables -S OUTPUT | grep -q -- "--sports $AGENT_PORTS "; }

agent_partition host1
say "host1's L2 agent -> RabbitMQ dropped (its source ports $AGENT_PORTS)"
t_part=$SECONDS
add x1 || die "warm ADD x1"
add x2 || die "warm ADD x2"
# The refiller makes new ports now; they must stay wiring.
check "the refiller made new ports; they wait, wiring" wait_until 45 has_wiring
mk_netns "ns_of[c1]" c1
cni ADD "$NAME-c1" "/run/netns/${ns_of[c1]}" eth0 "$cf"
cold_ms=$took_ms
say "    the ADD on the empty pool: rc $rc, $(jq -c '{code, msg}' <<< "$out")"
check "an ADD on the empty pool: code 11 within cold_add_timeout + 1.5 s ($cold_ms ms)" \
	jq -e --argjson ms "$cold_ms" --argjson max $((COLD_S * 1000 + 1500)) \
	'.code == 11 and $ms <= $max' <<< "$out"
check "... the container holds no interface" test -z "$(links_of "${ns_of[c1]}")"
while [ $((SECONDS - t_part)) -lt "$PART_S" ]; do sleep 1; done
ready_now=$(pool_field "$A" p ready) wiring_now=$(pool_field "$A" p wiring)
say "    after $((SECONDS - t_part)) s: $ready_now ready, $wiring_now wiring"
check "the pool counts none of the new ports ready ($ready_now ready, $wiring_now wiring)" \
	test "$ready_now" = 0 -a "$wiring_now" -ge 1
check "... none of them is ACTIVE in Neutron" none_active
check "... every port counted ready or held is ACTIVE in Neutron" ready_active
del x2
check "a released port is ready again without the agent" wait_until 10 ready_ge 1
add x3 || die "warm ADD x3 while the agent is cut"
check "x1 pings x3 (wired ports keep forwarding)" ping_ok "${ns_of[x1]}" "${ip_of[x3]}" 10
check "our rule is still in host1's firewall" ruled
part_s=$((SECONDS - t_part))

heal
say "partition healed after $part_s s"
t_heal=$SECONDS
del x3
if wait_until 90 pool_settled "$A" p 2; then
	heal_s=$((SECONDS - t_heal))
	pass "the new ports turned ACTIVE, the pool is at its minimum $heal_s s after healing"
else
	fail "the pool did not refill after healing: $(ctl "$A" pools)"
fi
# The agent, dead to Neutron after agent_down_time, resyncs its ports on
# its return (DOWN, then ACTIVE again): counted once that is over.
check "every port counted ready or held is ACTIVE (once the returned agent resynced)" \
	wait_until 30 ready_active
check "Neutron's ports == the store's == host1's interfaces" wait_until 20 all_agree host1 "$A"
check "an ADD after healing succeeds" add x4

say "figures:"
say "    agent cut ${part_s} s: $wiring_now port(s) wiring, $ready_now ready; cold ADD code 11 after $cold_ms ms"
say "    healed: pool at its minimum ${heal_s:-?} s later"
finish
